"""Structures from ``ase.Atoms`` or plain arrays, and the rotation between a
general cell and LAMMPS' restricted triclinic form (a along x, b in the xy
plane), in which the Rust library computes.

Copy policy: positions and cell are converted once to float64 C-ordered
arrays (no copy when they already are); results are new arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from . import _core

# Chemical symbols by atomic number (index 0 unused), for plain `numbers`.
_SYMBOLS = (
    "X H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn "
    "Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr "
    "Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra "
    "Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()


@dataclass(frozen=True)
class Frame:
    """A structure in the computing frame.

    ``positions`` (N×3, Å) and ``cell`` (rows a, b, c, Å) are in LAMMPS'
    restricted form; ``rotation`` is R with r_restricted = R r_caller, or
    None when the caller's cell already is in that form.
    """

    positions: np.ndarray
    cell: np.ndarray
    symbols: list
    rotation: Optional[np.ndarray]

    # Back to the caller's frame: a vector v = Rᵀ v', a tensor index likewise.
    def vectors(self, v: np.ndarray) -> np.ndarray:
        """(..., 3) vectors rotated back."""
        return v if self.rotation is None else v @ self.rotation

    def tensor2(self, t: np.ndarray) -> np.ndarray:
        """(..., 3, 3) rank-2 tensors rotated back."""
        if self.rotation is None:
            return t
        r = self.rotation
        return np.einsum("ai,bj,...ab->...ij", r, r, t)

    def tensor3(self, t: np.ndarray) -> np.ndarray:
        """(..., 3, 3, 3) rank-3 tensors rotated back."""
        if self.rotation is None:
            return t
        r = self.rotation
        return np.einsum("ai,bj,ck,...abc->...ijk", r, r, r, t)

    def tensor4(self, t: np.ndarray) -> np.ndarray:
        """(..., 3, 3, 3, 3) rank-4 tensors rotated back."""
        if self.rotation is None:
            return t
        r = self.rotation
        return np.einsum("ai,bj,ck,dl,...abcd->...ijkl", r, r, r, r, t)


def _float_array(x: Any, name: str, shape: tuple) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        want = "×".join("N" if s is None else str(s) for s in shape)
        raise ValueError(f"{name} must be a {want} array, got shape {a.shape}")
    return a


def _symbols_of(numbers: Sequence[int]) -> list:
    out = []
    for z in numbers:
        z = int(z)
        if not 0 < z < len(_SYMBOLS):
            raise ValueError(f"atomic number {z} is not an element (1–{len(_SYMBOLS) - 1})")
        out.append(_SYMBOLS[z])
    return out


def frame(atoms: Any = None, *, positions=None, cell=None, numbers=None, symbols=None) -> Frame:
    """The computing frame of ``atoms`` (an ``ase.Atoms`` or anything with
    ``get_positions``, ``get_cell`` and ``get_chemical_symbols``), or of plain
    ``positions`` (N×3, Å), ``cell`` (3×3 rows, Å) and ``numbers`` (atomic
    numbers) or ``symbols`` (element names, as the potential spells them).
    The structure is periodic in all three directions.
    """
    if atoms is not None:
        if isinstance(atoms, dict):
            return frame(**atoms)
        pbc = getattr(atoms, "pbc", None)
        if pbc is not None and not np.all(pbc):
            raise ValueError(
                f"nonaffine needs a structure periodic in x, y and z; atoms.pbc is {list(np.asarray(pbc))}"
            )
        positions = atoms.get_positions()
        cell = np.asarray(atoms.get_cell())
        symbols = list(atoms.get_chemical_symbols())
    if positions is None or cell is None:
        raise ValueError("give an ase.Atoms, or positions= and cell= with numbers= or symbols=")
    if symbols is None:
        if numbers is None:
            raise ValueError("give numbers= (atomic numbers) or symbols= (element names) with positions=")
        symbols = _symbols_of(numbers)
    else:
        symbols = [str(s) for s in symbols]
    pos = _float_array(positions, "positions", (None, 3))
    c = _float_array(cell, "cell", (3, 3))
    if len(symbols) != len(pos):
        raise ValueError(f"{len(symbols)} element names for {len(pos)} atoms")
    restricted, rotation = _core.restricted_frame(c)
    if rotation is not None:
        pos = np.ascontiguousarray(pos @ rotation.T)
    return Frame(positions=pos, cell=restricted, symbols=symbols, rotation=rotation)


# Voigt order xx, yy, zz, yz, xz, xy (engineering shears): index pairs.
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def voigt_to_tensor2(v: np.ndarray) -> np.ndarray:
    """(..., 6) Voigt components → (..., 3, 3) symmetric tensors (no factor 2:
    stresses, and derivatives with respect to engineering strains)."""
    t = np.empty(v.shape[:-1] + (3, 3))
    for a, (i, j) in enumerate(VOIGT):
        t[..., i, j] = v[..., a]
        t[..., j, i] = v[..., a]
    return t


def tensor2_to_voigt(t: np.ndarray) -> np.ndarray:
    """(..., 3, 3) → (..., 6) Voigt components."""
    return np.stack([t[..., i, j] for i, j in VOIGT], axis=-1)


# Voigt index of each tensor index pair.
_VOIGT_OF = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])
_I = np.array([i for i, _ in VOIGT])
_J = np.array([j for _, j in VOIGT])


def voigt_to_tensor4(c: np.ndarray) -> np.ndarray:
    """(..., 6, 6) Voigt moduli (real or complex) → C_ijkl (..., 3, 3, 3, 3)
    with its minor symmetries."""
    c = np.asarray(c)
    return c[..., _VOIGT_OF[:, :, None, None], _VOIGT_OF[None, None, :, :]]


def tensor4_to_voigt(t: np.ndarray) -> np.ndarray:
    """C_ijkl (..., 3, 3, 3, 3) → (..., 6, 6) Voigt moduli."""
    return np.asarray(t)[..., _I[:, None], _J[:, None], _I[None, :], _J[None, :]]
