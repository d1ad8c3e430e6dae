; A 32-bit store to GPA 0xd0000000, far beyond RAM (at most 3 GiB) and
; claimed by no device: the VMM must name the address and stop.
bits 16
org 0x7c00
%include "pm32.inc"
	cli
	xor ax, ax
	mov ds, ax
	ENTER_PM32
	mov dword [0xd0000000], 0x12345678
	hlt
PM32_TABLES
	times 510 - ($ - $$) db 0
	dw 0xaa55
