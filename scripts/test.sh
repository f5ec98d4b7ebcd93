#!/usr/bin/env bash
# Installs what is needed, builds every binary (the tests start the LAMMPS
# worker binary) and runs the whole test suite, then builds the Python package
# and runs its pytest suite. Snapshots are checked, never
# written: a changed or missing snapshot fails (review with `cargo insta review`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export INSTA_UPDATE=no
# A CI run builds once: incremental caches would only cost disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
cargo build --workspace --bins
cargo test --workspace --no-fail-fast
# A pending snapshot left behind by a run is a failure too.
pending=$(find . -name '*.snap.new' -not -path './target*' | head -5)
if [ -n "$pending" ]; then
  echo "pending insta snapshots:" >&2; echo "$pending" >&2; exit 1
fi
# The Python package, built with the dev profile so that the crates compiled
# above are reused, into target/python-venv; NONAFFINE_TEST_ALL=1 turns a
# missing optional module (ASE, LAMMPS' Python module) into an error instead
# of a skip. Any non-zero pytest exit fails, 5 (no test collected) included.
MATURIN_PEP517_ARGS="--profile dev" scripts/python.sh target/python-venv
# matscipy (PyPI; the Hessian cross-check in python/tests/test_matscipy.py).
# pip puts its numpy, scipy and ASE from PyPI in the venv, over Debian's.
target/python-venv/bin/python -m pip install --quiet --disable-pip-version-check "matscipy>=1.0"
NONAFFINE_TEST_ALL=1 target/python-venv/bin/python -m pytest -q python/tests
