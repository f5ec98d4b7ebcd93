#!/usr/bin/env bash
# Installs what is needed, builds every binary (the tests start the LAMMPS
# worker binary) and runs the whole test suite. Snapshots are checked, never
# written: a changed or missing snapshot fails (review with `cargo insta review`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export INSTA_UPDATE=no
cargo build --workspace --bins
cargo test --workspace --no-fail-fast
# A pending snapshot left behind by a run is a failure too.
pending=$(find . -name '*.snap.new' -not -path './target*' | head -5)
if [ -n "$pending" ]; then
  echo "pending insta snapshots:" >&2; echo "$pending" >&2; exit 1
fi
