; A 32-bit store to GPA 0xd0000000, far beyond RAM (at most 3 GiB) and
; claimed by no device: the VMM must name the address and stop.
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
	mov dword [0xd0000000], 0x12345678
	hlt
gdt:	dq 0
	dq 0x00cf9a000000ffff	; 0x08: flat 32-bit code
	dq 0x00cf92000000ffff	; 0x10: flat data
gdt_desc: dw $ - gdt - 1
	dd gdt
	times 510 - ($ - $$) db 0
	dw 0xaa55
