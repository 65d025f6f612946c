#!/usr/bin/env bash
# Deken packages, one per platform and float size (`make package`):
#   build/fsync[v<version>](<OS>-<cpu>-<floatsize>).dek, .dek.sha256, .dek.txt
# each a zip with one folder fsync/: the stripped external under the name Pd
# 0.54+ looks for (fsync~.linux-amd64-32.so, fsync~.darwin-arm64-64.so,
# fsync~.windows-amd64-32.dll …; the 32-bit Linux packages also carry the same
# binary as .l_amd64 / .l_arm64, the name Pd <= 0.53 looks for: Debian 12 ships
# 0.53.1), the help
# patch, the [fsync.send] abstraction and its help, fsync~-meta.pd, LICENSE, README.md
# and what it links (docs/, patches/, images).
#
# Checks: every packaged binary passes scripts/check_symbols.py; the Linux x86-64
# ones (the very files in the packages) also pass the real-Pd timing tests in Pd
# 0.53.1 here and, as root, in the Pd 0.51.4 (glibc 2.31), 0.55.2 and 0.57.0 (pd, pd64) chroots. The macOS,
# Windows and arm64 binaries are symbol-checked only: nothing here can load them.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
DESCRIPTION=$(sed -n 's/^description = "\(.*\)"/\1/p' Cargo.toml | head -1)
PLATFORMS=(linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64)

bash scripts/cross.sh "${PLATFORMS[@]}"

strip_tool() { command -v llvm-strip || command -v llvm-strip-14; }
STRIP=$(strip_tool)

deken_os() { case $1 in linux-*) echo Linux ;; darwin-*) echo Darwin ;; windows-*) echo Windows ;; esac; }
legacy_ext() { # what 32-bit Pd <= 0.53 looks for on Linux (Debian 12 ships 0.53.1)
  case $1 in linux-amd64) echo l_amd64 ;; linux-arm64) echo l_arm64 ;; esac
}

meta_patch() {
  cat <<META
#N canvas 0 0 460 220 12;
#N canvas 0 0 460 220 META 0;
#X text 10 10 META this is a library meta file (read by deken and the help browser);
#X text 10 30 NAME fsync~;
#X text 10 50 AUTHOR the fsync~ authors;
#X text 10 70 DESCRIPTION $(sed 's/[;,$\\]/ /g' <<<"$DESCRIPTION");
#X text 10 90 LICENSE BSD-3-Clause;
#X text 10 110 VERSION $VERSION;
#X restore 10 10 pd META;
META
}

