"""Bad input becomes a Python exception with the library's message, never a crash."""

import numpy as np
import pytest

import nonaffine
from conftest import need, EAM_FILE, b2_cuzr


def test_unknown_element_in_potential():
    with pytest.raises(nonaffine.NonaffineError, match=r"element `Xx` is not in this potential; it has Cu, Zr"):
        nonaffine.Potential("eam/fs", file=EAM_FILE, elements=["Cu", "Xx"])


def test_structure_element_not_in_potential(eam):
    s = b2_cuzr(2)
    s["symbols"] = ["Ni" if e == "Zr" else e for e in s["symbols"]]
    with pytest.raises(nonaffine.NonaffineError, match=r"Ni.*Cu, Zr"):
        nonaffine.get_hessian(s, eam)


def test_truncated_potential_file_names_file_and_line(tmp_path):
    cut = tmp_path / "cut.eam.fs"
    lines = EAM_FILE.read_text().splitlines(keepends=True)
    cut.write_text("".join(lines[:1000]))
    with pytest.raises(nonaffine.NonaffineError) as err:
        nonaffine.Potential("eam/fs", file=cut, elements=["Cu", "Zr"])
    # file:line and what is missing.
    assert f"{cut}:1001: the F(ρ) table of Cu is truncated" in str(err.value)


def test_missing_potential_file(tmp_path):
    with pytest.raises(nonaffine.NonaffineError, match="nowhere.eam.fs"):
        nonaffine.Potential("eam/fs", file=tmp_path / "nowhere.eam.fs", elements=["Cu", "Zr"])


def test_unknown_plugin_suggests_the_nearest():
    with pytest.raises(nonaffine.NonaffineError, match=r"unknown potential plugin `eam/fx` \(did you mean `eam/fs`\?\)"):
        nonaffine.Potential("eam/fx", file=EAM_FILE, elements=["Cu", "Zr"])


def test_zero_volume_cell(eam):
    s = b2_cuzr(2)
    s["cell"] = np.array([[6.52, 0, 0], [0, 6.52, 0], [6.52, 6.52, 0]])
    with pytest.raises(nonaffine.NonaffineError, match="volume 0"):
        nonaffine.get_hessian(s, eam)


def test_bad_shapes(eam):
    s = b2_cuzr(2)
    with pytest.raises(ValueError, match="positions must be a N×3 array"):
        nonaffine.get_hessian({**s, "positions": s["positions"][:, :2]}, eam)
    with pytest.raises(ValueError, match="15 element names for 16 atoms"):
        nonaffine.get_hessian({**s, "symbols": s["symbols"][:-1]}, eam)
    with pytest.raises(ValueError, match='format must be "sparse" or "dense"'):
        nonaffine.get_hessian(s, eam, format="coo")


def test_non_periodic_atoms_refused(eam):
    ase = need("ase")
    s = b2_cuzr(2)
    atoms = ase.Atoms(symbols=s["symbols"], positions=s["positions"], cell=s["cell"], pbc=[True, True, False])
    with pytest.raises(ValueError, match="periodic in x, y and z"):
        nonaffine.get_hessian(atoms, eam)


def test_kernel_parameter_error_names_key():
    with pytest.raises(nonaffine.NonaffineError, match=r"kernel\.nu0"):
        nonaffine.kernel("markovian", nu0=-1.0)
