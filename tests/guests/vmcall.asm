; VMCALL at CPL0 in 32-bit protected mode. Where KVM's FIX_HYPERCALL_INSN
; quirk is on, kvm_pvm hangs the vCPU right here; with it off VMCALL is a
; #UD, which with an empty IDT becomes a triple fault.
bits 16
org 0x7c00
%include "pm32.inc"
	cli
	xor ax, ax
	mov ds, ax
	ENTER_PM32_NO_IDT
	vmcall
	mov eax, 2		; not reached unless VMCALL did nothing
	mov dx, 0x501
	out dx, eax
	hlt
PM32_TABLES
	times 510 - ($ - $$) db 0
	dw 0xaa55
