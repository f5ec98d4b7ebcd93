"""get_hessian and the moduli equal what the CLI's `nonaffine hessian` writes
for the same structure (the same library call, through files)."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import nonaffine
from conftest import EAM_FILE, ROOT, b2_cuzr


def cli() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = target / "debug" / "nonaffine"
    if not exe.exists():
        if os.environ.get("NONAFFINE_TEST_ALL") == "1":
            pytest.fail(f"{exe} is missing: build it with `cargo build -p nonaffine-cli`")
        pytest.skip(f"{exe} is missing (cargo build -p nonaffine-cli)")
    return exe


def write_data(path: Path, s) -> None:
    """A LAMMPS data file (restricted triclinic cell, types Cu=1, Zr=2)."""
    c = s["cell"]
    lines = [
        "B2 CuZr for the Python tests",
        "",
        f"{len(s['symbols'])} atoms",
        "2 atom types",
        "",
        f"0 {float(c[0, 0])!r} xlo xhi",
        f"0 {float(c[1, 1])!r} ylo yhi",
        f"0 {float(c[2, 2])!r} zlo zhi",
        f"{float(c[1, 0])!r} {float(c[2, 0])!r} {float(c[2, 1])!r} xy xz yz",
        "",
        "Masses",
        "",
        "1 63.546",
        "2 91.224",
        "",
        "Atoms # atomic",
        "",
    ]
    for i, (e, p) in enumerate(zip(s["symbols"], s["positions"])):
        lines.append(f"{i + 1} {1 if e == 'Cu' else 2} {float(p[0])!r} {float(p[1])!r} {float(p[2])!r}")
    path.write_text("\n".join(lines) + "\n")


def test_hessian_equals_cli_files(eam, tmp_path):
    exe = cli()
    s = b2_cuzr(3, tilt=(0.6, -0.4, 0.3))
    data = tmp_path / "cuzr.data"
    write_data(data, s)
    out = tmp_path / "hessian"
    subprocess.run(
        [str(exe), "hessian", "--potential", str(EAM_FILE), "--elements", "Cu,Zr",
         "--structure", str(data), "--out", str(out), "--no-relaxed"],
        check=True, capture_output=True, text=True,
    )
    lower = scipy.io.mmread(str(out / "hessian.mtx")).toarray()
    h = nonaffine.get_hessian(s, eam, format="dense")
    # hessian.mtx stores the lower triangle of the symmetric H; mmread mirrors it.
    assert np.array_equal(lower, h)
    born = json.loads((out / "born.json").read_text())
    key = next(k for k in born if k.startswith("born"))
    assert np.array_equal(np.array(born[key]), nonaffine.get_born_elastic_constants(s, eam))
