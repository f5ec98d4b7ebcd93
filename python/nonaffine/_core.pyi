"""Type stubs of the Rust extension ``nonaffine._core`` (metal units: Å, eV, amu; GPa)."""

import os
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class NonaffineError(ValueError):
    """An error reported by nonaffine's Rust library, with its message."""

class Potential:
    """A potential plugin (``eam/fs``, ``eam/alloy``, ``lj/cut``)."""

    def __init__(
        self,
        kind: str,
        file: Optional[Union[str, os.PathLike]] = None,
        elements: Optional[Sequence[str]] = None,
        **params: Any,
    ) -> None: ...
    @property
    def kind(self) -> str: ...
    @property
    def elements(self) -> list[str]: ...
    @property
    def masses_amu(self) -> list[float]: ...
    @property
    def cutoff_angstrom(self) -> float: ...

class Kernel:
    """A memory-kernel plugin (``markovian``, ``exponential``, ``stretched-exp``, ``tabulated``)."""

    def __init__(self, plugin: str, **params: Any) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def memory_time(self) -> Optional[float]: ...
    def parameters(self) -> list[Tuple[str, float, str]]: ...
    def nu(self, omega: npt.NDArray[np.float64]) -> npt.NDArray[np.complex128]: ...
    def nu_time(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...

def restricted_frame(
    cell: npt.NDArray[np.float64],
) -> Tuple[npt.NDArray[np.float64], Optional[npt.NDArray[np.float64]]]: ...
def evaluate(
    potential: Potential,
    positions: npt.NDArray[np.float64],
    cell: npt.NDArray[np.float64],
    symbols: Sequence[str],
) -> Tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def hessian(
    potential: Potential,
    positions: npt.NDArray[np.float64],
    cell: npt.NDArray[np.float64],
    symbols: Sequence[str],
    relaxed: bool = False,
    mass_weighted: bool = False,
    pcg_tolerance: float = 1e-10,
) -> dict[str, Any]: ...
def kww(
    beta: float, omega: npt.NDArray[np.float64]
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

LAMMPS_WORKER: str

class Spectrum:
    """A structure's modes, Born moduli and volume (the computing frame)."""

def spectrum(
    potential: Potential,
    positions: npt.NDArray[np.float64],
    cell: npt.NDArray[np.float64],
    symbols: Sequence[str],
    params: dict[str, Any],
) -> Tuple[Spectrum, dict[str, Any]]: ...
def modulus(
    spectrum: Spectrum, kernel: Kernel, omega: npt.NDArray[np.float64]
) -> Tuple[
    npt.NDArray[np.complex128],
    npt.NDArray[np.complex128],
    npt.NDArray[np.complex128],
    npt.NDArray[np.complex128],
]: ...
def run_workflow(path: str, out: Optional[str] = None, jobs: Optional[int] = None) -> str: ...
def lammps_worker() -> int: ...
