# make gdb's commands where gdb has no terminal (the nested world): stop
# at the C entry, show where and the registers gdb gets, step, run on.
break kernel_main
continue
bt
info registers rip rsp eflags cs cr0 cr3 cr4 efer
x/4i $pc
stepi 3
info registers rip
continue
