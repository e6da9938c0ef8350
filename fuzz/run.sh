#!/bin/sh
# run.sh TARGET CORPUS CRASHDIR: one libFuzzer target for a bounded time
# (NETPKI_FUZZ_SECONDS, default 4), starting from the saved corpus, which
# stays as it is: what the run finds goes to a scratch directory.  A crash,
# leak, sanitizer report or timeout fails (exit non-zero) and leaves its
# input in CRASHDIR, named in the output; copy it to fuzz/corpus/TARGET/
# once fixed, so that the replay keeps it.
set -eu
target=$1
corpus=$2
crashes=$3
secs=${NETPKI_FUZZ_SECONDS:-4}
name=$(basename "$target")
scratch=$(mktemp -d "/tmp/netpki-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$crashes"
# libFuzzer's own handlers report a crash; ASan's abort_on_error would
# bypass them and leave no input behind.
ASAN_OPTIONS=${ASAN_OPTIONS:-}:abort_on_error=0:detect_leaks=1
UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS
# -timeout: one input may take 10 s (a 64 MiB CRL under ASan) before it
# counts as a hang; -rss_limit_mb: the cap a device would care about;
# -error_exitcode: libFuzzer's default, 77, is what meson counts as a skip.
"$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -print_final_stats=1 -artifact_prefix="$crashes/$name-" \
    "$scratch" "$corpus"
