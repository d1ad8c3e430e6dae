#ifndef GDT_H
#define GDT_H

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS         0x18
#define TSS_IST_DF      1 /* #DF runs on its own stack: a blown stack still reports */

/* Replace the stub's GDT with the kernel's: 64-bit code, data, and a TSS
 * (needed for IST stacks, and by VMX as the host TR). */
void gdt_init(void);

#endif
