"""Energy, forces and stress of the ASE calculator against LAMMPS itself
(Debian's python3-lammps: the same library the worker links), on a shaken
B2 Cu–Zr cell and a triclinic one: ≤ 1e-10 relative."""

import numpy as np
import pytest

import nonaffine

from conftest import need, EAM_FILE, b2_cuzr, to_ase

lammps = need("lammps")
need("ase")
from nonaffine.calculator import NonaffineCalculator  # noqa: E402

# LAMMPS' nktv2p in metal units (bar·Å³/eV): its pressure is W·nktv2p/V.
NKTV2P_METAL = 1.6021765e6


def lammps_reference(s):
    """(energy eV, forces eV/Å in input order, ASE-convention stress eV/Å³)."""
    cell = s["cell"]
    assert np.allclose(cell, np.tril(cell)), "LAMMPS needs the restricted form"
    lmp = lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])
    try:
        lmp.commands_string(
            f"""
            units metal
            atom_style atomic
            atom_modify map array sort 0 0
            boundary p p p
            region box prism 0 {_r(cell[0, 0])} 0 {_r(cell[1, 1])} 0 {_r(cell[2, 2])} {_r(cell[1, 0])} {_r(cell[2, 0])} {_r(cell[2, 1])} units box
            create_box 2 box
            mass 1 63.546
            mass 2 91.224
            """
        )
        n = len(s["symbols"])
        types = [1 if e == "Cu" else 2 for e in s["symbols"]]
        created = lmp.create_atoms(n, list(range(1, n + 1)), types, s["positions"].ravel().tolist())
        assert created == n
        lmp.commands_string(
            f"""
            pair_style eam/fs
            pair_coeff * * {EAM_FILE} Cu Zr
            thermo_style custom step pe pxx pyy pzz pyz pxz pxy
            thermo_modify norm no
            run 0
            """
        )
        energy = lmp.get_thermo("pe")
        p = np.array([lmp.get_thermo(k) for k in ("pxx", "pyy", "pzz", "pyz", "pxz", "pxy")])
        ids = np.array(lmp.numpy.extract_atom("id")[:n])
        f = np.array(lmp.numpy.extract_atom("f")[:n])
        forces = np.empty_like(f)
        forces[ids - 1] = f
    finally:
        lmp.close()
    # No velocities: P = W nktv2p / V and ASE's stress is −W/V.
    return energy, forces, -p / NKTV2P_METAL


def _r(x) -> str:
    """A float as LAMMPS reads it, exactly (numpy 2's repr names the type)."""
    return repr(float(x))


def rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b))


@pytest.mark.parametrize(
    "tilt", [(0.0, 0.0, 0.0), (1.3, -0.9, 0.7)], ids=["orthogonal", "triclinic"]
)
def test_energy_forces_stress_equal_lammps(eam, tilt):
    s = b2_cuzr(4, tilt=tilt)
    atoms = to_ase(s)
    atoms.calc = NonaffineCalculator(eam)
    energy, forces, stress = lammps_reference(s)
    assert abs(atoms.get_potential_energy() - energy) <= 1e-10 * abs(energy)
    assert rel(atoms.get_forces(), forces) <= 1e-10
    assert rel(atoms.get_stress(), stress) <= 1e-10
    # The per-atom energies add up to the total.
    assert np.isclose(atoms.get_potential_energies().sum(), energy, rtol=1e-12)


def _stress_gpa(lmp):
    """Cauchy stress (tension positive), GPa, Voigt: −pressure (bar) × 1e-4."""
    return -np.array([lmp.get_thermo(k) for k in ("pxx", "pyy", "pzz", "pyz", "pxz", "pxy")]) * 1e-4


TIGHT = """
min_style cg
min_modify line quadratic
minimize 0.0 1e-13 100000 1000000
min_modify line forcezero
minimize 0.0 1e-13 100000 1000000
run 0
"""


