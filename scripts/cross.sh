#!/usr/bin/env bash
# Cross-builds fsync~ for every platform we package, in both float sizes, and
# checks each binary's symbols (scripts/check_symbols.py): nothing here can load
# a macOS, Windows or arm64 binary.
#
#   scripts/cross.sh [PLATFORM...]     default: all; output in build/cross/<platform>-<floatsize>/
#
# Platforms (deken's OS-CPU names) and how they are built:
#   linux-amd64    cargo-zigbuild, glibc 2.17 (loads on Debian 8 / Ubuntu 14.04 and later)
#   linux-arm64    cargo-zigbuild, glibc 2.17
#   darwin-amd64   cargo-zigbuild (zig's macOS SDK stubs), -undefined dynamic_lookup
#   darwin-arm64   cargo-zigbuild, -undefined dynamic_lookup
#   windows-amd64  mingw-w64 gcc from Debian (what Pd for Windows is built with:
#                  same ms-bitfields layout, same C runtime), linked against an import
#                  library made with dlltool from Pd's exported symbols (pd.dll, pd64.dll)
# Tools (installed if missing): zig (PyPI ziglang), cargo-zigbuild (PyPI), gcc-mingw-w64-x86-64,
# llvm (llvm-nm, llvm-objdump, llvm-strip), the rustup targets.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
OUT=build/cross
ALL=(linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64)
platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=("${ALL[@]}")

rust_target() {
  case $1 in
    linux-amd64) echo x86_64-unknown-linux-gnu ;;
    linux-arm64) echo aarch64-unknown-linux-gnu ;;
    darwin-amd64) echo x86_64-apple-darwin ;;
    darwin-arm64) echo aarch64-apple-darwin ;;
    windows-amd64) echo x86_64-pc-windows-gnu ;;
    *) echo "cross: unknown platform $1" >&2; exit 2 ;;
  esac
}

ensure_tools() {
  local need_zig=0 need_mingw=0
  for p in "${platforms[@]}"; do
    case $p in windows-*) need_mingw=1 ;; *) need_zig=1 ;; esac
  done
  local apt=()
  command -v llvm-nm >/dev/null || command -v llvm-nm-14 >/dev/null || apt+=(llvm)
  [ $need_mingw = 0 ] || command -v x86_64-w64-mingw32-gcc >/dev/null || apt+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
  if [ ${#apt[@]} -gt 0 ]; then
    echo "cross: installing ${apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt[@]}" >/dev/null
  fi
  if [ $need_zig = 1 ]; then
    python3 -m ziglang version >/dev/null 2>&1 || python3 -m pip install -q ziglang
    # (cargo-zigbuild's PyPI wheel: a prebuilt binary, seconds instead of a cargo install)
    command -v cargo-zigbuild >/dev/null || python3 -m pip install -q cargo-zigbuild
  fi
  for p in "${platforms[@]}"; do
    t=$(rust_target "$p")
    rustup target list --installed | grep -qx "$t" || rustup target add "$t" >/dev/null
  done
}

# An import library for Pd's DLL (pd.dll; pd64.dll for double precision), made
# from the headers' EXTERN declarations: there is no Windows Pd here to link against.
import_lib() { # floatsize -> dir holding libpd.dll.a
  local fs=$1 dll=pd.dll dir="target/pd-import/$1"
  [ "$fs" = 64 ] && dll=pd64.dll
  mkdir -p "$dir"
  python3 scripts/pd_exports.py def "$dll" >"$dir/pd.def"
  x86_64-w64-mingw32-dlltool -d "$dir/pd.def" -l "$dir/libpd.dll.a" -D "$dll"
  echo "$dir"
}

ensure_tools
failed=0
for p in "${platforms[@]}"; do
  t=$(rust_target "$p")
  for fs in 32 64; do
    features=()
    [ "$fs" = 64 ] && features=(--features pd64)
    dir="$OUT/$p-$fs"
    rm -rf "$dir" && mkdir -p "$dir"
    # FSYNC_CHECK_BINDINGS: the pre-generated fallback must match what bindgen makes.
    case $p in
      windows-*)
        lib=$(import_lib "$fs")
        FSYNC_CHECK_BINDINGS=1 RUSTFLAGS="-L native=$PWD/$lib -l dylib=pd" \
          cargo build -q --release --lib --target "$t" "${features[@]}" --target-dir target/cross
        built="target/cross/$t/release/fsync.dll"
        dll=pd.dll; [ "$fs" = 64 ] && dll=pd64.dll
        check=(--pd-dll "$dll")
        ;;
      linux-*)
        FSYNC_CHECK_BINDINGS=1 cargo zigbuild -q --release --lib --target "$t.2.17" "${features[@]}" --target-dir target/cross
        built="target/cross/$t/release/libfsync.so"
        check=(--max-glibc 2.17)
        ;;
      darwin-*)
        FSYNC_CHECK_BINDINGS=1 cargo zigbuild -q --release --lib --target "$t" "${features[@]}" --target-dir target/cross
        built="target/cross/$t/release/libfsync.dylib"
        check=()
        ;;
    esac
    [ -s a.o ] || rm -f a.o  # zig cc's empty probe output (see .gitignore)
    cp "$built" "$dir/"
    if ! python3 scripts/check_symbols.py --float-size "$fs" "${check[@]}" "$dir/$(basename "$built")"; then failed=1; fi
  done
done
exit $failed
