; VMCALL at CPL0 in 32-bit protected mode. Where KVM's FIX_HYPERCALL_INSN
; quirk is on, kvm_pvm hangs the vCPU right here; with it off VMCALL is a
; #UD, which with an empty IDT becomes a triple fault.
bits 16
org 0x7c00
	cli
	xor ax, ax
	mov ds, ax
	lgdt [gdt_desc]
	mov eax, cr0
	or al, 1		; CR0.PE
	mov cr0, eax
	jmp 0x08:pm
bits 32
pm:	mov ax, 0x10
	mov ds, ax
	mov ss, ax
	lidt [idt0]		; limit 0: no vector fits
	vmcall
	mov eax, 2		; not reached unless VMCALL did nothing
	mov dx, 0x501
	out dx, eax
	hlt
idt0:	dw 0
	dd 0
gdt:	dq 0
	dq 0x00cf9a000000ffff	; 0x08: flat 32-bit code
	dq 0x00cf92000000ffff	; 0x10: flat data
gdt_desc: dw $ - gdt - 1
	dd gdt
	times 510 - ($ - $$) db 0
	dw 0xaa55
