"""A Python project's pyproject.toml as the manifest, from `init --format pyproject` to `run`."""

from __future__ import annotations

from minipixi.cli import main


def test_init_add_run_with_a_pyproject_manifest(offline, tmp_path, monkeypatch, capfd):
    assert main(["init", "--format", "pyproject", "-p", "linux-64", str(tmp_path / "proj")]) == 0
    monkeypatch.chdir(tmp_path / "proj")
    assert main(["add", "numpy"]) == 0
    text = (tmp_path / "proj" / "pyproject.toml").read_text()
    assert "[tool.pixi.dependencies]\nnumpy = " in text and not (tmp_path / "proj" / "pixi.toml").exists()
    lock = (tmp_path / "proj" / "pixi.lock").read_text()
    assert "/python-3" in lock and "/numpy-2" in lock  # requires-python became the python dependency
    capfd.readouterr()
    code = "import numpy, os; print(numpy.__version__, os.environ['PIXI_PROJECT_MANIFEST'])"
    assert main(["run", "python", "-c", code]) == 0
    assert f"2.3.0 {tmp_path / 'proj' / 'pyproject.toml'}" in capfd.readouterr().out
