; HLT with interrupts off: nothing can ever wake it.
bits 16
org 0x7c00
	cli
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
