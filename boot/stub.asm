; The boot stub: the image's first sector, and the mode switch after it.
;
; Two worlds, one image (include/bootinfo.h):
;  - our VMM: the whole image is already at 0x7c00, EAX = BOOT_MAGIC and
;    EBX = boot info address; every BIOS call is skipped;
;  - a PC BIOS: only this sector is loaded; we load the rest with int 13h
;    extended reads, read the E820 memory map into the boot info block and
;    turn on A20.
; Then real -> 32-bit protected -> 64-bit long mode with the first 1 GiB
; (under our VMM: the RAM within it) identity-mapped by 2 MiB pages (never
; 1 GiB pages: some hosts cannot) but for the first 2 MiB in 4 KiB pages
; (boot_pt) and the boot stack's guard page unmapped,
; NX on, CR0.WP on, and kernel_main(boot_info) is called.
; Each stage stamps the TSC into boot_info.stamp_tsc (bootinfo.h): three
; instructions and no exit, so a boot timeline costs the boot next to
; nothing, and our VMM reads the stage a hang stopped in from the stamps.
; Only when the VMM asks (BI_FLAG_STAGE_PORT, vmm --stage-exits) does a
; stage also go out to port 0x80, for tools that watch KVM's port I/O: an
; exit each, ~35 us where KVM emulates CPL0 code (docs/bench.md).

%define BOOT_MAGIC      0x4b564d42
%define BOOTINFO        0x1000
%define BI_FLAGS        8
%define BI_FLAG_STAGE_PORT 4
%define BI_RAM_SIZE     16
%define BI_E820_COUNT   40
%define BI_E820         560
%define BI_HEADER_BYTES 560          ; zeroed under a BIOS: magic 0, no cmdline
%define BI_STAMPS       2096         ; boot_info.stamp_tsc[]
%define E820_MAX        64
%define PML4            0x2000
%define PDPT            0x3000
%define PD              0x4000
%define STACK_TOP       0x7c00
%define SECTORS_PER_READ 64          ; 32 KiB: one segment step of 0x800
%define PORT_POST       0x80

%define STAGE_REAL      0x10
%define STAGE_PROT      0x20
%define STAGE_LONG      0x30
%define STAGE_C_ENTRY   0x40

%define BOOT_STAMP_STUB_ENTRY 0
%define BOOT_STAMP_LOADED     1
%define BOOT_STAMP_PROT       2
%define BOOT_STAMP_LONG       3

; STAMP n: boot_info.stamp_tsc[n] = TSC. Clobbers EAX and EDX; the same
; bytes' meaning in 16-, 32- and 64-bit code (absolute address, DS base 0).
%macro STAMP 1
	rdtsc
	mov [BOOTINFO + BI_STAMPS + 8 * %1], eax
	mov [BOOTINFO + BI_STAMPS + 8 * %1 + 4], edx
%endmacro

; STAGE n: STAGE_n to port 0x80 if the VMM asked for it. Clobbers AL; the
; same bytes' meaning in 16-, 32- and 64-bit code, like STAMP's. Under a
; BIOS the flag is 0: the stub zeroes the boot info header before the
; first STAGE there can read it.
%macro STAGE 1
	test byte [BOOTINFO + BI_FLAGS], BI_FLAG_STAGE_PORT
	jz %%quiet
	mov al, %1
	out PORT_POST, al
%%quiet:
%endmacro

; The kernel's GDT (kernel/gdt.h) keeps 0x08 and 0x10 as they are here, so
; its gdt_init() need not reload a segment register.
%define SEL_CODE64      0x08
%define SEL_DATA        0x10
%define SEL_CODE32      0x18

extern kernel_main
extern __image_sectors
extern __bss_start
extern __bss_qwords

global _start

section .boot progbits alloc exec write
bits 16
_start:
	cli
	cld
	jmp 0:.cs_fixed                 ; some BIOSes enter at 07c0:0000
.cs_fixed:
	mov esi, eax                    ; keep EAX/EBX: DS is not known to be 0 yet
	mov edi, ebx
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, STACK_TOP
	mov [entry_magic], esi          ; now through DS = 0
	mov [entry_bootinfo], edi
	mov [boot_drive], dl
	STAMP BOOT_STAMP_STUB_ENTRY
	cmp dword [entry_magic], BOOT_MAGIC
	jne .bios
	STAGE STAGE_REAL                ; our VMM: image loaded, boot info filled
	jmp real_to_protected
.bios:
	call bios_load_image
	jmp bios_prepare                ; in the second sector, now loaded

; Load sectors 1 .. __image_sectors-1 to 0x7e00 onwards with int 13h AH=42h.
bios_load_image:
	mov cx, __image_sectors - 1
.next:
	jcxz .done
	mov ax, SECTORS_PER_READ
	cmp cx, ax
	jae .count_ok
	mov ax, cx
.count_ok:
	mov [dap.count], ax
	push ax
	mov si, dap
	mov dl, [boot_drive]
	mov ah, 0x42
	int 0x13
	pop ax
	jc disk_error
	sub cx, ax
	add [dap.lba], ax
	shl ax, 5                       ; sectors -> paragraphs
	add [dap.segment], ax
	jmp .next
.done:
	ret

disk_error:
	mov si, msg_disk
.print:
	lodsb
	test al, al
	jz .halt
	out 0xe9, al                    ; Bochs/QEMU debug console
	mov ah, 0x0e                    ; and the BIOS teletype
	int 0x10
	jmp .print
.halt:
	hlt
	jmp .halt

msg_disk: db "boot: int 13h read failed", 13, 10, 0

