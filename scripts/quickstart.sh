#!/usr/bin/env bash
# Installs what is needed, builds nonaffine and runs the default workflow
# (workflows/quick.yaml) into runs/quick, one sweep branch per core (-j).
# Extra arguments go to `nonaffine run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --workspace --bins
exec target/release/nonaffine run workflows/quick.yaml --out runs/quick -j "$(nproc)" "$@"
