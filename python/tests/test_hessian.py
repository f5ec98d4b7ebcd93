"""The Hessian and the affine quantities against central differences of the
calculator's own forces and energies, and a rotated cell against the same
cell in LAMMPS' orientation (every vector and tensor rotated back)."""

import numpy as np
import pytest
import scipy.sparse

import nonaffine
from conftest import need, b2_cuzr, rotation, to_ase

need("ase")
from nonaffine.calculator import NonaffineCalculator  # noqa: E402


def fd_hessian(atoms, h=1e-5):
    """−∂f/∂x by central differences of the calculator's forces, 3N×3N."""
    pos = atoms.get_positions()
    n = len(atoms)
    out = np.empty((3 * n, 3 * n))
    for col in range(3 * n):
        i, k = divmod(col, 3)
        f = []
        for sign in (1, -1):
            p = pos.copy()
            p[i, k] += sign * h
            atoms.set_positions(p)
            f.append(atoms.get_forces().ravel())
        out[:, col] = -(f[0] - f[1]) / (2 * h)
    atoms.set_positions(pos)
    return out


def test_hessian_equals_finite_differences_lj(lj):
    """A smooth potential: every entry agrees to the differences' own error."""
    s = b2_cuzr(2, tilt=(0.4, -0.3, 0.2))
    atoms = to_ase(s)
    atoms.calc = NonaffineCalculator(lj)
    h = nonaffine.get_hessian(atoms, lj)
    assert isinstance(h, scipy.sparse.csr_matrix) and h.shape == (48, 48)
    fd = fd_hessian(atoms)
    scale = np.abs(fd).max()
    assert np.abs(h.toarray() - fd).max() <= 1e-7 * scale
    assert np.array_equal(nonaffine.get_hessian(atoms, lj, format="dense"), h.toarray())


def test_hessian_equals_finite_differences_eam(eam):
    """LAMMPS' spline tables: the second derivatives jump at every knot
    (0.00076 Å apart in r), so an entry whose ±h difference straddles a knot
    is off by up to the jump; all others agree to the differences' error.
    The test asks it of the median and of 98 % of the significant entries."""
    s = b2_cuzr(2, shake=0.15)
    atoms = to_ase(s)
    atoms.calc = NonaffineCalculator(eam)
    h = nonaffine.get_hessian(atoms, eam, format="dense")
    fd = fd_hessian(atoms, h=1e-6)
    scale = np.abs(fd).max()
    big = np.abs(fd) > 1e-3 * scale
    err = np.abs(h - fd)[big] / scale
    assert np.median(err) < 1e-7
    assert np.quantile(err, 0.98) < 1e-5
    # Translation invariance (docs/theory.md Eq. (20)) and symmetry.
    assert np.abs(h.reshape(16, 3, 16, 3).sum(axis=2)).max() < 1e-10 * scale
    assert np.array_equal(h, h.T)


def test_mass_weighted(eam):
    s = b2_cuzr(2)
    h = nonaffine.get_hessian(s, eam, format="dense")
    d = nonaffine.get_hessian(s, eam, format="dense", mass_weighted=True)
    m = np.repeat([63.546 if e == "Cu" else 91.224 for e in s["symbols"]], 3)
    assert np.allclose(d, h / np.sqrt(np.outer(m, m)), rtol=1e-12, atol=0)


