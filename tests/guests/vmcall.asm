; VMCALL (or, with the command line "m", VMMCALL) at CPL0 in 32-bit
; protected mode, with EAX a hypercall number KVM does not know.
; - The host vendor's own instruction (VMMCALL on AMD, VMCALL on Intel) is
;   KVM's: it returns -KVM_ENOSYS (-1000) in EAX and the guest goes on:
;   exit status 43.
; - The other vendor's, or either where KVM's FIX_HYPERCALL_INSN quirk is
;   off and KVM takes neither (kvm_pvm), is a #UD; with an empty IDT, a
;   triple fault (123). With that quirk on, kvm_pvm hangs the vCPU here.
; Exit status 2 if the instruction did nothing at all.
bits 16
org 0x7c00
%include "pm32.inc"
	cli
	xor ax, ax
	mov ds, ax
	mov bl, [0x1000 + 48]	; boot_info.cmdline[0]
	ENTER_PM32_NO_IDT
	mov eax, 0x7fffffff
	cmp bl, 'm'
	je amd
intel:	vmcall
	jmp after
amd:	vmmcall
after:	cmp eax, -1000
	mov eax, 2
	jne exit
	mov eax, 43
exit:	mov dx, 0x501		; PORT_VMM_EXIT
	out dx, eax
	hlt
PM32_TABLES
	times 510 - ($ - $$) db 0
	dw 0xaa55
