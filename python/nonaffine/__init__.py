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

import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Optional, Union

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
    "Spectrum",
    "spectrum",
    "Modulus",
    "modulus",
    "run_workflow",
    "lammps_worker",
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


# The `spectrum` stage's own keys; every other keyword goes to the solver.
_STAGE_KEYS = (
    "bins",
    "nu_max_thz",
    "smoothing_thz",
    "boson_peak_width",
    "zero_tolerance",
    "negative_modes",
)


def _voigt_vectors_back(f, v: np.ndarray) -> np.ndarray:
    """(M, 6) Voigt-indexed rows (e.g. Ξ̂_p) in the computing frame → the caller's."""
    if f.rotation is None or len(v) == 0:
        return v
    return tensor2_to_voigt(f.tensor2(voigt_to_tensor2(v)))


class Spectrum:
    """The spectrum of one structure (docs/theory.md §4), as the ``spectrum``
    stage computes it for one sample.

    Attributes (units: λ = ω² in eV/(Å²·amu), ν in THz):

    - ``solver``, ``kind``: the solver plugin, and what the entries are:
      ``"complete"`` (every eigenpair, ``dense``), ``"lowest"`` (``arpack``),
      ``"quadrature"`` (``lanczos``: Gauss quadrature nodes and weights, not
      eigenvalues), ``"model"`` (``debye``);
    - ``eigenvalues`` (also ``nodes``), ``frequencies_thz`` (ν = sqrt(λ)·15.633,
      negative for λ < 0), ``projections`` Ξ̂_{p,a} (M, 6) in eV/(Å·amu^½),
      Voigt a in the caller's frame, ``weights`` Ξ̂_{p,a}Ξ̂_{p,b} (M, 6, 6),
      ``participation`` (empty when the solver has no eigenvectors);
    - ``nu_thz`` (grid centres), ``vdos`` (Gaussian-smoothed, or KPM, 1/THz,
      normalised over the 3N − 3 non-zero modes), ``vdos_histogram`` (NaN for
      KPM), ``gamma``, ``gamma_shell`` Γ_a(ν) (bins, 6) in eV²/(Å²·amu);
    - ``density``: the KPM eigenvalue density (``lanczos``) as a dict
      ``lambda``, ``density``, ``zero_mode_density``, ``projected``,
      ``resolution``, or None;
    - ``born_gpa``, ``stress_gpa``, ``volume_a3``, ``report`` (the stage's
      per-sample report: mode census, Debye model, boson peak, relaxed moduli
      from the modes, completeness, timings, warnings), ``warnings``,
      ``diagnostics``.

    Γ and the KPM projected densities are diagonal in a (Ξ̂_a²); for a cell
    that is not in LAMMPS' orientation they refer to the axes of that
    orientation (``rotation`` R maps the caller's vectors to it), while
    ``projections``, ``weights``, ``born_gpa``, ``stress_gpa`` and
    :func:`modulus` are in the caller's frame.
    """

    def __init__(self, solver: str, handle, data: dict, f) -> None:
        self.solver = solver
        self._handle = handle
        self._frame = f
        self.rotation: Optional[np.ndarray] = f.rotation
        self.kind: str = data["kind"]
        self.eigenvalues: np.ndarray = data["eigenvalues"]
        self.frequencies_thz: np.ndarray = data["frequencies_thz"]
        self.projections: np.ndarray = _voigt_vectors_back(f, data["projections"])
        self.participation: np.ndarray = data["participation"]
        self.nu_thz: np.ndarray = data["nu_thz"]
        self.vdos: np.ndarray = data["vdos"]
        self.vdos_histogram: np.ndarray = data["vdos_histogram"]
        self.gamma: np.ndarray = data["gamma"]
        self.gamma_shell: np.ndarray = data["gamma_shell"]
        self.density: Optional[dict] = data["density"]
        self.lowest_eigenvalue: Optional[float] = data["lowest_eigenvalue"]
        self.diagnostics: dict = data["diagnostics"]
        self.warnings: list = data["warnings"]
        self.born_gpa: np.ndarray = _moduli_back(f, data["born_gpa"])
        self.stress_gpa: np.ndarray = _voigt_vectors_back(f, data["stress_gpa"][None, :])[0]
        self.volume_a3: float = data["volume_a3"]
        self.report: dict = json.loads(data["report"])

    @property
    def nodes(self) -> np.ndarray:
        """The quadrature nodes (``lanczos``) or eigenvalues, eV/(Å²·amu)."""
        return self.eigenvalues

    @property
    def weights(self) -> np.ndarray:
        """Ξ̂_{p,a} Ξ̂_{p,b}, (M, 6, 6) in eV²/(Å²·amu): the quadrature weights
        of the spectral measures (``lanczos``), or the products of the
        projections of the eigenmodes."""
        return self.projections[:, :, None] * self.projections[:, None, :]

    def __repr__(self) -> str:
        return f"Spectrum(solver={self.solver!r}, kind={self.kind!r}, entries={len(self.eigenvalues)})"


