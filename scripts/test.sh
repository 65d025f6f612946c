#!/usr/bin/env bash
# Every test: Rust unit/property tests, tests that run real Pd, Python tests.
# This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Style first (seconds): one format (rustfmt.toml), no clippy warning.
cargo fmt --check
cargo clippy --release --all-targets -q -- -D warnings 2>&1
# The measurement build (every clock reading to a file, docs/clock.md) must keep compiling.
cargo clippy --release --lib -q --features clock-trace -- -D warnings 2>&1
cargo test --release 2>&1
# The core's tests once more with debug assertions: arithmetic overflow panics there.
cargo test --lib 2>&1 | grep -E '^test result|FAILED|panicked'  # pipefail: a failure stops here
# The real-Pd tests once more on other Pd versions: Debian's Pd 0.55.2 (trixie) and
# 0.57.0 (sid), each as pd and the double-precision pd64, in cached chroots (~2.5 min; the
# first run makes the chroots, ~40 s each; Debian 11 too, used by package.sh below).
# An unreachable archive skips, loudly.
if [ "$(id -u)" = 0 ]; then
  rc=0
  bash scripts/pd-chroots.sh test pd_timing pd_channels pd_robustness || rc=$?
  if [ $rc = 3 ]; then echo "pd-chroots: some Pd versions were SKIPPED (not tested), see above"; elif [ $rc != 0 ]; then exit $rc; fi
else
  echo "pd-chroots: SKIPPED (needs root for debootstrap/chroot): only Pd $(pd -version 2>&1 | sed -n 's/^Pd-\([0-9.]*\).*/\1/p') was tested"
fi
python3 -m pytest -q python/tests demo/tests bench/tests 2>&1
# Every platform's package, cross-built and symbol-checked; the Linux x86-64 files
# loaded and timing-tested in each Pd (scripts/package.sh; ~3 min warm, ~12 cold).
start=$SECONDS
bash scripts/package.sh 2>&1 | grep -vE 'xcrun|= note: the SDK|= help: pass the path|^  \|$|^$'
echo "package: $((SECONDS - start)) s"
# A bounded fuzz pass over the network-facing engine (cargo fuzz needs nightly):
# inputs up to one UDP datagram (nested arrays and pattern bombs need room), OSC's
# structural bytes as a dictionary.
if rustup toolchain list 2>/dev/null | grep -q nightly; then
  command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz
  corpus=$(mktemp -d)
  if cargo +nightly fuzz run engine "$corpus" fuzz/corpus/engine -- -max_total_time=60 -max_len=65507 -timeout=5 -dict="$PWD/fuzz/engine.dict" -rss_limit_mb=2048 >"$corpus.log" 2>&1; then
    echo "fuzz: 60 s, no crash or slow input (>5 s): $(grep -E '^Done' "$corpus.log")"
    rm -rf "$corpus" "$corpus.log"
  else
    grep -m 3 -A 1 'panicked' "$corpus.log" || true
    grep -vE '^\s+([0-9]+:|at )' "$corpus.log" | tail -30
    echo "fuzz: FAILED (the input is in fuzz/artifacts/engine)"
    exit 1
  fi
else
  echo "fuzz: skipped (no nightly toolchain here; cargo fuzz needs one)"
fi
# A bounded fuzz pass over the loader's decoding path (WAV/AIFF/FLAC headers and data).
if rustup toolchain list 2>/dev/null | grep -q nightly; then
  corpus=$(mktemp -d)
  if cargo +nightly fuzz run sound_file "$corpus" fuzz/corpus/sound_file -- -max_total_time=60 -rss_limit_mb=2048 -max_len=65536 >"$corpus.log" 2>&1; then
    echo "fuzz sound_file: 60 s, no crash: $(grep -E '^Done' "$corpus.log")"
    rm -rf "$corpus" "$corpus.log"
  else
    grep -m 3 -A 1 -E 'panicked|ERROR|past the cap' "$corpus.log" || true
    echo "fuzz sound_file: FAILED (the input is in fuzz/artifacts/sound_file)"
    exit 1
  fi
fi
