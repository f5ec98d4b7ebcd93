"""nonaffine from Python: Hessians, nonaffine force fields, Born and relaxed
elastic constants of periodic structures, and memory kernels.

Units are LAMMPS' metal units: Å, eV, amu; elastic constants in GPa. Voigt
order is xx, yy, zz, yz, xz, xy with engineering shears. A structure is an
``ase.Atoms`` (ASE is optional) or plain arrays given as a dict
``{"positions": (N, 3), "cell": (3, 3) rows, "numbers" or "symbols": (N,)}``;
any cell orientation is accepted: the computation runs in LAMMPS' restricted
triclinic frame and every vector and tensor result is rotated back.

Inputs are converted once to float64 C-ordered arrays (no copy when they
already are). The calls release the GIL and share no mutable state, so they
may run from several threads at once. Library errors are raised as
:class:`NonaffineError` (a ``ValueError``) with the library's message.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from . import _core
from ._atoms import (
    frame as _frame,
    tensor2_to_voigt,
    tensor4_to_voigt,
    voigt_to_tensor2,
    voigt_to_tensor4,
)
from ._core import NonaffineError, Potential

__all__ = [
    "NonaffineError",
    "Potential",
    "Kernel",
    "get_hessian",
    "get_nonaffine_forces",
    "get_born_elastic_constants",
    "get_relaxed_elastic_constants",
    "kww",
    "kernel",
]
__version__ = _core.__version__


def _products(atoms: Any, potential: Potential, *, relaxed: bool = False, mass_weighted: bool = False):
    f = _frame(atoms)
    return f, _core.hessian(
        potential, f.positions, f.cell, f.symbols, relaxed=relaxed, mass_weighted=mass_weighted
    )


def get_hessian(atoms: Any, potential: Potential, format: str = "sparse", mass_weighted: bool = False):
    """H = ∂²U/∂x∂x, 3N×3N in eV/Å² (rows 3i+k: atom i in the order of
    ``atoms``, axis k), or D = M^{-1/2} H M^{-1/2} in eV/(Å²·amu) with
    ``mass_weighted=True`` (masses from the potential). ``format="sparse"``
    gives a ``scipy.sparse.csr_matrix``, ``"dense"`` an ndarray."""
    import scipy.sparse as sp

    if format not in ("sparse", "dense"):
        raise ValueError(f'format must be "sparse" or "dense", got {format!r}')
    f, p = _products(atoms, potential, mass_weighted=mass_weighted)
    n = p["n"]
    h = sp.csr_matrix((p["data"], p["indices"], p["indptr"]), shape=(n, n))
    if f.rotation is not None:
        b = sp.kron(sp.identity(n // 3, format="csr"), f.rotation, format="csr")
        h = (b.T @ h @ b).tocsr()
    return h.toarray() if format == "dense" else h


def _xi_back(f, xi: np.ndarray) -> np.ndarray:
    """Ξ (3N, 6) in the computing frame → (N, 3, 6) in the caller's."""
    xi = xi.reshape(-1, 3, 6)
    if f.rotation is None:
        return xi
    return tensor2_to_voigt(f.tensor3(voigt_to_tensor2(xi)))


def get_nonaffine_forces(atoms: Any, potential: Potential) -> np.ndarray:
    """Ξ_{m,α,a} = ∂f_{m,α}/∂η_a, shape (N, 3, 6) in eV/Å: the force on atom m
    along α per unit Voigt strain a (xx, yy, zz, yz, xz, xy, engineering
    shears), under an affine deformation of atoms and cell."""
    f, p = _products(atoms, potential)
    return _xi_back(f, p["xi"])


def _moduli_back(f, c: np.ndarray) -> np.ndarray:
    return c if f.rotation is None else tensor4_to_voigt(f.tensor4(voigt_to_tensor4(c)))


def get_born_elastic_constants(atoms: Any, potential: Potential) -> np.ndarray:
    """Born (affine) elastic constants C^B = (1/V) ∂²U/∂η∂η, 6×6 Voigt, GPa
    (docs/theory.md Eq. (18)); at a non-zero residual stress they include the
    stress term of the linear strain (see docs/python.md)."""
    f, p = _products(atoms, potential)
    return _moduli_back(f, p["born_gpa"])


def get_relaxed_elastic_constants(atoms: Any, potential: Potential, pcg_tolerance: float = 1e-10) -> np.ndarray:
    """Relaxed elastic constants C = C^B − (1/V) Ξᵀ H⁺ Ξ, 6×6 Voigt, GPa
    (docs/theory.md Eq. (21)); meaningful for a minimized structure."""
    f = _frame(atoms)
    p = _core.hessian(potential, f.positions, f.cell, f.symbols, relaxed=True, pcg_tolerance=pcg_tolerance)
    return _moduli_back(f, p["relaxed_gpa"])


def kww(beta: float, omega: Union[float, np.ndarray]):
    """(c, s) = (∫₀^∞ e^{−t^β} cos ωt dt, ∫₀^∞ e^{−t^β} sin ωt dt) at each ω
    (rad per unit time of t), with the shape of ``omega``."""
    w = np.asarray(omega, dtype=np.float64)
    c, s = _core.kww(float(beta), np.ascontiguousarray(w.ravel()))
    if w.ndim == 0:
        return float(c[0]), float(s[0])
    return c.reshape(w.shape), s.reshape(w.shape)


class Kernel:
    """A memory kernel (plugin ``markovian``, ``exponential``,
    ``stretched-exp`` or ``tabulated`` with its parameters, see
    ``nonaffine plugins``)."""

    def __init__(self, plugin: str, **params: Any) -> None:
        self._k = _core.Kernel(plugin, **params)

    @property
    def name(self) -> str:
        """The plugin name."""
        return self._k.name

    @property
    def memory_time(self):
        """The kernel's memory time (its time unit), or None."""
        return self._k.memory_time

    def parameters(self):
        """The parameters as (name, value, unit)."""
        return self._k.parameters()

    def nu(self, omega):
        """ν̃(ω) = ν1 − iν2 (complex, 1/time) at ω in rad per the kernel's time unit."""
        w = np.asarray(omega, dtype=np.float64)
        z = self._k.nu(np.ascontiguousarray(w.ravel()))
        return complex(z[0]) if w.ndim == 0 else z.reshape(w.shape)

    def nu_time(self, t):
        """ν(t) at times t in the kernel's time unit."""
        x = np.asarray(t, dtype=np.float64)
        v = self._k.nu_time(np.ascontiguousarray(x.ravel()))
        return float(v[0]) if x.ndim == 0 else v.reshape(x.shape)

    def __repr__(self) -> str:
        return repr(self._k)


def kernel(plugin: str, **params: Any) -> Kernel:
    """The memory kernel ``plugin`` with ``params``; see :class:`Kernel`."""
    return Kernel(plugin, **params)
