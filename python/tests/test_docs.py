"""The example script of docs/python.md runs as written."""

import re
import runpy

from conftest import ROOT, need


def test_docs_example_runs(tmp_path, monkeypatch, capsys):
    need("ase")
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "docs/python.md has one example script"
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "E = " in out and "C11: Born" in out and "ν̃(ω)" in out
