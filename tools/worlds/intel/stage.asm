; stage.asm: the intel world's loader, at 0x8800 (mbr.asm loads it).
;
; Debian's bzImage decompresses itself with xz, ~110 s under Debian's
; Bochs. Its vmlinux has CONFIG_PVH=y: an ELF note names a 32-bit entry
; that takes a struct hvm_start_info (Xen's public arch-x86/hvm/start_info.h
; layout) in EBX, in 32-bit protected mode with paging off. So we load the
; uncompressed vmlinux's segments ourselves and enter there.
;
; Inputs, laid out by pack.py:
;  - the load table at 0x8000 (boot disk LBA 1-4): "IKLD", the PVH entry,
;    the entry count, the initrd's load address, then 16-byte entries
;    {lba, sectors, dest, kind}: kind 0 reads the sectors from the boot
;    disk to dest, kind 1 zeroes as many bytes at dest (runs of zeros and
;    the bss are not stored);
;  - the job disk (BIOS drive 0x81, a new one each run): LBA 0 holds
;    "IKRD", the initrd's size in bytes and, at +16, the kernel command
;    line; the initrd follows from LBA 1.
; BIOS int 13h reads land in a real-mode buffer; each chunk is moved to
; its place above 1 MiB by a short trip to 32-bit protected mode and back.
; Messages go to COM1, the world's console file.
bits 16
org 0x8800

%define TABLE    0x8000
%define T_ENTRY  TABLE + 4
%define T_COUNT  TABLE + 8
%define T_INITRD TABLE + 12
%define T_FIRST  TABLE + 16
%define T_MAX    127                ; (4 * 512 - 16) / 16
%define INFO     0x6000             ; struct hvm_start_info
%define MODLIST  0x6100             ; one struct hvm_modlist_entry: the initrd
%define MEMMAP   0x6200             ; struct hvm_memmap_table_entry[MEM_MAX]
%define MEM_MAX  32
%define RDHEAD   0x7000             ; the job disk's LBA 0; cmdline at +16
%define BUF_SEG  0x1000             ; reads land at 0x10000
%define CHUNK    64                 ; sectors a read: 32 KiB
%define JOB_DRIVE 0x80 + 1
%define HVM_START_MAGIC 0x336ec578

%define SEL_CODE32 0x08
%define SEL_DATA32 0x10
%define SEL_CODE16 0x18
%define SEL_DATA16 0x20

start:
	mov [boot_drive], dl
	mov dx, 0x3fb                   ; COM1: 115200 8N1 (the BIOS leaves it
	mov al, 0x80                    ; unprogrammed, and Bochs sends nothing
	out dx, al                      ; at divisor 0)
	mov dx, 0x3f8
	mov al, 1
	out dx, al
	inc dx
	xor al, al
	out dx, al
	mov dx, 0x3fb
	mov al, 3
	out dx, al
	mov si, msg_hello
	call puts
	cmp dword [TABLE], "IKLD"
	jne bad_table
	mov eax, [T_COUNT]
	cmp eax, T_MAX
	ja bad_table
	in al, 0x92                     ; A20 on (the fast gate), never reset
	or al, 2
	and al, 0xfe
	out 0x92, al
	call read_memmap

	; The job disk's header: initrd size and command line.
	mov dl, JOB_DRIVE
	xor eax, eax
	mov cx, 1
	call read_chunk
	push ds
	mov ax, BUF_SEG
	mov ds, ax
	xor si, si
	mov di, RDHEAD
	mov cx, 256
	rep movsw
	pop ds
	cmp dword [RDHEAD], "IKRD"
	jne bad_job

	; The kernel's segments, entry by entry.
	mov si, T_FIRST
.next_check:
	mov eax, [count_done]
	cmp eax, [T_COUNT]
	je .kernel_done
	mov eax, [si]
	mov [cur_lba], eax
	mov eax, [si + 4]
	mov [left], eax
	mov eax, [si + 8]
	mov [dest], eax
	mov al, [boot_drive]
	mov [cur_drive], al
	cmp dword [si + 12], 1
	je .zero
	push si
	call load_run
	pop si
	jmp .advance
.zero:
	mov edi, [dest]
	mov ecx, [left]                 ; bytes, a multiple of 4
	shr ecx, 2
	mov ebp, 1
	call pm_move
.advance:
	add si, 16
	inc dword [count_done]
	jmp .next_check
