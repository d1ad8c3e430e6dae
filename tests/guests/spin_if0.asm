; Spins forever with interrupts off, as the vCPU starts, and never exits.
; Under Bochs 2.7 such a VMX guest masks L0's own interrupts and hangs the
; whole intel world (docs/worlds.md, "the Bochs bug"): tests/host/in_kvm.sh
; checks that the world's watchdog ends it. spin.asm is the same spin
; with IF=1, which every world survives.
bits 16
org 0x7c00
	jmp $
	times 510 - ($ - $$) db 0
	dw 0xaa55
