#!/usr/bin/env bash
# Installs what fsync~ needs on Debian (run as root), builds it, and installs
# the Python package. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# libclang-dev: bindgen in build.rs (without it the pre-generated bindings are used).
# debootstrap: the chroots with other Pd versions (scripts/pd-chroots.sh).
packages=(puredata-core puredata-dev pd-mrpeach jackd2 libjack-jackd2-0 libportaudio2 libsndfile1 python3-pip valgrind sox faketime iproute2 libclang-dev debootstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # jackd2 asks whether to allow real-time priority: answer for it.
  echo "jackd2 jackd/tweak_rt_limits boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found. fsync~ needs Rust >= 1.88 (edition 2024, let chains): install it with rustup." >&2
  exit 1
fi

# Before 0.2 the Python package was named fsync, a name PyPI gives an unrelated project: an
# earlier install of ours goes first (its fsync-send/fsync-play scripts would be left behind).
if python3 -m pip show fsync 2>/dev/null | grep -q '^Summary: Send OSC bundles stamped'; then
  python3 -m pip uninstall -q -y fsync
fi
# fsync-tilde with its extras: test (pytest, hypothesis, soxr), play (sounddevice, soundfile, numpy, soxr).
python3 -m pip install -q -e 'python[test,play]' JACK-Client numpy matplotlib
make -s build
echo "setup: done ($(ls build/))"
