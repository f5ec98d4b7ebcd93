"""An ASE calculator backed by nonaffine (needs ASE).

``NonaffineCalculator(potential)`` gives ``energy`` (eV), ``free_energy``
(the same), ``energies`` (per atom, as LAMMPS' ``pe/atom``), ``forces``
(eV/Å) and ``stress`` (ASE's convention: σ = (1/V) ∂E/∂ε, tension
positive, Voigt xx yy zz yz xz xy, eV/Å³) — the numbers LAMMPS computes with
the same potential. It also offers matscipy's method names and shapes, so a
matscipy user can swap it in:

- ``get_hessian(atoms, format="sparse")``: 3N×3N in eV/Å²;
- ``get_nonaffine_forces(atoms)``: (N, 3, 3, 3) in eV/Å, ∂f_{m,α}/∂ε_{jk}
  with symmetric strain ε;
- ``get_born_elastic_constants(atoms)``: (3, 3, 3, 3) in eV/Å³, the second
  derivative of the energy per volume along the linear (small) strain
  ε, C^B_ijkl = (1/V) ∂²U/∂ε_ij∂ε_kl. At a non-zero residual stress σ this
  includes the stress term of the linear strain (docs/theory.md Eq. (19)):
  it differs from the Green–Lagrange Born term by ½(σ_ik δ_jl + ...)
  symmetrised; at zero stress the two agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from . import _core, get_hessian
from . import _products, _xi_back, _moduli_back  # noqa: F401  (shared helpers)
from ._atoms import frame as _frame, voigt_to_tensor2, voigt_to_tensor4

# GPa per eV/Å³ (1 eV/Å³ = 160.2176634 GPa).
_GPA_PER_EV_PER_A3 = 160.2176634


class NonaffineCalculator(Calculator):
    """ASE calculator of a :class:`nonaffine.Potential`."""

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, potential: "_core.Potential", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.potential = potential

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        f = _frame(self.atoms)
        energy, forces, virial, energies = _core.evaluate(self.potential, f.positions, f.cell, f.symbols)
        volume = abs(np.linalg.det(f.cell))
        # ASE's stress is (1/V) ∂E/∂ε = −W/V with the virial W = −∂U/∂ε.
        stress = f.tensor2(voigt_to_tensor2(-virial / volume))
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "energies": energies,
            "forces": f.vectors(forces),
            "stress": np.array([stress[0, 0], stress[1, 1], stress[2, 2], stress[1, 2], stress[0, 2], stress[0, 1]]),
        }

    # matscipy's names and shapes.
    def get_hessian(self, atoms, format: str = "sparse", divide_by_masses: bool = False):
        """H (3N×3N, eV/Å²), or M^{-1/2} H M^{-1/2} with ``divide_by_masses``."""
        return get_hessian(atoms, self.potential, format=format, mass_weighted=divide_by_masses)

    def get_nonaffine_forces(self, atoms) -> np.ndarray:
        """∂f_{m,α}/∂ε_{jk}, shape (N, 3, 3, 3), eV/Å (matscipy's layout)."""
        f, p = _products(atoms, self.potential)
        return voigt_to_tensor2(_xi_back(f, p["xi"]))

    def get_born_elastic_constants(self, atoms) -> np.ndarray:
        """C^B_ijkl, shape (3, 3, 3, 3), eV/Å³ (see the module doc for the stress term)."""
        f, p = _products(atoms, self.potential)
        return voigt_to_tensor4(_moduli_back(f, p["born_gpa"])) / _GPA_PER_EV_PER_A3
