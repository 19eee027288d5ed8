# vmmsim — a simulator and research testbed for VMM memory management.
# A new user needs two commands: `make demo` and `make check` (see README.md).
#
#   make            build bin/vmmsim (release)
#   make demo       install missing Debian packages, build, run the headline experiment
#   make check      install, build, run every test (also under ASan+UBSan)
#   make quick      the fast unit tests only (< 1 minute), for every commit
#   make bench      speed and memory figures -> results/bench.json
#   make deps       install missing Debian packages (scripts/deps.sh)
#   make clean
#
# Sources are found by wildcard: a new module is a new .c file, a new test
# suite is a new tests/unit/*.c file defining `Suite *suite_NAME(void)`.

CC      ?= cc
OPT     ?= -O2
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
CPPFLAGS_ALL := -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
PKGS    := yaml-0.1 gsl libzstd libxxhash
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# popcount is on the policies' slow paths; every x86-64 CPU of the last 15 years has it
ARCHFLAGS := $(if $(filter x86_64,$(shell uname -m)),-mpopcnt,)
CFLAGS_rel  := -std=c11 $(WARN) $(OPT) $(ARCHFLAGS) -g
CFLAGS_asan := -std=c11 $(WARN) -O1 $(ARCHFLAGS) -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_rel  :=
LDFLAGS_asan := -fsanitize=address,undefined

LIB_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c policies/*.c workloads/*.c traces/*.c vmm/*.c))
MAIN_SRC := sim/main.c
TEST_SRC := $(wildcard tests/unit/*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)

.PHONY: all demo check quick test test-rel test-asan bench deps clean guest riscv-tests traces
.DEFAULT_GOAL := all

all: bin/vmmsim

# ---- objects, per build flavour (rel, asan) -------------------------------
define flavour
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_$(1)) $$(CPPFLAGS_ALL) $$(PKG_CFLAGS) $$(CHECK_CFLAGS) -MMD -MP -c $$< -o $$@

build/$(1)/libvmmsim.a: $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRC))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^

build/$(1)/suites.inc: $$(TEST_SRC)
	@mkdir -p $$(dir $$@)
	@grep -ho '^Suite \*suite_[a-z0-9_]*(void)' $$(TEST_SRC) /dev/null | \
	  sed 's/^Suite \*\(suite_[a-z0-9_]*\)(void)/SUITE(\1)/' > $$@.tmp && mv $$@.tmp $$@

build/$(1)/tests/runner.o: tests/runner.c build/$(1)/suites.inc
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_$(1)) $$(CPPFLAGS_ALL) -Ibuild/$(1) $$(PKG_CFLAGS) $$(CHECK_CFLAGS) -c $$< -o $$@

build/$(1)/unit_tests: build/$(1)/tests/runner.o $$(patsubst %.c,build/$(1)/%.o,$$(TEST_SRC)) build/$(1)/libvmmsim.a
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS) $$(CHECK_LIBS)

build/$(1)/vmmsim: build/$(1)/sim/main.o build/$(1)/libvmmsim.a
	$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)
endef
$(eval $(call flavour,rel))
$(eval $(call flavour,asan))

bin/vmmsim: build/rel/vmmsim
	@mkdir -p bin
	cp $< $@

build/rel/bench: $(patsubst %.c,build/rel/%.o,$(BENCH_SRC)) build/rel/libvmmsim.a
	$(CC) -o $@ $^ $(PKG_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- the guest (RISC-V cross build; only when the cross compiler exists) --
guest:
	@if command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 && [ -f guest/Makefile ]; then \
	  $(MAKE) -C guest && $(MAKE) -C guest PV=1; \
	  else echo "guest: riscv64-unknown-elf-gcc or guest/Makefile missing, skipped"; fi

riscv-tests: build/riscv-tests/.built
build/riscv-tests/.built: third_party/riscv-tests-src.tar.zst scripts/build-riscv-tests.sh
	@mkdir -p build
	@echo "building riscv-tests (log: build/riscv-tests.log)"
	@scripts/build-riscv-tests.sh build/riscv-tests > build/riscv-tests.log 2>&1 || \
	  { cat build/riscv-tests.log; exit 1; }
	@touch $@

# ---- user-facing targets --------------------------------------------------
deps:
	@scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	bin/vmmsim sweep configs/double-paging.yaml
	@echo "demo: figure in results/double-paging/double-paging.png"

check: deps
	@$(MAKE) --no-print-directory test

quick: build/rel/unit_tests bin/vmmsim
	VMMSIM_QUICK=1 build/rel/unit_tests

test: test-rel test-asan

test-rel: build/rel/unit_tests bin/vmmsim guest riscv-tests
	build/rel/unit_tests

test-asan: build/asan/unit_tests build/asan/vmmsim guest riscv-tests
	VMMSIM_BIN=build/asan/vmmsim ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/asan/unit_tests

bench: deps
	@$(MAKE) --no-print-directory build/rel/bench bin/vmmsim guest
	build/rel/bench results/bench.json
	@if command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 && [ -f guest/Makefile ]; then \
	  $(MAKE) --no-print-directory -C guest bench && sh tests/bench/vmm_bench.sh results/bench-vmm.json; \
	  else echo "bench: riscv64-unknown-elf-gcc or guest/Makefile missing, VMM bench skipped"; fi
	sh tests/bench/trace_bench.sh results/bench-trace.json
	sh tests/bench/cache_bench.sh results/bench-cache.json

# Real page-reference traces: small Debian programs under Valgrind lackey,
# converted to the native format (see traces/README.md).
traces: bin/vmmsim
	@scripts/deps.sh traces
	scripts/make-traces.sh

clean:
	rm -rf build bin
	@if [ -f guest/Makefile ]; then $(MAKE) -C guest clean; fi
