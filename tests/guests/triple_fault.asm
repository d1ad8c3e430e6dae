; Triple fault: in 32-bit protected mode with an empty IDT, #UD cannot be
; delivered, nor can the #GP and #DF that follow, so the CPU shuts down.
; (Real mode will not do: there the CPU ignores the IVT limit.)
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
	mov eax, 0x7e1f0a17	; recognisable in the register dump
	ud2
idt0:	dw 0
	dd 0
gdt:	dq 0
	dq 0x00cf9a000000ffff	; 0x08: flat 32-bit code
	dq 0x00cf92000000ffff	; 0x10: flat data
gdt_desc: dw $ - gdt - 1
	dd gdt
	times 510 - ($ - $$) db 0
	dw 0xaa55
