# redrive - non-recursive build.  lib/ becomes one static library; every
# cmd/rd-*.c links it into one binary.  See README.md for the targets.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC       ?= cc
OPT      ?= -O2 -g
SANITIZE ?=
# A sanitizer build lives apart so that plain and instrumented objects
# never mix.
ifeq ($(SANITIZE),)
BUILD    ?= build
else
BUILD    ?= build-san
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wundef -Wpointer-arith -Wvla -Wcast-align \
       -Wwrite-strings -Wno-unused-parameter
ifneq ($(CI),)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

CPPFLAGS += -D_GNU_SOURCE -Ilib
CFLAGS   += -std=c11 -pthread $(OPT) $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
# libcurl, libjq and libnats are opened on first use (lib/lazy.h), not linked.
LDLIBS   += -Wl,--as-needed -lpcre2-8 -ldeflate -lz -lmicrohttpd -lm -ldl -pthread

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBRD    := $(BUILD)/librd.a
CMD_SRC  := $(sort $(wildcard cmd/rd-*.c))
BINS     := $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# rd-downstream-*.c are parts of rd-downstream, not helpers of their own.
HELPER_SRC := $(filter-out tests/helpers/rd-downstream-%.c,$(sort $(wildcard tests/helpers/*.c)))
HELPERS  := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

# libFuzzer targets, built apart with clang (tests/fuzz/).
FUZZ_BUILD := build-fuzz
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_CFLAGS := -std=c11 -g -O1 -pthread -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -MMD -MP
FUZZ_TIME ?= 60

DEPS_STAMP := $(BUILD)/.deps-ok

# Keep objects: they are not throwaway intermediates.
.SECONDARY:

.PHONY: all deps check unit bats bench install uninstall clean demo fuzz fuzz-build torture
all: $(BINS)

# Install missing Debian packages once per build tree; the script itself
# is a no-op when everything is present.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): .ci/deps
	@sh .ci/deps build
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBRD): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(LIBRD)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBRD)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# rd-downstream is linked from its parts, which share rd-downstream.h.
RD_DOWNSTREAM_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tests/helpers/rd-downstream*.c)))
$(BUILD)/tests/rd-downstream: $(RD_DOWNSTREAM_OBJ) $(LIBRD)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(RD_DOWNSTREAM_OBJ): tests/helpers/rd-downstream.h

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIBRD)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# clang and its fuzzer runtime come with the test packages.  Ordered after
# the build stamp: two package installs at once under `make -j` would fight
# over the package manager's lock.
$(FUZZ_BUILD)/.deps-ok: .ci/deps | $(DEPS_STAMP)
	@sh .ci/deps test
	@mkdir -p $(@D) && touch $@

$(FUZZ_BUILD)/lib/%.o: lib/%.c | $(FUZZ_BUILD)/.deps-ok
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/librd.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/librd.a
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# `make fuzz` fuzzes every target for FUZZ_TIME seconds (default 60).
fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/run $(FUZZ_BUILD) -max_total_time=$(FUZZ_TIME)

# `make torture N=1000`: the long fault and fuzz runs, with a summary.
N ?= 100
torture: $(BINS) $(HELPERS) $(FUZZ_BINS)
	@sh .ci/deps test
	@N=$(N) BUILD=$(BUILD) sh tests/torture.sh

# `make check` runs every unit test and bats suite and ends with the line
# "N passed, N failed".  It builds the fuzz targets too: tests/fuzz.bats
# runs each over its corpus and briefly beyond.
check: $(BINS) $(UNITS) $(HELPERS) $(FUZZ_BINS)
	@sh .ci/deps test
	@BUILD=$(BUILD) sh tests/run $(UNITS)

# bench/members.c is a measuring tool, not part of redrive: it builds
# members with zlib or libdeflate, to compare the two.
$(BUILD)/bench/members: bench/members.c | $(DEPS_STAMP)
	@sh .ci/deps bench
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lz -ldeflate

bench: $(BINS) $(HELPERS) $(BUILD)/bench/members
	@sh .ci/deps bench
	@BUILD=$(BUILD) sh bench/run

demo: $(BINS) $(HELPERS)
	@sh .ci/deps test
	@BUILD=$(BUILD) sh examples/demo.sh

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	for f in completions/*.bash; do install -m 0644 $$f $(DESTDIR)$(BASHCOMPDIR)/$$(basename $$f .bash); done
	install -m 0644 $(wildcard completions/_*) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0644 $(wildcard completions/*.fish) $(DESTDIR)$(FISHCOMPDIR)

uninstall:
	rm -f $(BINS:$(BUILD)/bin/%=$(DESTDIR)$(BINDIR)/%) \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard man/*.1)) \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man5/%,$(wildcard man/*.5)) \
		$(patsubst man/%,$(DESTDIR)$(MANDIR)/man7/%,$(wildcard man/*.7)) \
		$(patsubst completions/%.bash,$(DESTDIR)$(BASHCOMPDIR)/%,$(wildcard completions/*.bash)) \
		$(patsubst completions/%,$(DESTDIR)$(ZSHCOMPDIR)/%,$(wildcard completions/_*)) \
		$(patsubst completions/%,$(DESTDIR)$(FISHCOMPDIR)/%,$(wildcard completions/*.fish))

clean:
	rm -rf build build-san build-fuzz

-include $(FUZZ_LIB_OBJ:.o=.d)
-include $(LIB_OBJ:.o=.d) $(BINS:$(BUILD)/bin/%=$(BUILD)/cmd/%.d) \
	$(UNITS:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
