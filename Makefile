# The front door. `make` builds build/portscope; `make run` installs what is missing, builds and
# audits this machine; `make test` does the same set-up and runs the whole suite; `make bench`
# runs the benchmarks. Meson and Ninja do the real work.
BUILD ?= build
ASAN_BUILD ?= build-asan
SHARED ?= $(abspath ../shared)
IANA_DIR := $(SHARED)/data/iana
MESON_TEST_ARGS ?=

export PORTSCOPE_TEST_IANA_DIR := $(if $(wildcard $(IANA_DIR)/service-names-port-numbers.2026-02.csv),$(IANA_DIR),)

.PHONY: all deps run test test-asan fuzz bench clean install deb

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

deps:
	@bash scripts/deps.sh

# The audit exits 1 when it has findings: that is its answer, not a failure of `make run`.
run: deps all
	@./$(BUILD)/portscope; rc=$$?; [ $$rc -le 1 ] || exit $$rc

test: deps all
	@bash scripts/run-tests.sh $(BUILD) $(MESON_TEST_ARGS)

$(ASAN_BUILD)/build.ninja:
	CC=clang meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

test-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	@bash scripts/run-tests.sh $(ASAN_BUILD) $(MESON_TEST_ARGS)

FUZZ_SECONDS ?= 20
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

bench: deps all
	@bash scripts/deps.sh bench
	@bash bench/run-all.sh $(BUILD)

install: all
	meson install -C $(BUILD)

# The Debian package (debian/, dh + Meson), built in a copy of the tree under $(BUILD)/deb:
# `make deb && sudo apt install ./$(BUILD)/deb/portscope_*.deb`. Needs debhelper (scripts/deps.d/ship.bench.list).
deb:
	@bash scripts/deb.sh $(BUILD)/deb

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) .fuzz
