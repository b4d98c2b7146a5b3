"""GPU-aware deployment defaults: an environment that declares CUDA asks its job for a GPU.

The workspace is Episode 7's own (its pixi.toml is read from the lesson's snippet, so page and
test cannot drift): the `gpu` environment runs on ``{ name = "linux-64-cuda", platform =
"linux-64", cuda = "12" }``. Without ``--gpus``, its HTCondor submit description asks for one
GPU and a CUDA 12 driver, and its Slurm script for ``--gres=gpu:1``; ``--gpus 0`` turns both off;
the `cpu` environment (no CUDA) asks for none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.deploy.render import default_gpus

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = ROOT / "lessons" / "snippets" / "commands" / "ep07-01-workspace.sh"


def lesson_manifest() -> str:
    text = SNIPPET.read_text(encoding="utf-8")
    return re.search(r"<<'TOML'\n(.*?)\nTOML\n", text, re.S).group(1)


@pytest.fixture
def workspace(tmp_path, offline, monkeypatch):
    root = tmp_path / "htcondor"
    root.mkdir()
    (root / "pixi.toml").write_text(lesson_manifest(), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def export(capsys, root: Path, kind: str, *extra: str) -> Path:
    """Run one export into a folder of its own (the helper script has one name for all)."""
    out = root / "out" / "-".join(extra)
    code = main(["workspace", "export", kind, "-e", *extra, "--output-dir", str(out)])
    assert code == 0, capsys.readouterr().err
    return out


def submit_values(path: Path) -> dict[str, str]:
    htcondor2 = pytest.importorskip("htcondor2")
    submit = htcondor2.Submit(path.read_text(encoding="utf-8"))
    return {k.lower(): v for k, v in dict(submit.items()).items()}


def test_default_gpus_rule():
    assert default_gpus(None, "12") == 1
    assert default_gpus(None, None) == 0
    assert default_gpus(0, "12") == 0  # --gpus 0 turns it off
    assert default_gpus(2, None) == 2


def test_htcondor_submit_of_the_lesson_gpu_environment_asks_for_a_gpu_and_a_driver(workspace, capsys):
    out = export(capsys, workspace, "htcondor", "gpu")
    values = submit_values(out / "gpu.sub")
    assert values["request_gpus"] == "1"
    assert re.fullmatch(r"\(Target\.CUDADriverVersion >= 12\.0\)", values["requirements"])
    assert "GPUs assigned" in (out / "gpu.sh").read_text()


def test_gpus_0_and_a_cpu_environment_ask_for_none(workspace, capsys):
    off = export(capsys, workspace, "htcondor", "gpu", "--gpus", "0")
    cpu = export(capsys, workspace, "htcondor", "cpu")
    for submit in (off / "gpu.sub", cpu / "cpu.sub"):
        values = submit_values(submit)
        assert "request_gpus" not in values and "requirements" not in values


def test_slurm_script_of_the_lesson_gpu_environment_asks_for_a_gpu(workspace, capsys):
    gpu = (export(capsys, workspace, "slurm", "gpu") / "gpu.sbatch").read_text()
    assert re.search(r"^#SBATCH --gres=gpu:1$", gpu, re.M)
    off = export(capsys, workspace, "slurm", "gpu", "--gpus", "0") / "gpu.sbatch"
    cpu = export(capsys, workspace, "slurm", "cpu") / "cpu.sbatch"
    for script in (off, cpu):
        assert "--gres" not in script.read_text()
