# Thin wrapper around Meson + Ninja.  See README.md.
BUILD	?= build
ASAN	?= build-asan
FUZZDIR	?= build-fuzz
# Seconds of real libFuzzer (ASan+UBSan) per fuzz target in `make check`.
FUZZ_SECONDS ?= 4
MESON	?= meson
NINJA	?= ninja

# make's build directories carry the test-only knobs (testhook.h), which
# the tests and benches need; one configured before the option existed is
# switched over in place.  A build for installation is a plain meson setup.
HOOKS	= -Dtest_hooks=true
hooks	= grep -qs '"name": "test_hooks", "value": true' \
	    $(1)/meson-info/intro-buildoptions.json || \
	    $(MESON) setup --reconfigure $(1) $(HOOKS)

all: deps $(BUILD)/build.ninja
	@$(call hooks,$(BUILD))
	$(NINJA) -C $(BUILD)

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) $(HOOKS)

$(ASAN)/build.ninja:
	$(MESON) setup $(ASAN) -Dbuildtype=debug -Db_sanitize=address,undefined \
	    -Db_lundef=false $(HOOKS)

check: all $(ASAN)/build.ninja
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2
	@$(call hooks,$(ASAN))
	$(NINJA) -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MESON) test -C $(ASAN) --print-errorlogs --num-processes 2 \
	    --timeout-multiplier 3
	@$(MAKE) --no-print-directory fuzz
	NETPKI_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	    $(MESON) test -C $(FUZZDIR) --print-errorlogs --num-processes 2

demo: all
	@scripts/demo

fuzz: deps
	@[ -f $(FUZZDIR)/build.ninja ] || CC=clang $(MESON) setup $(FUZZDIR) \
	    -Dfuzzing=true -Dbuildtype=debugoptimized \
	    -Db_sanitize=address,undefined -Db_lundef=false
	$(NINJA) -C $(FUZZDIR)

bench: all
	@scripts/bench

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZDIR)

.PHONY: all deps check demo fuzz bench clean
