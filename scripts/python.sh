#!/usr/bin/env bash
# Builds the Python package (python/: the Rust extension nonaffine._core by
# maturin, and the pure-Python layer) and installs it into a virtual
# environment, by default .venv. The environment is made from Debian's
# python3 with the system's packages visible, so numpy, scipy, ASE and
# LAMMPS' Python module come from apt (scripts/setup.sh); pip fetches only
# the build backend (maturin). The extension links the system's liblammps:
# the package is built from source on the machine that uses it.
#
#   scripts/python.sh [VENV]      # then: VENV/bin/python -c 'import nonaffine'
#
# MATURIN_PEP517_ARGS="--profile dev" builds with the workspace's dev
# profile (what scripts/test.sh does, to reuse the compiled crates).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ./python
