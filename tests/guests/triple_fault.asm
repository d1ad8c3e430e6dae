; Triple fault: in 32-bit protected mode with an empty IDT, #UD cannot be
; delivered, nor can the #GP and #DF that follow, so the CPU shuts down.
; (Real mode will not do: there the CPU ignores the IVT limit.)
bits 16
org 0x7c00
%include "pm32.inc"
	cli
	xor ax, ax
	mov ds, ax
	ENTER_PM32_NO_IDT
	mov eax, 0x7e1f0a17	; recognisable in the register dump
	ud2
PM32_TABLES
	times 510 - ($ - $$) db 0
	dw 0xaa55
