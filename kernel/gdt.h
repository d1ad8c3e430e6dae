#ifndef GDT_H
#define GDT_H

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS         0x18 /* two slots: a 64-bit TSS descriptor */
#define SEL_USER_DATA   0x28 /* DPL 3; with RPL 3 as selectors */
#define SEL_USER_CODE   0x30
#define TSS_IST_DF      1 /* #DF runs on its own stack: a blown stack still reports */

/* Replace the stub's GDT with the kernel's: 64-bit code, data, a TSS
 * (needed for IST stacks, by VMX as the host TR, and for the stack an
 * exception from CPL3 lands on), and CPL3 code and data (usermode.c). */
void gdt_init(void);

#endif
