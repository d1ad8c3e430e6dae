; Console output the VMM must not lose, hang on or misplace. The command
; line picks:
;   (default) "flood" and a newline through CONSOLE_WRITE, then a check that
;             GPA 0 still reads 0 (else exit 3: the console went into guest
;             RAM, i.e. stdout was closed and RAM took its fd), then 256 KiB
;             of NULs (RAM at 0x10000), then "END" and a newline, exit 0
;   h         CONSOLE_WRITE of 256 KiB in a loop, forever
;   c         `rep outsb` of 64 KiB to COM1 in a loop, forever
; Against a stdout nobody reads, h and c leave the VMM blocked in write():
; only --timeout or a signal can end the run.
bits 16
org 0x7c00
%include "hc.inc"
HC equ 0x6000			; struct hc: nr 0, flags 4, ret 8, arg[] 16
BULK equ 0x10000		; 256 KiB of zeroed RAM
	xor ax, ax
	mov ds, ax
	mov es, ax
	cld
	mov al, 0x10		; STAGE_REAL
	out 0x80, al
	mov al, [0x1000 + 48]	; boot_info.cmdline[0]
	cmp al, 'h'
	je hc_flood
	cmp al, 'c'
	je com1_flood

	mov esi, hello
	mov ecx, hello_len
	call console
	mov bl, 3
	cmp dword [0], 0
	jne exit
	mov esi, BULK
	mov ecx, 0x40000
	call console
	mov esi, end_msg
	mov ecx, end_len
	call console
	xor bl, bl
exit:	movzx eax, bl
	mov dx, 0x501		; PORT_VMM_EXIT
	out dx, eax
	hlt

hc_flood:
	mov esi, BULK
	mov ecx, 0x40000
.again:	call console
	jmp .again

com1_flood:
	mov dx, 0x3f8
.again:	xor si, si
	mov cx, 0xffff
	rep outsb
	jmp .again

console:			; CONSOLE_WRITE(ESI, ECX); keeps ESI, ECX
	push ecx
	mov ebx, 2
	call request
	pop ecx
	mov [HC + 16], esi
	mov [HC + 24], ecx
	jmp ring

HC_HELPERS

hello:	db "flood", 10
hello_len equ $ - hello
end_msg: db "END", 10
end_len equ $ - end_msg
	times 510 - ($ - $$) db 0
	dw 0xaa55
