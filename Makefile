# tmsim - one Makefile (STYLE.md habit 11).
#   make            build ./tmsim
#   make run        install missing packages, build, run configs/cluster.yaml
#   make check      install missing packages, build, run every test
#   make SANITIZE=address,undefined check    the same under ASan + UBSan
#   make golden     rewrite tests/golden/ after an intended output change
#   make bench      benchmarks (performance targets live here, not in tests)
#   make sdh-grid   SDH's accuracy grid as CSV and figures (results/sdh-grid)
#   make fuzz       libFuzzer targets (clang)
#   make install PREFIX=/usr/local
#   make deps       install missing Debian packages (apt-get, as root)
# V=1 shows the commands.

CC ?= cc
PREFIX ?= /usr/local
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build
OPT ?= -O2 -g
else
BUILD ?= build-san
OPT ?= -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

PKGS := gsl yaml-0.1 jansson libzstd zlib
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef -Wvla \
	-Wmissing-prototypes -Wstrict-prototypes
# Recursive (=) so pkg-config runs after `deps` has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
# Includes are written from the top of the tree ("lib/alloc.h"), or bare
# within one folder; docs/architecture.md gives the layers.
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) -I. \
	-MMD -MP -pthread $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -pthread $(LDLIBS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

MAIN_SRC := sim/cli/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(sort $(shell find lib sim models traces -name '*.c')))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libtmsim.a
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
TMSIM_BIN := $(BUILD)/tmsim

# Debian packages: pkg-config module -> package.
DEB_MAP := pkg-config:pkg-config gsl:libgsl-dev yaml-0.1:libyaml-dev \
	jansson:libjansson-dev libzstd:libzstd-dev zlib:zlib1g-dev \
	cmocka:libcmocka-dev

.PHONY: all run check unit e2e bench fuzz install clean deps report sweep-reports golden \
	sdh-grid
.SECONDARY:
all: $(if $(filter build,$(BUILD)),tmsim,$(TMSIM_BIN))

tmsim: $(TMSIM_BIN)
	$(Q)cp $< $@

run: deps all
	./tmsim configs/cluster.yaml

deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for pair in $(DEB_MAP); do \
		mod=$${pair%%:*}; deb=$${pair#*:}; \
		[ "$$mod" = pkg-config ] && continue; \
		pkg-config --exists "$$mod" 2>/dev/null || missing="$$missing $$deb"; \
	done; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	/usr/bin/python3 -c 'import matplotlib, pandas' >/dev/null 2>&1 || \
		missing="$$missing python3-matplotlib python3-pandas"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "tmsim: missing packages; run as root:"; \
			echo "  apt-get update && apt-get install -y$$missing"; exit 1; \
		fi; \
		echo "tmsim: installing$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(TMSIM_BIN): $(BUILD)/sim/cli/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

check: deps $(TMSIM_BIN) $(TEST_BIN)
	$(Q)TMSIM=$(abspath $(TMSIM_BIN)) BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN)

# Refresh the golden outputs of the shipped configs (tests/golden.sh); the
# commit that does so says why they changed.
golden: deps $(TMSIM_BIN)
	$(Q)TMSIM=$(abspath $(TMSIM_BIN)) sh tests/golden.sh update

bench: deps $(TMSIM_BIN) $(BENCH_BIN)
	$(Q)for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	$(Q)TMSIM=$(abspath $(TMSIM_BIN)) sh tests/bench/run.sh

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		OPT="-O1 -g -DTM_FUZZ_MAIN -fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-recover=all" fuzz-bins

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tmsim/configs \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 tmsim $(DESTDIR)$(PREFIX)/bin/tmsim
	install -m 644 configs/*.yaml $(DESTDIR)$(PREFIX)/share/tmsim/configs/
	install -m 644 docs/tmsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/tmsim.1
	install -d $(DESTDIR)$(PREFIX)/share/tmsim/analysis
	install -m 644 analysis/*.py $(DESTDIR)$(PREFIX)/share/tmsim/analysis/

# The demo's HTML report (docs/reports.md): run configs/cluster.yaml, add a
# generated phase-change trace's inspect JSON, write results/cluster/report.html.
# Debian's matplotlib lives under /usr/bin/python3 (deps checks that one).
REPORT_DIR := results/cluster
report: deps $(TMSIM_BIN)
	$(TMSIM_BIN) run configs/cluster.yaml -o $(REPORT_DIR) -q
	$(TMSIM_BIN) gen zipf --footprint 256MiB --s 1.1 --phase 1s:hotset \
		--footprint 512MiB --hot 64MiB --move 2s:256MiB --duration 3s \
		--rate 500k/s -o $(REPORT_DIR)/demo-trace.tmt
	$(TMSIM_BIN) inspect --json $(REPORT_DIR)/demo-trace.tmt \
		>$(REPORT_DIR)/demo-trace.inspect.json
	TMSIM_ANALYSIS=$(CURDIR)/analysis $(TMSIM_BIN) report $(REPORT_DIR)

# Run every example sweep and draw its report (results/sweeps/<name>/).
# SDH's accuracy grid (bench_sdh) as CSV, then its figures
# (docs/reports.md); BENCH_SDH_RECORDS sets the stream length.
sdh-grid: deps $(BUILD)/bench/bench_sdh
	@mkdir -p results/sdh-grid
	BENCH_SDH_PART=grid BENCH_SDH_CSV=results/sdh-grid/grid.csv \
		$(BUILD)/bench/bench_sdh >results/sdh-grid/grid.txt
	/usr/bin/python3 analysis/sdh_grid.py results/sdh-grid/grid.csv

sweep-reports: deps $(TMSIM_BIN)
	for f in configs/sweeps/accuracy.yaml configs/sweeps/migration.yaml; do \
		n=$$(basename $$f .yaml); \
		$(TMSIM_BIN) sweep $$f -j 2 -o results/sweeps/$$n || exit 1; \
		/usr/bin/python3 analysis/sweep_report.py results/sweeps/$$n || exit 1; \
	done

clean:
	rm -rf build build-san build-ndebug build-fuzz tmsim

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
