"""The Hessian against matscipy's EAM calculator (an independent code) on a
shaken B2 Cu–Zr cell. matscipy interpolates the tabulated F(ρ), ρ(r) and
φ(r) with its own splines, LAMMPS (and nonaffine, which reproduces LAMMPS)
with LAMMPS' per-interval cubics, whose second derivatives jump at the
knots: forces agree to ~1e-6 eV/Å, second derivatives to ~5e-4 of the
largest entry (measured: 5.0e-4 at most, 3.8e-4 in the Frobenius norm). The
test allows 2e-3 and 1e-3."""

import numpy as np

import nonaffine
from conftest import EAM_FILE, b2_cuzr, need, to_ase


def test_hessian_against_matscipy(eam):
    eam_mod = need("matscipy.calculators.eam")
    atoms = to_ase(b2_cuzr(3, shake=0.15))
    calc = eam_mod.EAM(str(EAM_FILE), kind="eam/fs")
    atoms.calc = calc
    theirs = calc.get_hessian(atoms, "sparse").toarray()
    ours = nonaffine.get_hessian(atoms, eam, format="dense")
    scale = np.abs(ours).max()
    assert np.abs(ours - theirs).max() <= 2e-3 * scale
    assert np.linalg.norm(ours - theirs) <= 1e-3 * np.linalg.norm(ours)
    # Not equal by construction: the two interpolations do differ.
    assert np.abs(ours - theirs).max() > 1e-8 * scale