align 4
dap:
	db 16, 0
.count:   dw 0
.offset:  dw 0
.segment: dw 0x07e0
.lba:     dq 1

entry_magic:    dd 0
entry_bootinfo: dd 0
boot_drive:     db 0

; ---------------------------------------------------------------------------
; Everything below may live past the first sector: it runs after the load.
section .boot2 progbits alloc exec write
bits 16

; BIOS world: A20, boot info header, E820 map.
bios_prepare:
	in al, 0x92                     ; "fast A20": RAM above 1 MiB is reachable
	or al, 2
	and al, 0xfe                    ; never pulse the reset bit
	out 0x92, al

	mov di, BOOTINFO
	mov cx, BI_HEADER_BYTES
	xor al, al
	rep stosb
	mov dword [entry_bootinfo], BOOTINFO

	mov di, BOOTINFO + BI_E820
	xor ebx, ebx
	xor bp, bp
.e820:
	mov eax, 0xe820
	mov edx, 0x534d4150             ; 'SMAP'
	mov ecx, 24
	mov dword [di + 20], 1          ; ACPI attr "valid" if the BIOS gives 20 bytes
	int 0x15
	jc .e820_done
	cmp eax, 0x534d4150
	jne .e820_done
	inc bp
	add di, 24
	cmp bp, E820_MAX
	jae .e820_done
	test ebx, ebx
	jnz .e820
.e820_done:
	mov [BOOTINFO + BI_E820_COUNT], bp
	; fall through

real_to_protected:
	STAMP BOOT_STAMP_LOADED
	lgdt [gdt_desc]
	mov eax, cr0
	or eax, 1                       ; CR0.PE
	mov cr0, eax
	jmp SEL_CODE32:protected_mode

bits 32
protected_mode:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	STAMP BOOT_STAMP_PROT
	STAGE STAGE_PROT

	; Page tables. Our VMM hands over zeroed RAM and says how much there
	; is: map just that, copied from the assembled boot_pd (a loop that
	; built the entries cost ~140 emulated instructions on some hosts).
	; A BIOS may leave garbage, and its E820 map is read later in C: clear
	; the tables and map the whole first GiB.
	mov ecx, 512
	cmp dword [entry_magic], BOOT_MAGIC
	je .vmm_tables
	mov edi, PML4
	mov ecx, 3 * 1024
	xor eax, eax
	rep stosd
	mov ecx, 512
	jmp .tables_clean
.vmm_tables:
	mov esi, [entry_bootinfo]
	mov eax, [esi + BI_RAM_SIZE]    ; at most 3 GiB: the low half is all
	add eax, 0x1fffff
	shr eax, 21                     ; 2 MiB pages that hold RAM
	cmp eax, ecx
	jae .tables_clean
	mov ecx, eax
.tables_clean:
	mov dword [PML4], PDPT | 3      ; present, writable
	mov dword [PDPT], PD | 3
	mov esi, boot_pd                ; ECX entries of it, as dwords
	mov edi, PD
	shl ecx, 1
	rep movsd
	mov dword [PD], boot_pt + 3     ; the first 2 MiB in 4 KiB pages

	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, PML4
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)    ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)   ; PG, WP: supervisor writes honour R/O
	mov cr0, eax
	jmp SEL_CODE64:long_mode

bits 64
long_mode:
	STAMP BOOT_STAMP_LONG
	STAGE STAGE_LONG
	cmp dword [entry_magic], BOOT_MAGIC
	je .bss_clean                   ; RAM past the image is already zero
	mov rdi, __bss_start
	mov rcx, __bss_qwords
	xor eax, eax
	rep stosq
.bss_clean:
	mov eax, boot_stack_guard       ; unmapped from here on (it is in
	shr eax, 9                      ; the BSS just cleared): its PTE
	mov qword [boot_pt + rax], 0    ; is at (address >> 12) * 8
	invlpg [boot_stack_guard]
	mov rsp, boot_stack_top
	STAGE STAGE_C_ENTRY
	mov edi, [entry_bootinfo]
	call kernel_main
.halt:
	cli
	hlt
	jmp .halt

align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08 code, 64-bit
	dq 0x00cf92000000ffff           ; 0x10 data
	dq 0x00cf9a000000ffff           ; 0x18 code, 32-bit
gdt_end:
gdt_desc:
	dw gdt_end - gdt - 1
	dd gdt

; The page table of the first 2 MiB (PD[0]), identity in 4 KiB pages, so
; that one of them can be the stack's guard page. Assembled, not built: on
; some hosts every instruction the stub runs is emulated, and a 512-entry
; loop costs more than the 4 KiB it adds to the image.
section .data
align 4096
; The page directory of the first GiB, identity in 2 MiB pages: the stub
; copies the entries that cover RAM (boot_pt replaces the first).
boot_pd:
%assign i 0
%rep 512
	dq (i << 21) | 0x83             ; present, writable, 2 MiB page
%assign i i+1
%endrep

align 4096
boot_pt:
%assign i 0
%rep 512
	dq (i << 12) | 3                ; present, writable
%assign i i + 1
%endrep

; The first thing in .bss (the stub links first): a page the stub unmaps
; before calling C, so an overflow faults there instead of running into
; .data and .rodata below; the #PF cannot push its frame either, and the
; CPU escalates to #DF on its own IST stack (kernel/gdt.h), which reports.
section .bss nobits alloc write
align 4096
global boot_stack_guard
boot_stack_guard:
	resb 4096
boot_stack:
	resb 16384
global boot_stack_top
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
