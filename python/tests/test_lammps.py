"""Energy, forces and stress of the ASE calculator against LAMMPS itself
(Debian's python3-lammps: the same library the worker links), on a shaken
B2 Cu–Zr cell and a triclinic one: ≤ 1e-10 relative."""

import numpy as np
import pytest

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
            region box prism 0 {cell[0, 0]!r} 0 {cell[1, 1]!r} 0 {cell[2, 2]!r} {cell[1, 0]!r} {cell[2, 0]!r} {cell[2, 1]!r} units box
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
