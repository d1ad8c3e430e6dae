; Writes to port 0x123, which nothing claims.
bits 16
org 0x7c00
	mov dx, 0x123
	mov al, 1
	out dx, al
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
