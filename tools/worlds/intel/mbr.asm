; mbr.asm: the intel world's boot sector (tools/worlds/intel/pack.py puts it
; at LBA 0 of the boot disk). It loads LBA 1-8 (the load table, 4 sectors,
; then the stage, 4 sectors) to 0x8000 with one int 13h extended read and
; jumps to the stage at 0x8800, boot drive in DL. Debian's bzImage would
; spend ~110 s of Bochs time in its xz decompressor; the stage enters the
; kernel's uncompressed vmlinux at its PVH entry instead (stage.asm).
bits 16
org 0x7c00
	cli
	cld
	jmp 0:.cs0                      ; some BIOSes enter at 07c0:0000
.cs0:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	mov si, dap
	mov ah, 0x42
	int 0x13
	jc .fail
	jmp 0:0x8800
.fail:
	mov si, msg
.put:
	lodsb
	test al, al
	jz .halt
	mov dx, 0x3f8                   ; COM1: the world's console file
	out dx, al
	jmp .put
.halt:
	hlt
	jmp .halt

dap:    db 16, 0
	dw 8                            ; sectors
	dw 0x8000, 0                    ; offset, segment
	dq 1                            ; LBA
msg:    db "inkvm mbr: cannot read the loader (LBA 1-8)", 10, 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