def spectrum(atoms: Any, potential: Potential, solver: str = "dense", **params: Any) -> Spectrum:
    """The spectrum of the mass-weighted Hessian of ``atoms`` with the solver
    plugin ``solver`` (``dense``, ``arpack``, ``lanczos``, ``debye``), as
    ``nonaffine spectrum --solver NAME -p ...`` computes it: ``bins``,
    ``nu_max_thz``, ``smoothing_thz``, ``boson_peak_width``,
    ``zero_tolerance`` and ``negative_modes`` are the stage's parameters, every other keyword the
    solver's (``nonaffine plugins``), e.g. ``spectrum(atoms, pot, "lanczos",
    steps=60)``. See :class:`Spectrum`."""
    f = _frame(atoms)
    stage = {k: v for k, v in params.items() if k in _STAGE_KEYS}
    stage["solver"] = {"plugin": solver, **{k: v for k, v in params.items() if k not in _STAGE_KEYS}}
    handle, data = _core.spectrum(potential, f.positions, f.cell, f.symbols, stage)
    return Spectrum(solver, handle, data, f)


@dataclass(frozen=True)
class Modulus:
    """C*(ω) of one structure (the response's predict mode), GPa, complex:
    storage = real part, loss = imaginary part.

    ``omega_rad_per_ps`` as given; ``moduli`` C*_ab(ω) (..., 6, 6) Voigt in
    the caller's frame (the η convention of docs/theory.md Eq. (42));
    ``bulk``, ``shear`` (Voigt averages K*, G*), ``young`` 9K*G*/(3K* + G*)
    and ``uniaxial`` C*_11, each shaped like ``omega``."""

    omega_rad_per_ps: np.ndarray
    moduli: np.ndarray
    bulk: np.ndarray
    shear: np.ndarray
    young: np.ndarray
    uniaxial: np.ndarray


def modulus(spectrum: Spectrum, kernel: Kernel, omega) -> Modulus:
    """C*_ab(ω) = C^B_ab − (1/V) Σ_p Ξ̂_{p,a}Ξ̂_{p,b} / (ω_p² − ω² + iων̃(ω))
    (docs/theory.md Eq. (42)) at ω in rad/ps, with the memory kernel in ps
    (its ν̃ in 1/ps; e.g. ``kernel("markovian", nu0=1/τ_d)`` is LAMMPS'
    ``fix langevin`` with damping time τ_d ps): the parameter-free prediction
    of the ``response`` stage's ``modes: [predict]``. ω → 0 gives the relaxed
    moduli of the modes, ω → ∞ the Born moduli. A spectrum of the lowest
    modes only (``arpack``) lacks the stiff modes' share."""
    w = np.asarray(omega, dtype=np.float64)
    c, bulk, shear, young = _core.modulus(spectrum._handle, kernel._k, np.ascontiguousarray(w.ravel()))
    f = spectrum._frame
    if f.rotation is not None:
        c = tensor4_to_voigt(f.tensor4(voigt_to_tensor4(c)))
    shape = w.shape
    return Modulus(
        omega_rad_per_ps=w,
        moduli=c.reshape(shape + (6, 6)),
        bulk=bulk.reshape(shape),
        shear=shear.reshape(shape),
        young=young.reshape(shape),
        uniaxial=c[:, 0, 0].reshape(shape),
    )


def lammps_worker() -> Optional[str]:
    """The LAMMPS worker that :func:`run_workflow` starts: ``$NONAFFINE_LAMMPS_WORKER``,
    else the ``nonaffine-lammps-worker`` script this package installs (in the
    environment's scripts folder), else one on ``PATH``; None when there is none."""
    env = os.environ.get("NONAFFINE_LAMMPS_WORKER")
    if env:
        return env
    name = _core.LAMMPS_WORKER
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


def run_workflow(path: Union[str, os.PathLike], out: Optional[Union[str, os.PathLike]] = None, jobs: Optional[int] = None) -> dict:
    """Runs a workflow YAML file as ``nonaffine run PATH [--out OUT] [-j JOBS]``
    does (every fresh stage from the cache or the store ``.store`` beside the
    run folder) and returns the run report: ``workflow``, ``out_dir``,
    ``report`` (report.md), ``manifest`` (manifest.json), ``seconds`` and
    ``stages``, one dict per job with ``stage``, ``branch``, ``dir``,
    ``status`` (``ran``, ``cached``, ``stored``), ``reason``, ``seconds``,
    ``key``. LAMMPS stages run in the worker :func:`lammps_worker` finds; when
    there is none they fail with a :class:`NonaffineError` saying so."""
    worker = lammps_worker()
    saved = os.environ.get("NONAFFINE_LAMMPS_WORKER")
    if worker is not None:
        os.environ["NONAFFINE_LAMMPS_WORKER"] = worker
    try:
        text = _core.run_workflow(os.fspath(path), None if out is None else os.fspath(out), jobs)
    except NonaffineError as e:
        if worker is None and "nonaffine-lammps-worker" in str(e):
            raise NonaffineError(
                f"{e}\nnonaffine's Python package installs the LAMMPS worker as the script "
                f"`{_core.LAMMPS_WORKER}` in {sysconfig.get_path('scripts')}; it is not there nor on PATH: "
                "reinstall the package (python -m pip install ./python) or set NONAFFINE_LAMMPS_WORKER"
            ) from None
        raise
    finally:
        if saved is None:
            os.environ.pop("NONAFFINE_LAMMPS_WORKER", None)
        else:
            os.environ["NONAFFINE_LAMMPS_WORKER"] = saved
    return json.loads(text)
