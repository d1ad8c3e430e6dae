; COM1 the way a polling 16550 driver uses it: program the divisor with
; DLAB set (those bytes must not reach stdout), check the scratch register
; keeps its value, wait for LSR.THRE before each byte, then exit 0.
; Exit status 1 if the scratch register lost its value.
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov dx, 0x3fb		; LCR: DLAB = 1, then divisor 1 (115200 baud)
	mov al, 0x80
	out dx, al
	mov dx, 0x3f8
	mov al, 1
	out dx, al		; divisor low byte: must not be printed
	inc dx
	xor al, al
	out dx, al
	mov dx, 0x3fb		; 8N1, DLAB = 0
	mov al, 0x03
	out dx, al
	mov dx, 0x3ff		; scratch register reads back
	mov al, 0x5a
	out dx, al
	in al, dx
	cmp al, 0x5a
	jne fail
	mov si, msg
.next:	lodsb
	test al, al
	jz done
	mov ah, al
	mov dx, 0x3fd		; LSR: wait for the transmitter
.wait:	in al, dx
	test al, 0x20
	jz .wait
	mov dx, 0x3f8
	mov al, ah
	out dx, al
	jmp .next
done:	xor eax, eax
	jmp exit
fail:	mov eax, 1
exit:	mov dx, 0x501		; PORT_VMM_EXIT
	out dx, eax
	hlt
msg:	db "hello from com1", 10, 0
	times 510 - ($ - $$) db 0
	dw 0xaa55