def test_born_and_nonaffine_forces_equal_finite_differences(lj):
    """C^B (GPa) from second differences of the energy along Voigt strains,
    Ξ from differences of the forces (atoms and cell strained affinely)."""
    s = b2_cuzr(2, tilt=(0.4, -0.3, 0.2))
    atoms = to_ase(s)
    atoms.calc = NonaffineCalculator(lj)
    pos, cell = atoms.get_positions(), atoms.get_cell().array.copy()
    volume = atoms.get_volume()

    def strained(eta):
        e = nonaffine._atoms.voigt_to_tensor2(np.asarray(eta, dtype=float))
        e[np.triu_indices(3, 1)] /= 2
        e[np.tril_indices(3, -1)] /= 2
        f = np.eye(3) + e
        a = atoms.copy()
        a.calc = NonaffineCalculator(lj)
        a.set_cell(cell @ f.T, scale_atoms=False)
        a.set_positions(pos @ f.T)
        return a

    d = 1e-4
    born = nonaffine.get_born_elastic_constants(atoms, lj)
    xi = nonaffine.get_nonaffine_forces(atoms, lj)
    assert xi.shape == (16, 3, 6)
    for a in range(6):
        ea = np.eye(6)[a] * d
        fp, fm = strained(ea).get_forces(), strained(-ea).get_forces()
        assert np.abs(xi[:, :, a] - (fp - fm) / (2 * d)).max() <= 1e-6 * np.abs(xi).max()
        for b in range(6):
            eb = np.eye(6)[b] * d
            e = [strained(ea * sa + eb * sb).get_potential_energy() for sa, sb in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            c = (e[0] - e[1] - e[2] + e[3]) / (4 * d * d) / volume * 160.2176634
            assert abs(born[a, b] - c) <= 1e-5 * np.abs(born).max(), (a, b)


def test_rotated_cell_gives_rotated_results(eam):
    """A triclinic cell turned by a general rotation Q (ASE's cell no longer
    upper-triangular): energy equal, forces, stress, H blocks, Ξ and the
    moduli equal Q applied to those of the cell in LAMMPS' orientation."""
    s = b2_cuzr(3, tilt=(0.8, -0.5, 0.6))
    q = rotation()
    r = {"positions": s["positions"] @ q.T, "cell": s["cell"] @ q.T, "symbols": s["symbols"]}
    assert not np.allclose(r["cell"], np.tril(r["cell"]))
    a, b = to_ase(s), to_ase(r)
    a.calc, b.calc = NonaffineCalculator(eam), NonaffineCalculator(eam)
    assert b.get_potential_energy() == pytest.approx(a.get_potential_energy(), rel=1e-12)
    tol = 1e-10
    fa = a.get_forces()
    assert np.abs(b.get_forces() - fa @ q.T).max() <= tol * np.abs(fa).max()
    va = nonaffine._atoms.voigt_to_tensor2(a.get_stress())
    vb = nonaffine._atoms.voigt_to_tensor2(b.get_stress())
    assert np.abs(vb - q @ va @ q.T).max() <= tol * np.abs(va).max()

    n = len(a)
    ha = nonaffine.get_hessian(a, eam, format="dense").reshape(n, 3, n, 3)
    hb = nonaffine.get_hessian(b, eam, format="dense").reshape(n, 3, n, 3)
    want = np.einsum("ia,manb,jb->minj", q, ha, q)
    assert np.abs(hb - want).max() <= tol * np.abs(ha).max()

    t2, t4 = nonaffine._atoms.voigt_to_tensor2, nonaffine._atoms.voigt_to_tensor4
    xa, xb = t2(nonaffine.get_nonaffine_forces(a, eam)), t2(nonaffine.get_nonaffine_forces(b, eam))
    want = np.einsum("ia,jb,kc,mabc->mijk", q, q, q, xa)
    assert np.abs(xb - want).max() <= tol * np.abs(xa).max()

    ca = t4(nonaffine.get_born_elastic_constants(a, eam))
    cb = t4(nonaffine.get_born_elastic_constants(b, eam))
    want = np.einsum("ia,jb,kc,ld,abcd->ijkl", q, q, q, q, ca)
    assert np.abs(cb - want).max() <= tol * np.abs(ca).max()
    # The matscipy-shaped methods are the same tensors in eV/Å³ and eV/Å.
    assert np.allclose(b.calc.get_born_elastic_constants(b) * 160.2176634, cb, rtol=0, atol=1e-9 * np.abs(cb).max())
    assert np.allclose(b.calc.get_nonaffine_forces(b), xb, rtol=0, atol=0)


def test_relaxed_moduli_equal_dense_pseudo_inverse(eam):
    """C = C^B − (1/V) Ξᵀ H⁺ Ξ (docs/theory.md Eq. (21)): the library's
    conjugate gradient against numpy's pseudo-inverse of the dense H, on a
    relaxed fcc Cu crystal with Zr substituted, in a rotated cell."""
    ase = need("ase")
    from ase.build import bulk
    from ase.optimize import FIRE

    atoms = bulk("Cu", "fcc", a=3.639, cubic=True).repeat(2)
    atoms.symbols[::5] = "Zr"
    atoms.rotate(40, (1, -2, 0.5), rotate_cell=True)
    atoms.calc = NonaffineCalculator(eam)
    assert FIRE(atoms, logfile=None).run(fmax=1e-7, steps=5000)
    h = nonaffine.get_hessian(atoms, eam, format="dense")
    xi = nonaffine.get_nonaffine_forces(atoms, eam).reshape(-1, 6)
    born = nonaffine.get_born_elastic_constants(atoms, eam)
    want = born - xi.T @ np.linalg.pinv(h, rcond=1e-10, hermitian=True) @ xi / atoms.get_volume() * 160.2176634
    got = nonaffine.get_relaxed_elastic_constants(atoms, eam)
    assert np.abs(got - want).max() <= 1e-6 * np.abs(born).max()
    assert np.abs(got - born).max() > 1.0  # the relaxation is not nothing (GPa)
