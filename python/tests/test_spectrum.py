"""spectrum and modulus: eigenvalues against numpy's LAPACK on the dense
mass-weighted Hessian, the modulus' limits ω → 0 (the relaxed moduli of the
library's conjugate gradient) and ω → ∞ (the Born moduli), the lanczos
quadrature against the dense eigenpairs, in a rotated cell."""

import numpy as np
import pytest

import nonaffine
from conftest import need


@pytest.fixture(scope="module")
def relaxed_alloy(eam):
    """32 atoms of fcc Cu with every fifth Zr, turned about a general axis,
    relaxed to 1e-7 eV/Å (a minimum: the spectrum has no negative modes)."""
    need("ase")
    from ase.build import bulk
    from ase.optimize import FIRE
    from nonaffine.calculator import NonaffineCalculator

    atoms = bulk("Cu", "fcc", a=3.639, cubic=True).repeat(2)
    atoms.symbols[::5] = "Zr"
    atoms.rotate(40, (1, -2, 0.5), rotate_cell=True)
    atoms.calc = NonaffineCalculator(eam)
    assert FIRE(atoms, logfile=None).run(fmax=1e-7, steps=5000)
    return atoms


def test_dense_spectrum_equals_numpy(relaxed_alloy, eam):
    atoms = relaxed_alloy
    s = nonaffine.spectrum(atoms, eam, "dense", bins=40)
    d = nonaffine.get_hessian(atoms, eam, format="dense", mass_weighted=True)
    lam = np.linalg.eigvalsh(d)
    assert s.kind == "complete" and len(s.eigenvalues) == 96
    assert np.abs(s.eigenvalues - lam).max() <= 1e-10 * lam.max()
    assert np.allclose(s.frequencies_thz[3:], np.sqrt(lam[3:]) * 15.633302, rtol=1e-5)
    # Completeness (docs/theory.md Eq. (25)): Σ_p Ξ̂_pa Ξ̂_pb = (M^{-1/2}Ξ)ᵀ(M^{-1/2}Ξ),
    # in the caller's frame.
    m = np.repeat([63.546 if e == "Cu" else 91.224 for e in atoms.get_chemical_symbols()], 3)
    xi = nonaffine.get_nonaffine_forces(atoms, eam).reshape(-1, 6) / np.sqrt(m)[:, None]
    assert np.allclose(s.weights.sum(axis=0), xi.T @ xi, rtol=0, atol=1e-9 * np.abs(xi.T @ xi).max())
    # The VDOS integrates to 1 over the grid; the report counts 3 zero modes.
    width = s.nu_thz[1] - s.nu_thz[0]
    assert s.vdos_histogram.sum() * width == pytest.approx(1.0, rel=1e-12)
    assert s.report["census"]["zero"] == 3 and s.report["census"]["negative"] == 0
    assert np.allclose(s.born_gpa, nonaffine.get_born_elastic_constants(atoms, eam), rtol=1e-12)


def test_modulus_limits_are_relaxed_and_born(relaxed_alloy, eam):
    atoms = relaxed_alloy
    s = nonaffine.spectrum(atoms, eam)
    k = nonaffine.kernel("markovian", nu0=1.0)  # 1/ps
    relaxed = nonaffine.get_relaxed_elastic_constants(atoms, eam)
    born = nonaffine.get_born_elastic_constants(atoms, eam)
    m = nonaffine.modulus(s, k, [0.0, 1e9])
    assert m.moduli.shape == (2, 6, 6)
    scale = np.abs(born).max()
    assert np.abs(m.moduli[0] - relaxed).max() <= 1e-6 * scale
    assert np.abs(m.moduli[0].imag).max() == 0.0
    # At 1e9 rad/ps the modes' share is (ω_p/ω)² ~ 1e-14 of it.
    assert np.abs(m.moduli[1] - born).max() <= 1e-9 * scale
    # Loss ≥ 0 in between, and the Voigt averages of C* (isotropy not assumed).
    mid = nonaffine.modulus(s, k, 60.0)
    c = mid.moduli
    assert c.shape == (6, 6) and np.all(np.diag(c).imag >= 0)
    bulk = (np.trace(c[:3, :3]) + 2 * (c[0, 1] + c[0, 2] + c[1, 2])) / 9
    assert mid.bulk == pytest.approx(bulk, rel=1e-12)
    assert mid.uniaxial == c[0, 0]


def test_lanczos_quadrature_equals_dense(relaxed_alloy, eam):
    """96 = 16 blocks of 6: 20 block steps span the whole Krylov space, so the
    quadrature's resolvent sums are those of the eigenpairs up to the
    directions the re-orthogonalization drops as dependent (measured 1.4e-7
    of the largest modulus next to the spectrum's top, at 80 rad/ps)."""
    atoms = relaxed_alloy
    dense = nonaffine.spectrum(atoms, eam)
    lz = nonaffine.spectrum(atoms, eam, "lanczos", steps=20, moments=200, random_vectors=8, grid=400)
    assert lz.kind == "quadrature" and lz.density is not None
    k = nonaffine.kernel("markovian", nu0=2.0)
    w = np.array([0.5, 20.0, 80.0])
    a, b = nonaffine.modulus(dense, k, w).moduli, nonaffine.modulus(lz, k, w).moduli
    assert np.abs(a - b).max() <= 1e-6 * np.abs(a).max()
    # The KPM VDOS holds the 93 non-zero modes: it integrates to ≈ 1.
    width = lz.nu_thz[1] - lz.nu_thz[0]
    assert lz.vdos.sum() * width == pytest.approx(1.0, abs=0.05)
    assert np.isnan(lz.vdos_histogram).all()


def test_spectrum_errors(relaxed_alloy, eam):
    with pytest.raises(nonaffine.NonaffineError, match="nosuch"):
        nonaffine.spectrum(relaxed_alloy, eam, "nosuch")
    with pytest.raises(nonaffine.NonaffineError, match="stepz"):
        nonaffine.spectrum(relaxed_alloy, eam, "lanczos", stepz=3)
    with pytest.raises(nonaffine.NonaffineError, match="bins"):
        nonaffine.spectrum(relaxed_alloy, eam, bins=2)
