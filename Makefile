# btbpf-tools: libbpf CO-RE tools for the Linux Bluetooth stack.
#
#   make                 build every tool (tools/<tool>.c + bpf/<tool>.bpf.c)
#   make check           unit tests: no root, no VM, seconds
#   make vmtest          integration tests in the qemu guest (tests/vm)
#   make test            both
#   make install         DESTDIR, prefix, sbindir, mandir, APP_PREFIX honoured
#   make static          self-contained binaries in $(OUTPUT)/static
#
# Generated files (.bpf.o, .skel.h, objects) go to $(OUTPUT), never into the
# source folders.  Nothing here reads the build host's kernel: kernel types
# come from bpf/bt_types.bpf.h (minimal CO-RE definitions).

OUTPUT     ?= build
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL    ?= bpftool
INSTALL    ?= install
PKG_CONFIG ?= pkg-config

prefix     ?= /usr/local
sbindir    ?= $(prefix)/sbin
mandir     ?= $(prefix)/share/man
datadir    ?= $(prefix)/share
bashcompdir ?= $(datadir)/bash-completion/completions
APP_PREFIX ?=

# Target architecture for the BPF side (PT_REGS macros); override to cross.
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
ifneq ($(ARCH),x86)
$(error architecture $(ARCH) is not supported yet: bpf/bt_types.bpf.h defines pt_regs for x86 only)
endif

VERSION := 0.1.0
# Uapi headers (asm/types.h) for the BPF compile live in the multiarch dir.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# User-space flags: the environment's CFLAGS/CPPFLAGS/LDFLAGS are kept (distro
# hardening) and ours are appended.  The BPF side has its own BPF_CFLAGS,
# because distro flags (-fcf-protection, -specs=...) break clang -target bpf.
CFLAGS     ?= -g -O2
BPF_CFLAGS ?= -g -O2
PREFIX_MAP := -ffile-prefix-map=$(CURDIR)/=
override CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers \
	-std=gnu11 $(PREFIX_MAP)
override CPPFLAGS += -I$(OUTPUT) -Icommon -Ibpf -DBTBPF_VERSION='"$(VERSION)"'
LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   ?= $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)
LDLIBS += $(LIBBPF_LIBS) -lelf -lz
# clang 14 writes the compilation directory into the BTF line info whatever
# -ffile-prefix-map says; -fdebug-compilation-dir=. keeps the build path out
# of the BPF objects (and so of the skeletons and binaries).
BPF_FLAGS := -target bpf -D__TARGET_ARCH_$(ARCH) $(BPF_CFLAGS) -Wall \
	$(PREFIX_MAP) -fdebug-compilation-dir=. -Ibpf -I/usr/include/$(MULTIARCH)

