; Exception entry points. Each vector pushes a uniform frame (a dummy error
; code where the CPU pushes none, then the vector number) so trap_dispatch()
; sees one struct trap_frame (kernel/trap.h) for all 32 of them.

bits 64

extern trap_dispatch
extern trap_catch_state
global trap_vectors
global trap_idt
global trap_run
global trap_run_resume

; The entry points sit low (linker/kernel.ld puts .text.vectors right after
; the boot code), so each address fits a gate's offset 15:0 and the IDT
; below is made by the linker, not by code: where CPL0 code runs in KVM's
; emulator (kvm_pvm) filling 32 gates at boot cost 640 instructions. An
; entry point that no longer fits fails the link (R_X86_64_16).
section .text.vectors progbits alloc exec nowrite align=1
%macro VECTOR 1
vector_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
	push %1                          ; the CPU pushed an error code
%else
	push 0
	push %1
%endif
	jmp trap_common
%endmacro

%assign i 0
%rep 32
VECTOR i
%assign i i + 1
%endrep

section .text
trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp                     ; the CPU aligned RSP; 22 qwords keep it so
	cld
	call trap_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                      ; vector and error code
	iretq

; int trap_run(void (*fn)(void *), void *arg, struct trap_info *ti)
; A one-level setjmp: remember the callee-saved registers, RFLAGS and the
; stack, run fn; if it traps, trap_dispatch() rewrites the frame to land on
; trap_run_resume with those registers and flags and RAX = vector (so a fn
; that faulted with DF or AC set does not hand them to its caller).
; Offsets match struct trap_catch in trap.c.
trap_run:
	mov [rel trap_catch_state + 8], rbx
	mov [rel trap_catch_state + 16], rbp
	mov [rel trap_catch_state + 24], r12
	mov [rel trap_catch_state + 32], r13
	mov [rel trap_catch_state + 40], r14
	mov [rel trap_catch_state + 48], r15
	mov [rel trap_catch_state + 56], rsp
	pushfq
	pop qword [rel trap_catch_state + 64]
	mov [rel trap_catch_state + 72], rdx
	mov qword [rel trap_catch_state], 1
	mov rax, rdi
	mov rdi, rsi
	sub rsp, 8                       ; keep the ABI's 16-byte call alignment
	call rax
	add rsp, 8
	mov rdx, [rel trap_catch_state + 72]
	mov dword [rdx], -1              ; ti->vector: no exception
	mov eax, -1
trap_run_resume:
	mov qword [rel trap_catch_state], 0
	ret

section .rodata
align 8
trap_vectors:
%assign i 0
%rep 32
	dq vector_ %+ i
%assign i i + 1
%endrep

; 64-bit interrupt gates (SDM vol. 3A, "IDT Descriptors"); tests/guest/
; traps.c checks each against trap_vectors and kernel/gdt.h's constants.
align 16
trap_idt:
%assign i 0
%rep 32
	dw vector_ %+ i			; offset 15:0: the whole address (see above)
	dw 0x08				; SEL_KERNEL_CODE
%if i = 8
	db 1				; #DF on its own stack: TSS_IST_DF
%else
	db 0
%endif
	db 0x8e				; present, DPL 0, 64-bit interrupt gate
	dw 0				; offset 31:16
	dd 0, 0				; offset 63:32, reserved
%assign i i + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
