#!/usr/bin/env bash
# The main demo: two real-time Pd instances on JACK's dummy driver receive the same
# timetagged bundles from the Python sender; prints how closely they agree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 demo/two_sites.py --build build "$@"
