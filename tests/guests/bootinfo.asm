; Checks the BIOS-like entry state and the boot info block the VMM fills.
; Run with -m 8M -c bootinfo-test. Exits 0 if all match, else the number
; of the first failed check.
bits 16
org 0x7c00

%macro expect 3			; operand, value, check number
	cmp %1, %2
	je %%ok
	mov al, %3
	jmp fail
%%ok:
%endmacro

BI equ 0x1000			; BOOTINFO_GPA; field offsets from bootinfo.h
	expect eax, 0x4b564d42, 1	; EAX = BOOT_MAGIC
	expect ebx, BI, 2		; EBX = boot info address
	expect dl, 0x80, 3		; boot drive
	expect sp, 0x7c00, 4
	mov ax, cs
	expect ax, 0, 5
	xor ax, ax
	mov ds, ax
	expect dword [BI + 0], 0x4b564d42, 6	; magic
	expect word [BI + 4], 1, 7		; abi_major
	expect dword [BI + 8], 3, 8		; flags: VMM | RAM_ZEROED
	mov eax, [BI + 12]
	and eax, 1
	expect eax, 1, 22			; features: HC_FEAT_DOORBELL
	expect dword [BI + 16], 0x800000, 9	; ram_size low
	expect dword [BI + 20], 0, 10		; ram_size high
	expect dword [BI + 40], 3, 11		; e820_count
	expect dword [BI + 44], 13, 12		; cmdline_len
	mov si, BI + 48
	mov di, want_cmdline
	mov cx, 14			; with the NUL
	repe cmpsb
	expect cx, 0, 13
	expect dword [BI + 560 + 8], 0x9fc00, 14	; e820[0].len
	expect dword [BI + 560 + 16], 1, 15		; e820[0].type RAM
	expect dword [BI + 584], 0x9fc00, 16		; e820[1].base
	expect dword [BI + 584 + 16], 2, 17		; e820[1].type reserved
	expect dword [BI + 608], 0x100000, 18		; e820[2].base
	expect dword [BI + 608 + 8], 0x700000, 19	; e820[2].len
	expect dword [BI + 608 + 16], 1, 20		; e820[2].type RAM
	expect dword [0x9000], 0, 21			; RAM past the image reads as zero
	xor al, al
fail:	movzx eax, al
	mov dx, 0x501
	out dx, eax
	hlt
want_cmdline: db "bootinfo-test", 0
	times 510 - ($ - $$) db 0
	dw 0xaa55
