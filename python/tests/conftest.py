"""Shared structures and the vendored Cu–Zr potential for the Python tests."""

import importlib
import os
from pathlib import Path

import numpy as np
import pytest

import nonaffine

ROOT = Path(__file__).resolve().parents[2]
EAM_FILE = ROOT / "vendor" / "potentials" / "CuZr_mm.eam.fs"


@pytest.fixture(scope="session")
def eam():
    return nonaffine.Potential("eam/fs", file=EAM_FILE, elements=["Cu", "Zr"])


@pytest.fixture(scope="session")
def lj():
    """Kob–Andersen-like binary Lennard-Jones: smooth, no spline knots."""
    return nonaffine.Potential(
        "lj/cut",
        elements=["Cu", "Zr"],
        masses_amu=[63.546, 91.224],
        epsilon_ev=[0.0103, 0.01545, 0.00515],
        sigma_angstrom=[2.3, 2.7, 2.5],
        cutoff_angstrom=[5.75, 6.75, 6.25],
    )


def b2_cuzr(reps: int, a: float = 3.26, tilt=(0.0, 0.0, 0.0), shake: float = 0.1, seed: int = 7):
    """A B2 Cu–Zr supercell (reps³ cells, 2 reps³ atoms), its restricted
    triclinic cell tilted by (xy, xz, yz) Å, positions shaken by up to
    ``shake`` Å and wrapped into the cell. Plain arrays (no ASE needed)."""
    frac = []
    symbols = []
    for i in range(reps):
        for j in range(reps):
            for k in range(reps):
                frac.append([i, j, k])
                symbols.append("Cu")
                frac.append([i + 0.5, j + 0.5, k + 0.5])
                symbols.append("Zr")
    frac = np.array(frac) / reps
    length = a * reps
    xy, xz, yz = tilt
    cell = np.array([[length, 0, 0], [xy, length, 0], [xz, yz, length]])
    rng = np.random.default_rng(seed)
    pos = frac @ cell + rng.uniform(-shake, shake, size=frac.shape)
    frac = np.linalg.solve(cell.T, pos.T).T % 1.0
    return {"positions": frac @ cell, "cell": cell, "symbols": symbols}


def need(module: str):
    """The optional module, or a skip; with NONAFFINE_TEST_ALL=1 (as
    scripts/test.sh sets) a missing module is an error, not a skip."""
    if os.environ.get("NONAFFINE_TEST_ALL") == "1":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def to_ase(s):
    ase = need("ase")
    return ase.Atoms(symbols=s["symbols"], positions=s["positions"], cell=s["cell"], pbc=True)


def rotation(seed: int = 3) -> np.ndarray:
    """A proper rotation matrix (det +1) far from the identity."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q
