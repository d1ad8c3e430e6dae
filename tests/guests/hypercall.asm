; The hypercall doorbell from a real-mode guest. The command line picks:
;   (default) NOP, a misaligned block twice (-EINVAL, logged once),
;             CONSOLE_WRITE, an unknown number (-ENOSYS), then EXIT 42;
;             a failed check exits with its number (1-5) instead
;   o         a block outside RAM: the VMM cannot answer, ends with 123
;   t         a block straddling the end of RAM (its first 32 bytes inside):
;             no whole block to answer in either, ends with 123
;   a         ABORT "boom" at guest.asm:7: 123 with registers
;   s         ASSERT "x == 1" at guest.asm:7: exit 1
bits 16
org 0x7c00
%include "hc.inc"
HC equ 0x6000			; struct hc: nr 0, flags 4, ret 8, arg[] 16
	xor ax, ax
	mov ds, ax
	mov es, ax
	cld
	mov al, [0x1000 + 48]	; boot_info.cmdline[0]
	cmp al, 'o'
	je outside
	cmp al, 't'
	je straddle
	cmp al, 'a'
	je abort
	cmp al, 's'
	je assert

	mov ebx, 0		; NOP
	call request
	call ring
	mov bl, 1
	cmp dword [HC + 8], 0
	jne fail
	mov dword [HC + 12], 0	; misaligned: ret at HC + 4 + 8
	mov eax, HC + 4
	mov dx, 0x500
	out dx, eax
	out dx, eax
	mov bl, 2
	cmp dword [HC + 12], -22
	jne fail
	mov ebx, 2		; CONSOLE_WRITE
	call request
	mov word [HC + 16], msg
	mov word [HC + 24], msg_len
	call ring
	mov bl, 3
	cmp dword [HC + 8], msg_len
	jne fail
	mov ebx, 9		; unassigned number
	call request
	call ring
	mov bl, 4
	cmp dword [HC + 8], -38
	jne fail
	mov ebx, 1		; EXIT 42
	call request
	mov byte [HC + 16], 42
	call ring
	mov bl, 5		; EXIT returned
fail:	movzx eax, bl
	mov dx, 0x501
	out dx, eax
	hlt

outside:
	mov eax, 0xfffffff8	; aligned, below 4 GiB, far beyond RAM
	mov dx, 0x500
	out dx, eax
	mov bl, 6
	jmp fail

straddle:
	mov eax, [0x1000 + 16]	; boot_info.ram_size (low half)
	sub eax, 32
	mov dx, 0x500
	out dx, eax
	mov bl, 6
	jmp fail

abort:	mov ebx, 6		; ABORT "boom"
	mov si, boom
	mov dl, 4
	jmp report
assert:	mov ebx, 8		; ASSERT "x == 1"
	mov si, expr
	mov dl, 6
report:	call request
	mov [HC + 16], si
	mov [HC + 24], dl
	mov word [HC + 32], file
	mov byte [HC + 40], file_len
	mov byte [HC + 48], 7	; line
	call ring
	mov bl, 7		; the VMM refused the report
	jmp fail

HC_HELPERS

msg:	db "hc-console", 10
msg_len equ $ - msg
boom:	db "boom"
expr:	db "x == 1"
file:	db "guest.asm"
file_len equ $ - file
	times 510 - ($ - $$) db 0
	dw 0xaa55