.kernel_done:
	mov si, msg_kernel
	call puts

	; The initrd, from LBA 1 of the job disk.
	mov eax, [RDHEAD + 4]
	add eax, 511
	shr eax, 9
	mov [left], eax
	mov dword [cur_lba], 1
	mov eax, [T_INITRD]
	mov [dest], eax
	mov byte [cur_drive], JOB_DRIVE
	call load_run

	; struct hvm_start_info, version 1 (a memory map; Linux requires it
	; outside Xen), one module: the initrd.
	mov di, INFO
	mov cx, 56 / 2
	xor ax, ax
	rep stosw
	mov dword [INFO], HVM_START_MAGIC
	mov dword [INFO + 4], 1         ; version
	mov dword [INFO + 12], 1        ; nr_modules
	mov dword [INFO + 16], MODLIST  ; modlist_paddr
	mov dword [INFO + 24], RDHEAD + 16 ; cmdline_paddr
	mov dword [INFO + 40], MEMMAP   ; memmap_paddr
	mov eax, [mem_count]
	mov [INFO + 48], eax            ; memmap_entries
	mov di, MODLIST
	mov cx, 32 / 2
	xor ax, ax
	rep stosw
	mov eax, [T_INITRD]
	mov [MODLIST], eax              ; paddr
	mov eax, [RDHEAD + 4]
	mov [MODLIST + 8], eax          ; size
	mov si, msg_enter
	call puts

	cli
	lgdt [gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp SEL_CODE32:.pvh32
bits 32
.pvh32:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov ebx, INFO
	jmp [T_ENTRY]
bits 16

; load_run: [left] sectors from [cur_drive] at [cur_lba] to [dest], a chunk
; at a time.
load_run:
.more:
	mov eax, [left]
	test eax, eax
	jz .done
	mov cx, CHUNK
	cmp eax, CHUNK
	jae .n
	mov cx, ax
.n:
	mov [n], cx
	mov dl, [cur_drive]
	mov eax, [cur_lba]
	call read_chunk
	mov esi, BUF_SEG * 16
	mov edi, [dest]
	movzx ecx, word [n]
	shl ecx, 7                      ; dwords
	xor ebp, ebp
	call pm_move
	movzx eax, word [n]
	add [cur_lba], eax
	sub [left], eax
	shl eax, 9
	add [dest], eax
	jmp .more
.done:
	ret

; read_chunk: CX sectors from drive DL at LBA EAX to BUF_SEG:0.
read_chunk:
	mov [dap_lba], eax
	mov [dap_count], cx
	mov si, dap
	mov ah, 0x42
	int 0x13
	jc disk_error
	ret

; pm_move: in 32-bit protected mode, copy ECX dwords from ESI to EDI
; (EBP = 0) or zero ECX dwords at EDI (EBP = 1); back in real mode after.
pm_move:
	cli
	lgdt [gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp SEL_CODE32:.p32
bits 32
.p32:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	cld
	test ebp, ebp
	jnz .zero
	rep movsd
	jmp .back
.zero:
	xor eax, eax
	rep stosd
.back:
	jmp SEL_CODE16:.p16
bits 16
.p16:
	mov ax, SEL_DATA16                ; real-mode limits before PE goes off
	mov ds, ax
	mov es, ax
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	jmp 0:.real
.real:
	xor ax, ax
	mov ds, ax
	mov es, ax
	ret

; read_memmap: the BIOS's E820 map, as hvm_memmap_table_entry (the E820
; entry's 20 bytes and a zero), up to MEM_MAX entries.
read_memmap:
	xor ebx, ebx
	mov di, MEMMAP
.next:
	mov eax, 0xe820
	mov edx, 0x534d4150             ; "SMAP"
	mov ecx, 20
	int 0x15
	jc .done
	cmp eax, 0x534d4150
	jne .done
	mov dword [di + 20], 0
	add di, 24
	inc dword [mem_count]
	cmp dword [mem_count], MEM_MAX
	je .done
	test ebx, ebx
	jnz .next
.done:
	cmp dword [mem_count], 0
	je no_memmap
	ret

no_memmap:
	mov si, msg_memmap
	jmp fail
bad_table:
	mov si, msg_table
	jmp fail
bad_job:
	mov si, msg_job
	jmp fail
disk_error:
	mov si, msg_disk
fail:
	call puts
.halt:
	cli
	hlt
	jmp .halt

; puts: the NUL-terminated string at SI to COM1, each byte once the
; transmitter holds none.
puts:
	lodsb
	test al, al
	jz .e
	mov ah, al
	mov dx, 0x3fd
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov al, ah
	mov dx, 0x3f8
	out dx, al
	jmp puts
.e:
	ret

align 8
gdt:    dq 0
	dq 0x00cf9a000000ffff           ; 0x08 code, 32-bit, flat
	dq 0x00cf92000000ffff           ; 0x10 data, flat
	dq 0x00009a000000ffff           ; 0x18 code, 16-bit, 64 KiB
	dq 0x000092000000ffff           ; 0x20 data, 64 KiB
gdtr:   dw gdtr - gdt - 1
	dd gdt

dap:    db 16, 0
dap_count: dw 0
	dw 0, BUF_SEG                   ; offset, segment
dap_lba: dq 0

boot_drive: db 0
cur_drive:  db 0
n:          dw 0
count_done: dd 0
mem_count:  dd 0
cur_lba:    dd 0
left:       dd 0
dest:       dd 0

msg_hello:  db "inkvm loader: loading the kernel (PVH entry)", 10, 0
msg_kernel: db "inkvm loader: kernel loaded; loading the initrd", 10, 0
msg_enter:  db "inkvm loader: entering the kernel", 10, 0
msg_table:  db "inkvm loader: no load table at LBA 1 (pack.py)", 10, 0
msg_job:    db "inkvm loader: no IKRD header on the job disk (drive 0x81)", 10, 0
msg_disk:   db "inkvm loader: int 13h read failed", 10, 0
msg_memmap: db "inkvm loader: the BIOS gave no E820 memory map", 10, 0

	times 4 * 512 - ($ - $$) db 0
