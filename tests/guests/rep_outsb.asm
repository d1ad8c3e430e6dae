; Writes a line to COM1 with one `rep outsb`: every byte must come out, in
; order, however KVM batches them (io.count).
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	cld
	mov si, msg
	mov cx, msg_len
	mov dx, 0x3f8
	rep outsb
	xor eax, eax
	mov dx, 0x501
	out dx, eax
	hlt
msg:	db "0123456789abcdefghijklmnopqrstuvwxyz-rep-outsb", 10
msg_len equ $ - msg
	times 510 - ($ - $$) db 0
	dw 0xaa55
