#!/usr/bin/env bash
# Rewrites the pre-generated Pd bindings (src/pd/bindings/<target>-<floatsize>.rs),
# the fallback build.rs uses where libclang or Pd's headers are missing, for every
# target and float size we package. Needs libclang (libclang-dev) and Pd's headers
# (puredata-dev). Run it after changing build.rs, src/pd/c/ or the Pd headers;
# tests/bindings_current.rs fails while the host's copy is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu)
for target in "${TARGETS[@]}"; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null
  for features in "" "--features=pd64"; do
    FSYNC_WRITE_BINDINGS=1 cargo check -q --lib --target "$target" $features --target-dir target/bindings
  done
done
ls -l src/pd/bindings/
