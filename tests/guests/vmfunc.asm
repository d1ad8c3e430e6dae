; VMFUNC (0f 01 d4) from a real-mode guest, against the VMM's emulation.
; Where KVM cannot run VMFUNC (kvm_pvm: an emulation failure) the VMM
; catches it; where the CPU raises #UD itself (kvm_amd, kvm_intel), the
; #UD handler (IVT vector 6) asks the VMM over HC_VMFUNC, as the kernel
; does. A #UD that stays one (the VMM's refusal) is counted, its IP
; recorded, and the 3-byte instruction skipped. Exit status 42 when every check held, else the
; number of the check that failed (see tests/host/run.sh):
;   1  VMFUNC(0, 0), view 0 live: no #UD
;   2  VIEW_CREATE: ret 1
;   3  VIEW_MAP(1, 0x9000 -> 0xa000, 4K, RWX): ret 0
;   4  VMFUNC(0, 1): GPA 0x9000 now reads 0xa000's word; VIEW_CURRENT = 1
;   5  a write to 0x9000 in view 1 lands in 0xa000; VMFUNC(0, 0) undoes
;      the switch and 0x9000 reads its own word again
;   6  VMFUNC(0, 7): no such view: #UD with IP at the instruction
;   7  VMFUNC(1, 0): leaf 1 does not exist: #UD
;   8  VMFUNC(0, 0xffffffff): #UD
;   9  VIEW_MAP with perms R only: -ENOSYS
; With the command line "n" it instead enters 32-bit protected mode with an
; IDT of limit 0 and runs VMFUNC(0, 7): the injected #UD cannot be
; delivered, so the guest triple faults (123) and the VMM stays up.
bits 16
org 0x7c00
%include "hc.inc"
%include "pm32.inc"
HC equ 0x6000			; struct hc: nr 0, flags 4, ret 8, arg[] 16
UDHC equ 0x6100			; the #UD handler's own block
PAGE_A equ 0x9000
PAGE_B equ 0xa000
%macro VMFUNC 0
	db 0x0f, 0x01, 0xd4
%endmacro
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7000
	cld
	mov word [6 * 4], ud_handler
	mov word [6 * 4 + 2], 0
	cmp byte [0x1000 + 48], 'n'	; boot_info.cmdline[0]
	je no_idt
	mov word [PAGE_A], 0x1111
	mov word [PAGE_B], 0x2222

	mov bl, 1
	xor eax, eax
	xor ecx, ecx
	VMFUNC
	cmp byte [uds], 0
	jne fail

	mov bl, 2
	mov ebx, 16		; VIEW_CREATE
	call request
	call ring
	mov bl, 2
	cmp dword [HC + 8], 1
	jne fail

	mov ebx, 17		; VIEW_MAP(1, PAGE_A, PAGE_B, 4096, RWX)
	call request
	mov byte [HC + 16], 1
	mov word [HC + 24], PAGE_A
	mov word [HC + 32], PAGE_B
	mov word [HC + 40], 0x1000
	mov byte [HC + 48], 7
	call ring
	mov bl, 3
	cmp dword [HC + 8], 0
	jne fail

	xor eax, eax
	mov ecx, 1
	VMFUNC
	mov bl, 4
	cmp word [PAGE_A], 0x2222
	jne fail
	mov ebx, 18		; VIEW_CURRENT
	call request
	call ring
	mov bl, 4
	cmp dword [HC + 8], 1
	jne fail

	mov word [PAGE_A], 0x3333
	xor eax, eax
	xor ecx, ecx
	VMFUNC
	mov bl, 5
	cmp word [PAGE_A], 0x1111
	jne fail
	cmp word [PAGE_B], 0x3333
	jne fail
	cmp byte [uds], 0
	jne fail

	mov bl, 6
	xor eax, eax
	mov ecx, 7
bad_index:
	VMFUNC
	cmp byte [uds], 1
	jne fail
	cmp word [ud_ip], bad_index
	jne fail

	mov bl, 7
	mov eax, 1
	xor ecx, ecx
bad_leaf:
	VMFUNC
	cmp byte [uds], 2
	jne fail
	cmp word [ud_ip], bad_leaf
	jne fail

	mov bl, 8
	xor eax, eax
	mov ecx, 0xffffffff
	VMFUNC
	cmp byte [uds], 3
	jne fail

	mov ebx, 17		; VIEW_MAP(1, PAGE_A + 4K, PAGE_B, 4096, R)
	call request
	mov byte [HC + 16], 1
	mov word [HC + 24], PAGE_A + 0x1000
	mov word [HC + 32], PAGE_B
	mov word [HC + 40], 0x1000
	mov byte [HC + 48], 1
	call ring
	mov bl, 9
	cmp dword [HC + 8], -38
	jne fail

	mov bl, 42
fail:	movzx eax, bl
	mov dx, 0x501		; PORT_VMM_EXIT
	out dx, eax
	hlt

ud_handler:			; IP, CS, FLAGS on the stack
	push bp
	mov bp, sp
	pushad
	mov dword [UDHC], 20	; HC_VMFUNC(EAX, ECX); the rest stays 0
	mov [UDHC + 16], eax
	mov [UDHC + 24], ecx
	mov eax, UDHC
	mov dx, 0x500		; PORT_HC_DOORBELL
	out dx, eax
	mov eax, [UDHC + 8]
	or eax, [UDHC + 12]
	jz .done		; the VMM did it: no #UD
	mov ax, [bp + 2]
	mov [ud_ip], ax
	inc byte [uds]
.done:	add word [bp + 2], 3	; past the VMFUNC
	popad
	pop bp
	iret

HC_HELPERS

uds:	db 0
ud_ip:	dw 0
	times 510 - ($ - $$) db 0
	dw 0xaa55

; The second sector: our VMM loads the whole image, not just the first 512.
no_idt:				; 32-bit protected mode, IDT limit 0 (as vmcall.asm)
	ENTER_PM32_NO_IDT
	xor eax, eax
	mov ecx, 7
	VMFUNC
	mov eax, 10		; not reached: the #UD has nowhere to go
	mov dx, 0x501
	out dx, eax
	hlt
bits 16
PM32_TABLES
	times 1024 - ($ - $$) db 0
