; Exits with the decimal number given as the command line (-c N), read
; from the boot info block, through PORT_VMM_EXIT. Tests status passthrough.
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov si, 0x1000 + 48	; boot_info.cmdline (bootinfo.h)
	xor eax, eax
.digit:	movzx ecx, byte [si]
	sub cl, '0'
	cmp cl, 9
	ja .done		; NUL or anything else ends the number
	imul eax, eax, 10
	add eax, ecx
	inc si
	jmp .digit
.done:	mov dx, 0x501
	out dx, eax
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
