# One entry point. Everything builds out of tree into build/.
#   make        build/vmm, build/kernel.img (raw disk image), build/kernel.elf
#   make run    boot the image under our VMM and show its console
#   make test   host tests, the guest suite under our VMM, QEMU and Bochs
#   make bench  side-by-side figures -> build/bench.json

B        := build
CC       ?= cc
NASM     ?= nasm
LD       ?= ld
OBJCOPY  ?= objcopy

WARN     := -Wall -Wextra -Werror
VMM_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Iinclude
# Guest code runs at CPL0, where some hosts emulate every instruction and
# lack SSE/x87: general registers only, no libc, no PIC, no red zone.
KCFLAGS  := -std=gnu11 -O2 -g $(WARN) -ffreestanding -nostdlib -fno-pic -fno-pie \
            -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
            -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
            -fno-toplevel-reorder -Iinclude -Ikernel -MMD

VMM_SRC  := $(wildcard vmm/*.c vmm/gdb/*.c)
VMM_OBJ  := $(VMM_SRC:vmm/%.c=$(B)/vmm-obj/%.o)
K_CSRC   := $(wildcard kernel/*.c kernel/*/*.c) $(wildcard tests/guest/*.c tests/bench/*.c)
K_ASRC   := boot/stub.asm $(wildcard kernel/*.asm kernel/*/*.asm)
K_OBJ    := $(K_ASRC:%.asm=$(B)/k/%.o) $(K_CSRC:%.c=$(B)/k/%.o)
GUESTS   := $(patsubst tests/guests/%.asm,$(B)/guests/%.img,$(wildcard tests/guests/*.asm))
# Host unit tests link the VMM's pure parts (no KVM) directly.
UNITS    := $(B)/unit_guest_mem $(B)/unit_hypercall $(B)/unit_views $(B)/unit_dump_pt $(B)/unit_insn
DEPS_OK  := $(B)/.deps-ok

.PHONY: all run test test-host test-vmm test-qemu test-bochs test-tools trace bench deps clean
all: $(B)/vmm $(B)/kernel.img

# make help: every target a user runs, one line each (docs/ says more).
.PHONY: help
help:
	@echo "make TARGET [VAR=value]; docs/ has a page per topic"
	@echo "  all           build build/vmm, build/kernel.img and build/kernel.elf (the default)"
	@echo "  run           build, boot build/kernel.img under build/vmm in a KVM world, show its console"
	@echo "  test          every suite: host tests, the guest suite under our VMM in every KVM world,"
	@echo "                QEMU and Bochs, then one total line (docs/testing.md)"
	@echo "  test-host     only the host tests against build/vmm, then the unit tests, on this machine"
	@echo "  test-vmm      only the guest suite under build/vmm, on this machine"
	@echo "  test-qemu     only the guest suite under QEMU TCG"
	@echo "  test-bochs    only the guest suite under Bochs"
	@echo "  test-tools    only the tests of the tools that look inside KVM, on this machine"
	@echo "  trace         look inside KVM while the image boots (docs/inside-kvm.md)"
	@echo "  mmu-map       KVM's second-stage map for one boot (intel world: the views tests); ARGS='-- VMM ARGS' for another guest or flags"
	@echo "  bench         figures beside their baselines -> build/bench.json, build/bench.png (docs/bench.md)"
	@echo "                KVM_MODULES=hc: the nested world with our patched kvm.ko (docs/hypercalls-in-kvm.md)"
	@echo "  fuzz          every libFuzzer harness, FUZZ_S=$(FUZZ_S) seconds each (docs/fuzzing.md)"
	@echo "  libfuzz-NAME  one harness; NAME: $(FUZZERS)"
	@echo "  fuzz-guest    FUZZ_GUESTS=$(FUZZ_GUESTS) generated guests against the VMM's exit paths;"
	@echo "                FUZZ_SEED=N repeats a run (random and printed when unset)"
	@echo "  gdb           build/vmm --gdb, with gdb on build/kernel.elf attached, in a KVM world;"
	@echo "                GDB_CMDS=FILE gdb's commands, VMM_ARGS='...' more VMM flags (docs/gdb.md)"
	@echo "  deps          install the missing tools (tools/install-deps.sh)"
	@echo "  clean         remove build/"
	@echo "  help          this list"

# Missing tools (nasm, qemu, bochs, ...) are installed by one script.
$(DEPS_OK): tools/install-deps.sh
	@bash tools/install-deps.sh
	@mkdir -p $(B) && touch $@
deps: $(DEPS_OK)

$(B)/vmm-obj/%.o: vmm/%.c $(wildcard vmm/*.h vmm/gdb/*.h include/*.h) $(B)/gen/syscall_names.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(VMM_CFLAGS) -I$(B)/gen -c $< -o $@

# System call names for the sandbox's SIGSYS message, from the UAPI header.
$(B)/gen/syscall_names.h: | $(DEPS_OK)
	@mkdir -p $(dir $@)
	echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
	  awk '/^#define __NR_[a-z0-9_]+ [0-9]+$$/ { sub("__NR_", "", $$2); print "\t[" $$3 "] = \"" $$2 "\"," }' | \
	  sort -t'[' -k2 -n | { echo 'static const char *const syscall_names[] = {'; cat; echo '};'; } >$@

$(B)/vmm: $(VMM_OBJ)
	$(CC) $(VMM_CFLAGS) -o $@ $^

# The same VMM with AddressSanitizer and UBSan, every report fatal: make
# test runs the host tests against it as one more suite.
ASAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(B)/vmm-asan-obj/%.o: vmm/%.c $(wildcard vmm/*.h vmm/gdb/*.h include/*.h) $(B)/gen/syscall_names.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(VMM_CFLAGS) $(ASAN_CFLAGS) -I$(B)/gen -c $< -o $@
$(B)/vmm-asan: $(VMM_SRC:vmm/%.c=$(B)/vmm-asan-obj/%.o)
	$(CC) $(VMM_CFLAGS) $(ASAN_CFLAGS) -o $@ $^

$(B)/k/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(B)/k/%.o: %.asm | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -Wall -o $@ $<

$(B)/kernel.elf: $(K_OBJ) linker/kernel.ld
	$(LD) -m elf_x86_64 -nostdlib -static -no-pie -z noexecstack --no-warn-rwx-segments -T linker/kernel.ld -o $@ $(K_OBJ)

# A raw disk image: the ELF's loadable bytes from 0x7c00, whole sectors.
$(B)/kernel.img: $(B)/kernel.elf
	$(OBJCOPY) -O binary $< $@
	truncate --size=%512 $@

$(B)/guests/%.img: tests/guests/%.asm $(wildcard tests/guests/*.inc) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/guests/ -o $@ $<

$(B)/unit_guest_mem: tests/host/unit_guest_mem.c vmm/guest_mem.c $(wildcard vmm/*.h include/*.h tests/host/*.h)
	$(CC) $(VMM_CFLAGS) -Ivmm -o $@ tests/host/unit_guest_mem.c vmm/guest_mem.c
$(B)/unit_hypercall: tests/host/unit_hypercall.c vmm/hypercall.c vmm/views.c vmm/guest_mem.c $(wildcard vmm/*.h include/*.h tests/host/*.h)
	$(CC) $(VMM_CFLAGS) -Ivmm -o $@ tests/host/unit_hypercall.c vmm/hypercall.c vmm/views.c vmm/guest_mem.c
$(B)/unit_views: tests/host/unit_views.c vmm/views.c vmm/hypercall.c vmm/guest_mem.c $(wildcard vmm/*.h include/*.h tests/host/*.h)
	$(CC) $(VMM_CFLAGS) -Ivmm -o $@ tests/host/unit_views.c vmm/views.c vmm/hypercall.c vmm/guest_mem.c
$(B)/unit_dump_pt: tests/host/unit_dump_pt.c vmm/dump_pt.c vmm/guest_mem.c $(wildcard vmm/*.h include/*.h tests/host/*.h)
	$(CC) $(VMM_CFLAGS) -Ivmm -o $@ tests/host/unit_dump_pt.c vmm/dump_pt.c vmm/guest_mem.c

$(B)/unit_insn: tests/host/unit_insn.c vmm/insn.c vmm/insn.h tests/host/tap.h
	$(CC) $(VMM_CFLAGS) -Ivmm -o $@ tests/host/unit_insn.c vmm/insn.c

# libFuzzer harnesses (tests/fuzz/, docs/fuzzing.md), built with clang out
# of tree in build/fuzz/. FUZZ_<name> lists the VMM sources each one tests;
# fuzz_flags.c takes flags.c's exit() (-Dexit=..., the harness says why).
FUZZ_CC     ?= clang
FUZZ_S      ?= 60
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iinclude -Ivmm \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZERS     := hypercall guest_mem loader flags dump_pt insn gdb
FUZZ_hypercall := vmm/hypercall.c vmm/views.c vmm/guest_mem.c
FUZZ_guest_mem := vmm/guest_mem.c
FUZZ_loader    := vmm/loader.c vmm/log.c vmm/guest_mem.c
FUZZ_flags     := vmm/flags.c -Dexit=fuzz_exit
FUZZ_dump_pt   := vmm/dump_pt.c vmm/guest_mem.c
FUZZ_insn      := vmm/insn.c
FUZZ_gdb       := vmm/gdb/gdb_packet.c
# Page tables need a few pages of RAM to point at each other; a walk through
# tables shared in a loop runs to its 100000-table limit: seconds under ASan.
FUZZ_OPTS_dump_pt := -max_len=20488 -timeout=30
# Past PacketSize (4096), so oversize packets are reached.
FUZZ_OPTS_gdb := -max_len=10000

# Each rebuilt only when its own sources change, so replay stays quick.
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard vmm/*.h vmm/gdb/*.h include/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_$*)
$(foreach f,$(FUZZERS),$(eval $(B)/fuzz/fuzz_$(f): $(filter %.c,$(FUZZ_$(f)))))

# make fuzz (one harness: make libfuzz-NAME): each harness FUZZ_S seconds
# from its corpus; new inputs go to build/fuzz/NAME/, crashes to
# build/fuzz/NAME-crash-*, the log to build/fuzz/NAME.log.
.PHONY: fuzz
fuzz: $(FUZZERS:%=libfuzz-%)
libfuzz-%: $(B)/fuzz/fuzz_%
	@mkdir -p $(B)/fuzz/$*
	@echo "fuzz $*: $(FUZZ_S) s, log $(B)/fuzz/$*.log"
	@$< -max_total_time=$(FUZZ_S) -timeout=10 -close_fd_mask=3 -print_final_stats=1 \
	  -artifact_prefix=$(B)/fuzz/$*- $(FUZZ_OPTS_$*) $(B)/fuzz/$* tests/fuzz/corpus/$* \
	  >$(B)/fuzz/$*.log 2>&1; s=$$?; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^SUMMARY|ERROR' $(B)/fuzz/$*.log; exit $$s

# Where /dev/kvm is missing, in the nested kvm_amd world (tools/worlds/in-kvm).
run: all
	@tools/worlds/in-kvm -v $(B)/vmm --timeout 120 $(B)/kernel.img

test: all $(B)/vmm-asan $(GUESTS) $(UNITS) $(B)/gdb/i8086.xml
	@bash tests/run_all.sh

# The baseline of the boot figure: the seed's kvm-hello-world, built
# unchanged from the seed text (the C from `#include <err.h>` to the
# closing fence), with the compiler's defaults. tools/bench/seed/ keeps that C
# as extracted, for clones without the seed notes beside them; where the
# seed text is there, the build checks that the copy still equals it.
SEED_TEXT := ../shared/seeds/000_6b61331604b169ee.txt
SEED_C    := tools/bench/seed/kvm_hello_world.c
$(B)/kvm_hello_world: $(SEED_C) $(wildcard $(SEED_TEXT))
	@mkdir -p $(dir $@)
	@if [ -f $(SEED_TEXT) ]; then \
	  sed -n '/^#include <err.h>$$/,/^```$$/p' $(SEED_TEXT) | sed '$$d' | cmp -s - $(SEED_C) || \
	  { echo "$(SEED_C) differs from the C in $(SEED_TEXT): extract it again" >&2; exit 1; }; fi
	$(CC) -o $@ $(SEED_C)

# The chart needs Debian's matplotlib, which Debian's own python3 imports.
bench: all $(B)/kvm_hello_world
	@python3 tools/bench/bench.py
	@/usr/bin/python3 tools/bench/bench_chart.py

# The guest-side fuzzer of the exit paths (tools/fuzz-guest/fuzz_guest.py, docs/fuzzing.md,
# "Guest fuzzer"), through tools/worlds/in-kvm: FUZZ_GUESTS boot sectors, seed
# FUZZ_SEED (random and printed when unset), under each of VMMS present.
FUZZ_GUESTS ?= 2000
.PHONY: fuzz-guest
fuzz-guest: all
	@FUZZ_SEED=$(FUZZ_SEED) python3 tools/fuzz-guest/fuzz_guest.py --count $(FUZZ_GUESTS)

test-host: all $(GUESTS) $(UNITS)
	@VMM=$(B)/vmm GUESTS=$(B)/guests bash tests/host/run.sh
	@for u in $(UNITS); do $$u || exit 1; done
test-vmm: all
	@bash tests/run_guest.sh vmm
test-qemu: all
	@bash tests/run_guest.sh qemu
test-bochs: all
	@bash tests/run_guest.sh bochs
test-tools: all
	@VMM=$(B)/vmm IMAGE=$(B)/kernel.img bash tests/host/tools.sh

# Look inside KVM while the image boots (root, bpftrace; tools/inside-kvm/kvm-trace.sh),
# through tools/worlds/in-kvm: here if /dev/kvm works, else in the nested kvm_amd world;
# KVM_WORLD=intel: the seed's probes on kvm_intel, with bpftrace loaded there
# (IN_KVM_BPFTRACE=1, ignored elsewhere; tools/worlds/intel/seed-trace.sh).
trace: all
	@IN_KVM_BPFTRACE=1 tools/worlds/in-kvm bash tools/inside-kvm/kvm-trace.sh

# KVM's second-stage map for one boot (tools/inside-kvm/kvm-mmu-map.sh), in a KVM world
# (bpftrace where the world has it; the intel world's tracefs, unless IN_KVM_BPFTRACE=1);
# ARGS='-- VMM ARGS' runs another guest or flags (docs/inside-kvm.md). In the intel
# world the default run is the views tests: KVM's shadow EPT root per view.
.PHONY: mmu-map
mmu-map: all $(GUESTS)
	@tools/worlds/in-kvm bash tools/inside-kvm/kvm-mmu-map.sh \
		$(or $(ARGS),$(if $(filter intel,$(KVM_WORLD)),-- --timeout 60 -c 'test=views*' $(B)/kernel.img))

clean:
	rm -rf $(B)

-include $(K_OBJ:.o=.d)

# The GDB stub (docs/gdb.md). Its i8086 target
# description, for reading real-mode code, comes from the stub's own table.
$(B)/gdb/i8086.xml: tools/gdb/gdb_tdesc.c vmm/gdb/gdb_regs.c vmm/gdb/gdb.h
	@mkdir -p $(dir $@)
	$(CC) $(VMM_CFLAGS) -Ivmm -o $(B)/gdb/tdesc tools/gdb/gdb_tdesc.c vmm/gdb/gdb_regs.c
	$(B)/gdb/tdesc >$@

# make gdb: build, start the VMM with --gdb and gdb on build/kernel.elf
# attached to it, in a KVM world (tools/worlds/in-kvm; gdb runs there too).
# GDB_CMDS=FILE: gdb commands to run (the nested world has no stdin, so
# there a command file is all gdb gets; tools/gdb/session.gdb by default).
# VMM_ARGS: more VMM flags (-c boot-only, --gdb-wait=no, ...).
.PHONY: gdb
gdb: all $(B)/gdb/i8086.xml
	@tools/worlds/in-kvm -v bash tools/gdb/gdb-session.sh