def test_relaxed_moduli_equal_lammps_strain_and_minimize(eam):
    """C = C^B − (1/V)ΞᵀH⁺Ξ (docs/theory.md Eq. (21)) against LAMMPS: an fcc
    Cu–Zr alloy (every fifth atom Zr) relaxed by LAMMPS to zero stress and a
    force norm of 1e-13 eV/Å, then the box strained by ±1e-5 in each Voigt
    direction (change_box … remap) and the atoms minimized again; dσ/dh by
    central differences. At the residual stress left (< 1e-4 GPa) the
    pre-stress terms of a box strain (docs/theory.md Eq. (61)) are below
    1e-6 of C, so dσ/dh = C. Every component to 1e-3 of the largest, as in
    the Rust test; C11 see below."""
    need("ase")
    from ase.build import bulk

    base = bulk("Cu", "fcc", a=3.639, cubic=True).repeat(3)
    base.symbols[::5] = "Zr"
    cell = base.get_cell().array
    lmp = lammps.lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])
    try:
        lmp.commands_string(
            f"""
            units metal
            atom_style atomic
            atom_modify map array sort 0 0
            boundary p p p
            region box prism 0 {_r(cell[0, 0])} 0 {_r(cell[1, 1])} 0 {_r(cell[2, 2])} 0 0 0 units box
            create_box 2 box
            mass 1 63.546
            mass 2 91.224
            """
        )
        n = len(base)
        types = [1 if e == "Cu" else 2 for e in base.get_chemical_symbols()]
        lmp.create_atoms(n, list(range(1, n + 1)), types, base.get_positions().ravel().tolist())
        lmp.commands_string(
            f"""
            pair_style eam/fs
            pair_coeff * * {EAM_FILE} Cu Zr
            thermo_style custom step pe fnorm pxx pyy pzz pyz pxz pxy
            """
        )
        # box/relax stops where its line search stalls: restart it until the stress is gone.
        for _ in range(20):
            lmp.commands_string(
                """
                fix relax all box/relax tri 0.0 vmax 0.001
                minimize 0.0 1e-13 100000 1000000
                unfix relax
                """
            )
            lmp.commands_string(TIGHT)
            if np.abs(_stress_gpa(lmp)).max() < 1e-5:
                break
        box = lmp.extract_box()
        lo, hi, xy, yz, xz = box[0], box[1], box[2], box[3], box[4]
        h0 = np.array([[hi[0] - lo[0], 0, 0], [xy, hi[1] - lo[1], 0], [xz, yz, hi[2] - lo[2]]])
        ids = np.array(lmp.numpy.extract_atom("id")[:n])
        x = np.array(lmp.numpy.extract_atom("x")[:n])
        pos = np.empty_like(x)
        pos[ids - 1] = x - np.array(lo)
        sigma0 = _stress_gpa(lmp)
        assert np.abs(sigma0).max() < 1e-4
        # dσ_b/dh_a with F = 1 + h G^a (G upper triangular in LAMMPS' box).
        h = 1e-5
        pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
        lammps_c = np.empty((6, 6))
        for a, (p, q) in enumerate(pairs):
            stress = []
            for step in (h, -h):
                v = h0.copy()
                v[:, p] += step * v[:, q]
                lmp.commands_string(
                    f"""
                    change_box all x final {_r(lo[0])} {_r(lo[0] + v[0, 0])} y final {_r(lo[1])} {_r(lo[1] + v[1, 1])} z final {_r(lo[2])} {_r(lo[2] + v[2, 2])} xy final {_r(v[1, 0])} xz final {_r(v[2, 0])} yz final {_r(v[2, 1])} remap units box
                    {TIGHT}
                    """
                )
                stress.append(_stress_gpa(lmp))
            lammps_c[:, a] = (stress[0] - stress[1]) / (2 * h)
            # Back to the reference box (and, minimized, its structure).
            lmp.commands_string(
                f"change_box all x final {_r(lo[0])} {_r(hi[0])} y final {_r(lo[1])} {_r(hi[1])} z final {_r(lo[2])} {_r(hi[2])} "
                f"xy final {_r(xy)} xz final {_r(xz)} yz final {_r(yz)} remap units box\n{TIGHT}"
            )
    finally:
        lmp.close()
    s = {"positions": pos, "cell": h0, "symbols": base.get_chemical_symbols()}
    ours = nonaffine.get_relaxed_elastic_constants(s, eam)
    born = nonaffine.get_born_elastic_constants(s, eam)
    big = np.abs(lammps_c).max()
    # The measurement's own noise: its dσ_b/dh_a is symmetric only to 1.2e-4
    # of the largest component (measured: C11 off by 1.1e-4, every component
    # within 2.7e-4), so C11 is asked to 3e-4.
    assert np.abs(lammps_c - lammps_c.T).max() <= 3e-4 * big
    assert abs(ours[0, 0] - lammps_c[0, 0]) <= 3e-4 * lammps_c[0, 0]
    assert np.abs(ours - lammps_c).max() <= 1e-3 * big
    assert np.abs(born - ours).max() > 1.0  # the relaxation is measurable (GPa)
