; VMFUNC behind an operand-size prefix (66 0f 01 d4) in real mode. Where
; the host runs it in KVM's emulator (kvm_pvm) it is a KVM internal error
; that the VMM's VMFUNC emulation does not take: 123, and the message must
; say it was a prefixed VMFUNC. Where the CPU raises the #UD itself, the
; IVT #UD handler exits 44: nothing of the VMM's to check. 45 if the
; instruction just went on.
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
	mov al, 0x10		; STAGE_REAL
	out 0x80, al
	mov word [6 * 4], ud_handler
	mov word [6 * 4 + 2], 0
	xor eax, eax
	xor ecx, ecx
	db 0x66, 0x0f, 0x01, 0xd4	; o32 VMFUNC
	mov eax, 45
	jmp exit
ud_handler:
	mov eax, 44
exit:	mov dx, 0x501		; PORT_VMM_EXIT
	out dx, eax
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
