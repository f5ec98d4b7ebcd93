"""The ``nonaffine-lammps-worker`` script the package installs: the LAMMPS
worker process that workflows with LAMMPS stages (quench, oscillate) start,
running the same code as the Rust binary of that name."""

import sys

from . import _core


def main() -> None:
    sys.exit(_core.lammps_worker())
