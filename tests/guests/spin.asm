; Spins forever without a single exit: only the watchdog or a signal can
; stop it. Announces itself first so a test knows it is running.
; It spins with interrupts on, though none comes (the VMM has no interrupt
; controller): under Bochs 2.7 a VMX guest that runs with IF=0 masks L0's
; own interrupts, and its spin would hang the whole intel world
; (docs/worlds.md, "the Bochs bug").
bits 16
org 0x7c00
	mov al, 0x10		; STAGE_REAL
	out 0x80, al
	mov dx, 0x3f8
	mov al, 'S'
	out dx, al
	mov al, 10
	out dx, al
	sti
spin:	jmp spin
	times 510 - ($ - $$) db 0
	dw 0xaa55
