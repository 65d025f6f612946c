#!/usr/bin/env bash
# Other Pd versions for the real-Pd tests: minimal Debian chroots holding Debian's
# binary Pd packages (Debian serves no source tarballs here, and building Pd is
# not what we test). Each takes ~40 s and ~150 MB the first time; they are kept
# under $FSYNC_CHROOTS (default /var/cache/fsync-chroots) and reused.
#
#   scripts/pd-chroots.sh make          make (or reuse) every chroot, print "name dir pd-binary"
#   scripts/pd-chroots.sh test [TESTS]  run the real-Pd timing tests in each (needs root)
#
# FSYNC_TEST_EXTERNAL_32 / _64: test these binaries (e.g. the packaged ones)
# instead of the ones cargo builds for the tests. Bullseye's glibc (2.31) cannot
# load what cargo builds here (glibc 2.36 headers): it is tested only with these
# (scripts/package.sh passes its glibc-2.17 builds).
#
# Chroots:  bullseye: Pd 0.51.4 on glibc 2.31 (Debian 11): the old-glibc build loads there
#           trixie:   Pd 0.55.2, puredata-core (pd, 32-bit) and puredata64-core (pd64)
#           sid:      Pd 0.57.0, pd and pd64 (whatever sid serves today; the version is printed)
# Exit status: 0 all ran and passed; 1 a test failed; 3 a chroot could not be made
# (archive unreachable: SKIPPED is printed, the others still run). Nothing is
# reported as passed that did not run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${FSYNC_CHROOTS:-/var/cache/fsync-chroots}
MIRROR=${FSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# name suite packages
CHROOTS=("bullseye bullseye puredata-core" "trixie trixie puredata-core,puredata64-core" "sid sid puredata-core,puredata64-core")

need_root() {
  if [ "$(id -u)" != 0 ]; then echo "pd-chroots: needs root (debootstrap, chroot)" >&2; exit 2; fi
  command -v debootstrap >/dev/null || { echo "pd-chroots: installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
}

# make_one NAME SUITE PACKAGES: the chroot's directory on stdout, or fails.
make_one() {
  local name=$1 suite=$2 packages=$3 dir="$ROOT/$1"
  # Reused while it was made with the same packages.
  if [ "$(cat "$dir/.fsync-complete" 2>/dev/null)" = "$suite $packages" ]; then echo "$dir"; return 0; fi
  mkdir -p "$ROOT"
  local tmp="$dir.partial.$$"
  rm -rf "$tmp"
  echo "pd-chroots: debootstrap $suite into $dir (~40 s, ~150 MB)" >&2
  if ! timeout 600 debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$MIRROR" >"$tmp.log" 2>&1; then
    echo "pd-chroots: SKIPPED $name: debootstrap $suite failed (archive unreachable?); last lines:" >&2
    tail -5 "$tmp.log" >&2 || true
    rm -rf "$tmp" "$tmp.log"
    return 1
  fi
  rm -f "$tmp.log"
  # Keep only what running Pd needs: no package caches or docs.
  rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/locale"
  echo "$suite $packages" >"$tmp/.fsync-complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  echo "$dir"
}

pd_version() { # dir binary
  chroot "$1" "$2" -version 2>&1 | sed -n 's/^Pd-\([0-9.]*\).*/\1/p' | head -1
}

cmd=${1:-make}
shift || true
need_root
# One maker at a time on a shared machine.
mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock -w 900 9 || { echo "pd-chroots: another run holds $ROOT/.lock" >&2; exit 2; }

failed=0
skipped=()
runs=()
for entry in "${CHROOTS[@]}"; do
  read -r name suite packages <<<"$entry"
  if dir=$(make_one "$name" "$suite" "$packages"); then
    for bin in pd pd64; do
      chroot "$dir" sh -c "command -v $bin" >/dev/null 2>&1 || continue
      runs+=("$name $dir $bin $(pd_version "$dir" "$bin")")
    done
  else
    skipped+=("$name ($suite)")
  fi
done

case $cmd in
  make)
    printf '%s\n' "${runs[@]}"
    ;;
  test)
    tests=("$@")
    [ ${#tests[@]} -gt 0 ] || tests=(pd_timing pd_channels)
    summary=()
    for run in "${runs[@]}"; do
      read -r name dir bin version <<<"$run"
      if [ "$name" = bullseye ] && [ -z "${FSYNC_TEST_EXTERNAL_32:-}" ]; then
        summary+=("Pd $version $bin ($name chroot): not run (its glibc 2.31 needs the glibc-2.17 build: scripts/package.sh tests it)")
        continue
      fi
      features=()
      [ "$bin" = pd64 ] && features=(--features pd64)
      for t in "${tests[@]}"; do
        # pd64 in its own target dir (the harness copies target/…/libfsync.so); the
        # 32-bit tests share cargo's default one with `cargo test` (nothing to rebuild).
        target_dir=target; [ "$bin" = pd64 ] && target_dir=target/chroot-pd64
        log=$(mktemp)
        external_var=FSYNC_TEST_EXTERNAL_32
        [ "$bin" = pd64 ] && external_var=FSYNC_TEST_EXTERNAL_64
        if FSYNC_TEST_EXTERNAL="${!external_var:-}" FSYNC_PD_CHROOT="$dir" FSYNC_PD_BINARY="$bin" cargo test --release "${features[@]}" \
            --target-dir "$target_dir" --test "$t" >"$log" 2>&1; then
          outcome="ok"
        else
          outcome="FAILED"
          failed=1
          grep -E 'panicked|FAILED|error' "$log" | head -20 || true
        fi
        result=$(grep -E '^test result' "$log" | tail -1 | sed 's/^test result: //; s/; finished.*//')
        tested=${!external_var:-libfsync.so (cargo build)}
        summary+=("Pd $version $bin ($name chroot) $t [$(basename "$tested")]: $outcome ${result:-(no test result: build failed?)}")
        echo "pd-chroots: ${summary[-1]}"
        rm -f "$log"
      done
    done
    # A build of the other float size must be refused with a message, not crash Pd:
    # Pd's class_new/class_new64 stubs return NULL and setup says why.
    for run in "${runs[@]}"; do
      read -r name dir bin version <<<"$run"
      [ "$name" = bullseye ] && continue  # (no pd64 there; cargo's build needs a newer glibc)
      other=(--features pd64); file="fsync~.pd_linux"; other_dir=target/chroot-pd64
      if [ "$bin" = pd64 ]; then other=(); file="fsync~.linux-amd64-64.so"; other_dir=target; fi
      cargo build --release -q "${other[@]}" --target-dir "$other_dir" 2>/dev/null
      scratch="$dir/tmp/fsync-wrong-float-$$"
      mkdir -p "$scratch"
      cp "$other_dir/release/libfsync.so" "$scratch/$file"
      printf '#N canvas 0 0 400 300 12;\n#X obj 10 10 fsync~;\n#X obj 10 50 loadbang;\n#X msg 10 80 \\; pd quit;\n#X connect 1 0 2 0;\n' >"$scratch/t.pd"
      out=$(timeout 60 chroot "$dir" "$bin" -batch -nosound -nogui -noprefs -stderr -path "/tmp/fsync-wrong-float-$$" -open "/tmp/fsync-wrong-float-$$/t.pd" 2>&1) && code=0 || code=$?
      rm -rf "$scratch"
      if [ $code = 0 ] && grep -q "float size differs" <<<"$out"; then
        summary+=("Pd $version $bin ($name chroot) the other float size's build: ok (refused with a message, Pd exits cleanly)")
      else
        summary+=("Pd $version $bin ($name chroot) the other float size's build: FAILED (exit $code): $(tr '\n' ' ' <<<"$out" | cut -c1-300)")
        failed=1
      fi
    done
    printf '%s\n' "--- real-Pd tests in chroots:" "${summary[@]}"
    ;;
  *) echo "usage: $0 make|test [test names]" >&2; exit 2 ;;
esac
for s in "${skipped[@]}"; do echo "pd-chroots: SKIPPED $s: the chroot could not be made (see above); its Pd was NOT tested"; done
[ $failed = 0 ] || exit 1
[ ${#skipped[@]} = 0 ] || exit 3