rm -rf build/package && mkdir -p build/package
rm -f build/fsync\[v*\]*.dek build/fsync\[v*\]*.dek.sha256 build/fsync\[v*\]*.dek.txt
deks=()
for p in "${PLATFORMS[@]}"; do
  for fs in 32 64; do
    src=$(ls build/cross/$p-$fs/*fsync* | head -1)
    case $p in windows-*) ext=dll ;; *) ext=so ;; esac
    cpu=${p#*-}
    stage="build/package/$p-$fs/fsync"
    mkdir -p "$stage"
    binary="$stage/fsync~.$p-$fs.$ext"
    cp "$src" "$binary"
    case $p in
      darwin-*) "$STRIP" -x "$binary" ;;    # keep the external symbols (the setup function)
      *) "$STRIP" --strip-all "$binary" ;;  # the dynamic symbol/export tables stay
    esac
    legacy=$(legacy_ext "$p")
    if [ "$fs" = 32 ] && [ -n "$legacy" ]; then cp "$binary" "$stage/fsync~.$legacy"; fi
    cp pd-help/fsync~-help.pd abstractions/fsync.send.pd abstractions/fsync.send-help.pd LICENSE README.md "$stage/"
    mkdir -p "$stage/pd-help" "$stage/bench"
    cp pd-help/fsync~-help.pd pd-help/fsync~-help.png "$stage/pd-help/"
    cp bench/sync.png "$stage/bench/"
    cp -r docs patches "$stage/"
    meta_patch >"$stage/fsync~-meta.pd"
    dll=pd.dll; [ "$fs" = 64 ] && dll=pd64.dll
    check=(); [ "$p" = windows-amd64 ] && check=(--pd-dll "$dll"); [[ $p = linux-* ]] && check=(--max-glibc 2.17)
    python3 scripts/check_symbols.py --float-size "$fs" "${check[@]}" "$binary"
    dek="fsync[v$VERSION]($(deken_os "$p")-$cpu-$fs).dek"
    (cd "build/package/$p-$fs" && python3 -m zipfile -c "../../$dek" fsync)
    # As `deken package` makes them: the bare checksum, and the object list.
    (cd build && sha256sum "$dek" | cut -d' ' -f1 >"$dek.sha256" && printf 'fsync~\t%s\nfsync.send\tsends what fsync-send sends (play, stop, send, bundle) from a patch\n' "$DESCRIPTION" >"$dek.txt")
    deks+=("build/$dek")
  done
done

# The Linux x86-64 packages' own binaries in real Pd (pipefail + set -e: a failure stops here).
amd64_32="$PWD/build/package/linux-amd64-32/fsync/fsync~.linux-amd64-32.so"
amd64_64="$PWD/build/package/linux-amd64-64/fsync/fsync~.linux-amd64-64.so"
echo "package: real-Pd tests of the packaged linux-amd64 binaries"
host_pd=$(pd -version 2>&1 | sed -n 's/^Pd-\([0-9.]*\).*/\1/p')
for t in pd_timing pd_channels pd_robustness; do
  FSYNC_TEST_EXTERNAL="$amd64_32" cargo test -q --release --test "$t" 2>&1 | grep -E '^test result|FAILED|panicked' |
    sed "s|^|package: Pd $host_pd (host) $t [fsync~.linux-amd64-32.so]: |"
done
# Each Pd finds the packaged file under the name it is packed as (only that
# file in the folder): Pd 0.53.1 the .l_amd64, 0.55+ the .linux-amd64-32.so,
# pd64 the .linux-amd64-64.so.
loads() { # root pd-binary file
  local root=$1 bin=$2 file=$3 inside=/tmp/fsync-name-check-$$ out
  mkdir -p "$root$inside"
  cp "$file" "$root$inside/"
  printf '#N canvas 0 0 400 300 12;\n#X obj 10 10 fsync~;\n#X obj 10 50 loadbang;\n#X msg 10 80 \\; pd quit;\n#X connect 1 0 2 0;\n' >"$root$inside/t.pd"
  if [ "$root" = "" ]; then run=("$bin"); else run=(chroot "$root" "$bin"); fi
  out=$(timeout 60 "${run[@]}" -batch -nosound -nogui -noprefs -stderr -path "$inside" -open "$inside/t.pd" 2>&1) || true
  rm -rf "$root$inside"
  if grep -q "sample-accurate" <<<"$out" && ! grep -q "couldn't create" <<<"$out"; then
    echo "package: $(basename "$file") loads in ${root:-host} $bin"
  else
    echo "package: $(basename "$file") does NOT load in ${root:-host} $bin: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
    return 1
  fi
}
loads "" pd "$PWD/build/package/linux-amd64-32/fsync/fsync~.l_amd64"
if [ "$(id -u)" = 0 ] && [ -f "${FSYNC_CHROOTS:-/var/cache/fsync-chroots}/bullseye/.fsync-complete" ]; then
  loads "${FSYNC_CHROOTS:-/var/cache/fsync-chroots}/bullseye" pd "$PWD/build/package/linux-amd64-32/fsync/fsync~.l_amd64"
fi
if [ "$(id -u)" = 0 ] && [ -d "${FSYNC_CHROOTS:-/var/cache/fsync-chroots}/trixie" ]; then
  for root in "${FSYNC_CHROOTS:-/var/cache/fsync-chroots}"/{trixie,sid}; do
    [ -f "$root/.fsync-complete" ] && loads "$root" pd "$amd64_32"
  done
  for root in "${FSYNC_CHROOTS:-/var/cache/fsync-chroots}"/{trixie,sid}; do
    [ -f "$root/.fsync-complete" ] && loads "$root" pd64 "$amd64_64"
  done
fi
if [ "$(id -u)" = 0 ]; then
  rc=0
  FSYNC_TEST_EXTERNAL_32="$amd64_32" FSYNC_TEST_EXTERNAL_64="$amd64_64" bash scripts/pd-chroots.sh test pd_timing pd_channels pd_robustness || rc=$?
  [ $rc = 0 ] || [ $rc = 3 ] || exit $rc
fi
echo "package: built"
printf '  %s\n' "${deks[@]}"