TOOLS  := $(sort $(patsubst tools/%.c,%,$(wildcard tools/*.c)))
COMMON := $(sort $(patsubst common/%.c,%,$(wildcard common/*.c)))
COMMON_OBJ := $(COMMON:%=$(OUTPUT)/common/%.o)
UNIT   := $(sort $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c)))
MANS   := $(sort $(wildcard man/*.8))
# Shell tests run by make check next to the C ones (man pages, completion)
UNIT_SH := $(sort $(wildcard tests/unit/test_*.sh))
# One completion script for every tool; the real file and a link per tool.
COMPFILE := $(APP_PREFIX)btbpf-tools
ASAN_OUTPUT ?= $(OUTPUT)/asan
ASAN_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# Helper programs of the guest test bed (H:4 bridge, senders)
TESTPROGS := $(sort $(patsubst tests/vm/%.c,%,$(wildcard tests/vm/*.c)))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all static check vmtest vmtest-bluez test install uninstall clean check-asan pkgtest
.DELETE_ON_ERROR:
.SECONDARY:

all: $(TOOLS:%=$(OUTPUT)/%)

$(OUTPUT) $(OUTPUT)/common $(OUTPUT)/tools $(OUTPUT)/unit $(OUTPUT)/tests $(OUTPUT)/static:
	$(Q)mkdir -p $@

# 1. BPF object: compile, then drop DWARF (keeps .BTF/.BTF.ext for CO-RE).
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_FLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

# 2. Skeleton; the C name is <tool>_bpf, with "-" turned into "_".
$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# 3. User space.
$(OUTPUT)/common/%.o: common/%.c $(wildcard common/*.h) | $(OUTPUT)/common
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(LIBBPF_CFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/tools/%.o: tools/%.c $(OUTPUT)/%.skel.h $(wildcard common/*.h) $(wildcard bpf/*.h) | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(LIBBPF_CFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/%: $(OUTPUT)/tools/%.o $(COMMON_OBJ)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The same objects linked with -static (libc, libbpf, libelf, zlib inside):
# one file that runs on any x86-64 distribution whatever its libbpf, and
# about 1 MB less resident memory, since neither ld.so nor the shared
# libraries' relocated pages are mapped.  Distribution packages keep the
# dynamic build (lintian: statically-linked-binary).
static: $(TOOLS:%=$(OUTPUT)/static/%)

$(OUTPUT)/static/%: $(OUTPUT)/tools/%.o $(COMMON_OBJ) | $(OUTPUT)/static
	$(call msg,STATIC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -static $^ $(LDLIBS) -o $@

# Unit tests: plain programs linked with the common library, no BPF.
$(OUTPUT)/unit/%: tests/unit/%.c tests/unit/unit.h $(COMMON_OBJ) | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(LIBBPF_CFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) $< $(COMMON_OBJ) $(LDLIBS) -o $@

check: all $(UNIT:%=$(OUTPUT)/unit/%)
	$(Q)tests/unit/run.sh $(UNIT:%=$(OUTPUT)/unit/%)
	$(Q)BTBPF_OUTPUT=$(OUTPUT) tests/unit/run.sh $(UNIT_SH)

# User space again with ASan/UBSan into $(ASAN_OUTPUT) (under build/, so
# make clean removes it), then the unit tests against those binaries.
check-asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(ASAN_OUTPUT) CFLAGS='$(ASAN_FLAGS)' \
		LDFLAGS='-fsanitize=address,undefined' all $(UNIT:%=$(ASAN_OUTPUT)/unit/%)
	$(Q)tests/unit/asan.sh $(ASAN_OUTPUT) $(UNIT:%=$(ASAN_OUTPUT)/unit/%)

# The Debian package: clean build from HEAD, lintian, contents, reproducible.
pkgtest:
	$(Q)tests/pkg/build-deb.sh

$(OUTPUT)/tests/%: tests/vm/%.c $(wildcard tests/vm/*.h) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -pthread -o $@

vmtest: all static $(TESTPROGS:%=$(OUTPUT)/tests/%)
	$(Q)tests/vm/run-tests.sh

test: check vmtest

# BlueZ's testers traced, all five (make vmtest runs l2cap, sco, iso and rfcomm:
# mgmt-tester takes many minutes under TCG).
vmtest-bluez: all $(TESTPROGS:%=$(OUTPUT)/tests/%)
	$(Q)BTBPF_BLUEZ_TESTERS="l2cap sco iso rfcomm mgmt" BTBPF_BLUEZ_BARE_RUNS=2 \
		tests/vm/run-tests.sh tests/vm/t-bluez.sh

# Benchmarks against bpftrace equivalents (bench/), in the guest; not in test.
.PHONY: bench
bench: all static $(TESTPROGS:%=$(OUTPUT)/tests/%) $(OUTPUT)/bench/emptyf
	$(Q)OUTPUT=$(OUTPUT) bench/run.sh

# The fentry floor (bench/emptyf.c): empty programs loaded by the tools' own
# common layer, so its skeleton is built as theirs are.
$(OUTPUT)/emptyf.bpf.o: bench/emptyf.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_FLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/bench/emptyf: bench/emptyf.c $(OUTPUT)/emptyf.skel.h $(COMMON_OBJ)
	$(call msg,BINARY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(LIBBPF_CFLAGS) $(CFLAGS) $(LDFLAGS) $< $(COMMON_OBJ) $(LDLIBS) -o $@

install: all
	$(INSTALL) -d -m 755 $(DESTDIR)$(sbindir) $(DESTDIR)$(mandir)/man8
	$(foreach t,$(TOOLS),$(INSTALL) -m 755 $(OUTPUT)/$(t) $(DESTDIR)$(sbindir)/$(APP_PREFIX)$(t);)
	$(foreach m,$(MANS),$(INSTALL) -m 644 $(m) $(DESTDIR)$(mandir)/man8/$(APP_PREFIX)$(notdir $(m));)
	$(INSTALL) -d -m 755 $(DESTDIR)$(bashcompdir)
	sed -e 's/@APP_PREFIX@/$(APP_PREFIX)/' -e 's/@NAMES@/$(TOOLS:%=$(APP_PREFIX)%)/' \
		completion/btbpf-tools.bash > $(DESTDIR)$(bashcompdir)/$(COMPFILE)
	chmod 644 $(DESTDIR)$(bashcompdir)/$(COMPFILE)
	$(foreach t,$(TOOLS),ln -sfn $(COMPFILE) $(DESTDIR)$(bashcompdir)/$(APP_PREFIX)$(t);)

uninstall:
	$(foreach t,$(TOOLS),rm -f $(DESTDIR)$(sbindir)/$(APP_PREFIX)$(t);)
	$(foreach m,$(MANS),rm -f $(DESTDIR)$(mandir)/man8/$(APP_PREFIX)$(notdir $(m));)
	$(foreach t,$(TOOLS),rm -f $(DESTDIR)$(bashcompdir)/$(APP_PREFIX)$(t);)
	rm -f $(DESTDIR)$(bashcompdir)/$(COMPFILE)

clean:
	rm -rf $(OUTPUT)
