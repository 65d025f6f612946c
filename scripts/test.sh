#!/usr/bin/env bash
# Every test: Rust unit/property tests, tests that run real Pd, Python tests.
# This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release 2>&1
python3 -m pytest -q python/tests demo/tests bench/tests 2>&1
