; VM entry and exit for the L2 compartment (kernel/vmx/run.c drives them).
;
; vmx_enter saves L1's callee-saved registers on its own stack, records that
; stack as HOST_RSP, loads L2's general registers from struct l2_regs and
; executes VMLAUNCH or VMRESUME. A VM exit lands on vmx_exit_landing
; (HOST_RIP) with RSP = HOST_RSP: it stores L2's registers back into the
; struct (whose address it finds at [rsp]) and returns 0 from vmx_enter as if
; the call had simply finished. If the VM entry itself fails, execution falls
; through with CF (VMfailInvalid) or ZF (VMfailValid) set and vmx_enter
; returns 1 or 2 (enum vmx_result).

bits 64
section .text

global vmx_enter
global vmx_exit_landing
global l2_start
global l2_exit_vmcall

VMCS_HOST_RSP   equ 0x6c14
HC_VMCALL_EXIT  equ 0x564d0001        ; HC_VMCALL_NR(HC_EXIT), include/hypercall.h

; struct l2_regs offsets (kernel/vmx/vmx.h)
R_RAX equ 0
R_RBX equ 8
R_RCX equ 16
R_RDX equ 24
R_RSI equ 32
R_RDI equ 40
R_RBP equ 48
R_R8  equ 56
R_R9  equ 64
R_R10 equ 72
R_R11 equ 80
R_R12 equ 88
R_R13 equ 96
R_R14 equ 104
R_R15 equ 112

; enum vmx_result vmx_enter(struct l2_regs *regs /* rdi */, int launched /* esi */)
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                          ; [rsp] = regs, for the exit landing
	mov eax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .failed                       ; CF or ZF: the VMWRITE failed
	test esi, esi                     ; flags survive the movs below
	mov rax, [rdi + R_RAX]
	mov rbx, [rdi + R_RBX]
	mov rcx, [rdi + R_RCX]
	mov rdx, [rdi + R_RDX]
	mov rsi, [rdi + R_RSI]
	mov rbp, [rdi + R_RBP]
	mov r8,  [rdi + R_R8]
	mov r9,  [rdi + R_R9]
	mov r10, [rdi + R_R10]
	mov r11, [rdi + R_R11]
	mov r12, [rdi + R_R12]
	mov r13, [rdi + R_R13]
	mov r14, [rdi + R_R14]
	mov r15, [rdi + R_R15]
	mov rdi, [rdi + R_RDI]
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:                                  ; RFLAGS still hold the VMfail kind
	mov eax, 2                        ; VMX_FAIL_VALID (ZF)
	jz .out
	mov eax, 1                        ; VMX_FAIL_INVALID (CF)
.out:
vmx_return:                               ; both ways back to vmx_enter's caller
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

; HOST_RIP. RSP = HOST_RSP: [rsp] = regs, then L1's saved registers.
vmx_exit_landing:
	push rdi                          ; L2's rdi; [rsp + 8] = regs
	mov rdi, [rsp + 8]
	mov [rdi + R_RAX], rax
	mov [rdi + R_RBX], rbx
	mov [rdi + R_RCX], rcx
	mov [rdi + R_RDX], rdx
	mov [rdi + R_RSI], rsi
	mov [rdi + R_RBP], rbp
	mov [rdi + R_R8],  r8
	mov [rdi + R_R9],  r9
	mov [rdi + R_R10], r10
	mov [rdi + R_R11], r11
	mov [rdi + R_R12], r12
	mov [rdi + R_R13], r13
	mov [rdi + R_R14], r14
	mov [rdi + R_R15], r15
	pop rax
	mov [rdi + R_RDI], rax
	xor eax, eax                      ; VMX_OK
	jmp vmx_return

; L2's first instruction: RDI = fn, RSI = arg, RSP = L2's stack top
; (16-byte aligned, so the call leaves fn the ABI's alignment). When fn
; returns, tell L1 with VMCALL HC_EXIT; L1 never resumes after it.
l2_start:
	mov rax, rdi
	mov rdi, rsi
	call rax
	mov eax, HC_VMCALL_EXIT
	xor ebx, ebx
l2_exit_vmcall:
	vmcall
	ud2

section .note.GNU-stack noalloc noexec nowrite progbits
