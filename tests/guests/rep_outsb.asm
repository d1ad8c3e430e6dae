; Writes a line to COM1 with one `rep outsb`: every byte must come out, in
; order, however KVM batches them (io.count). Then reads LSR 16 times with
; one `rep insb` (batched on some hosts): each byte must say "transmitter
; empty" (0x60), else exit 1.
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov es, ax
	cld
	mov si, msg
	mov cx, msg_len
	mov dx, 0x3f8
	rep outsb
	mov di, 0x6000
	mov cx, 16
	mov dx, 0x3fd		; LSR
	rep insb
	mov si, 0x6000
	mov cx, 16
	xor eax, eax
.check:	lodsb
	cmp al, 0x60
	jne .bad
	loop .check
	xor eax, eax
	jmp .exit
.bad:	mov eax, 1
.exit:	mov dx, 0x501
	out dx, eax
	hlt
msg:	db "0123456789abcdefghijklmnopqrstuvwxyz-rep-outsb", 10
msg_len equ $ - msg
	times 510 - ($ - $$) db 0
	dw 0xaa55
