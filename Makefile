# Thin wrapper around Meson + Ninja.  See README.md.
BUILD	?= build
ASAN	?= build-asan
FUZZDIR	?= build-fuzz
MESON	?= meson
NINJA	?= ninja

all: deps $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

$(ASAN)/build.ninja:
	$(MESON) setup $(ASAN) -Dbuildtype=debug -Db_sanitize=address,undefined \
	    -Db_lundef=false

check: all $(ASAN)/build.ninja
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2
	$(NINJA) -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(MESON) test -C $(ASAN) --print-errorlogs --num-processes 2 \
	    --timeout-multiplier 3

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
