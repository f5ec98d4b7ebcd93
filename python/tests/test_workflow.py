"""run_workflow: a 108-atom quench (LAMMPS, through the worker script the
package installs) → hessian → spectrum round trip, rerun from the cache, and
the run's Hessian and spectrum against the Python functions on the glass it
wrote."""

import json
from pathlib import Path

import numpy as np
import scipy.io

import nonaffine
from conftest import EAM_FILE, need

WORKFLOW = """name: tiny
description: the Python package's workflow round trip
stages:
  glass:
    stage: quench
    params:
      potential: {{ plugin: eam/fs, file: {eam}, elements: [Cu, Zr] }}
      n_atoms: 108
      composition: {{ Cu: 0.5, Zr: 0.5 }}
      melt_time_ps: 1
      cooling_rate_k_per_ps: 2000
      capture_temperatures_k: [670]
      stress_tolerance_bar: 20
  hessian:
    stage: hessian
    inputs: [glass]
    params:
      potential: {{ plugin: eam/fs, file: {eam}, elements: [Cu, Zr] }}
  spectrum:
    stage: spectrum
    inputs: [hessian]
    params: {{ solver: {{ plugin: dense }}, negative_modes: exclude, plots: false, bins: 40 }}
"""


def test_workflow_round_trip(tmp_path, eam):
    ase_io = need("ase.io")
    assert nonaffine.lammps_worker() is not None, "the package installs nonaffine-lammps-worker"
    path = tmp_path / "tiny.yaml"
    path.write_text(WORKFLOW.format(eam=EAM_FILE))
    report = nonaffine.run_workflow(path, out=tmp_path / "runs" / "tiny")
    assert report["workflow"] == "tiny"
    assert [s["stage"] for s in report["stages"]] == ["glass", "hessian", "spectrum"]
    assert all(s["status"] == "ran" for s in report["stages"])
    again = nonaffine.run_workflow(path, out=tmp_path / "runs" / "tiny")
    assert all(s["status"] == "cached" for s in again["stages"])
    assert json.loads(open(report["manifest"]).read())["workflow"]["name"] == "tiny"

    stages = {s["stage"]: s["dir"] for s in report["stages"]}
    hdir = stages["hessian"]
    data = next(p for p in Path(hdir).rglob("structure.data"))
    atoms = ase_io.read(data, format="lammps-data", atom_style="atomic", Z_of_type={1: 29, 2: 40})
    h = scipy.io.mmread(str(data.parent / "hessian.mtx")).toarray()
    ours = nonaffine.get_hessian(atoms, eam, format="dense")
    assert np.abs(ours - h).max() <= 1e-9 * np.abs(h).max()

    sample = next(Path(stages["spectrum"]).rglob("sample.json"))
    stage = json.loads(sample.read_text())
    s = nonaffine.spectrum(atoms, eam, negative_modes="exclude", bins=40)
    assert s.report["census"]["zero"] == stage["census"]["zero"]
    assert np.allclose(s.report["relaxed_from_modes_gpa"], stage["relaxed_from_modes_gpa"], rtol=1e-7, atol=1e-7)


def test_workflow_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nstages:\n  x:\n    stage: nosuch\n")
    try:
        nonaffine.run_workflow(path, out=tmp_path / "run")
    except nonaffine.NonaffineError as e:
        assert "bad.yaml" in str(e) and "nosuch" in str(e)
    else:
        raise AssertionError("a bad workflow ran")
