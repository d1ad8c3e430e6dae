; Triple fault: in 32-bit protected mode with an empty IDT, #UD cannot be
; delivered, nor can the #GP and #DF that follow, so the CPU shuts down.
; (Real mode will not do: there the CPU ignores the IVT limit.)
; A stage marker goes out just before: where KVM resets the vCPU at
; shutdown (kvm_amd), that exit is the last known location.
bits 16
org 0x7c00
%include "pm32.inc"
	cli
	xor ax, ax
	mov ds, ax
	ENTER_PM32_NO_IDT
	mov al, 0x20		; STAGE_PROT
marker:	out 0x80, al
	mov eax, 0x7e1f0a17	; recognisable in the register dump
fault:	ud2
PM32_TABLES
	times 510 - ($ - $$) db 0
	dw 0xaa55
