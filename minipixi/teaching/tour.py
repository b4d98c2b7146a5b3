"""The tour: the lesson's main flow, run for real, one command at a time.

`minipixi tour` makes a scratch folder and types, for the learner, the commands the lesson
teaches, in the lesson's order: create a workspace, add packages, add tasks and run them, go
multi-platform, add a feature and an environment, export to conda formats, take a package from
PyPI on top of conda's Python, then a CPU/GPU workspace with CUDA system requirements, a lock
file, installs, and deployment files.

Each step is data: the words a learner would type, and an optional note printed before it.
The CLI prints ``$ minipixi ...`` and then runs the very same words through `minipixi.cli.main`,
so the output shown is the program's own. Nothing is typed by hand, and nothing needs a network:
the tour switches on the bundled offline teaching mirror of conda-forge (and of PyPI).

Lesson: all of it, in ten minutes. Read after `cli.py`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One command of the tour. `cwd` is relative to the tour folder; `env` is set for it only."""

    words: tuple[str, ...]
    note: str = ""
    cwd: str = "."
    env: dict = field(default_factory=dict)

    def command_line(self) -> str:
        """The command as a learner types it, quoted where the shell needs quotes."""
        prefix = "".join(f"{k}={v} " for k, v in self.env.items())
        return prefix + "minipixi " + " ".join(shlex.quote(w) for w in self.words)


def step(*words: str, note: str = "", cwd: str = ".", env: dict | None = None) -> Step:
    return Step(tuple(words), note, cwd, env or {})


#: The platforms the lesson's workspaces list; the learner's own machine is added when missing.
LESSON_PLATFORMS = ("linux-64", "osx-arm64", "win-64")


# --8<-- [start:steps]
def tour_steps(machine: str | None = None) -> list[Step]:
    """The commands of the tour, in lesson order (Episodes 2, 3, 5, 6, 7 and 8).

    `machine` is the platform the tour runs on (default: this machine's, or the one
    ``MINIPIXI_PLATFORM`` names: `current_platform` in `manifest/machine.py`). Each workspace
    starts on it and then adds the lesson's other platforms, so an Intel Mac (osx-64) or an ARM
    Linux laptop (linux-aarch64) runs the same tour and can install what it locks.
    """
    from minipixi.manifest.machine import current_platform  # lazy: the manifest package loads tomlkit; `--help` stays fast

    machine = machine or current_platform()
    others = [p for p in LESSON_PLATFORMS if p != machine]
    cuda_platforms = [arg for p in dict.fromkeys([*LESSON_PLATFORMS, machine]) for arg in ("--platform", p)]
    ex, cu = "example", "cuda-exercise"
    return [
        step("init", ex, "--platform", machine, note="Episode 2: a workspace is a folder with a pixi.toml"),
        step("add", "python", "numpy", "notebook", "jupyterlab", cwd=ex,
             note="add packages: minipixi solves, writes pixi.lock, and pins what it found"),
        step("task", "add", "lab", "jupyter lab", "--description", "Launch JupyterLab", cwd=ex),
        step("task", "add", "start", "--depends-on", "lab", "--description", "Start exploring the Pixi project", cwd=ex),
        step("run", "start", cwd=ex, note="run a task: the environment is installed first, then `lab`, then `start`"),
        step("workspace", "platform", "add", *others, cwd=ex,
             note="multi-platform: solved for machines we do not have"),
        step("add", "--feature", "dev", "pre-commit", cwd=ex,
             note="a feature (no environment uses it yet, so nothing is solved and the spec stays *)"),
        step("workspace", "environment", "add", "dev", "--feature", "dev", cwd=ex,
             note="an environment made of the default feature plus `dev`"),
        step("run", "-e", "dev", "pre-commit", "--version", cwd=ex),
        step("list", cwd=ex),
        step("workspace", "export", "conda-environment", cwd=ex, note="Episode 3: hand the environment to conda users"),
        step("workspace", "export", "conda-explicit-spec", "-p", "linux-64", "specs", cwd=ex),
        step("add", "--pypi", "tinyconfig[units]", cwd=ex,
             note="Episode 2 again: PyPI on top of conda's python (the offline teaching index stands in for "
                  "pypi.org); platformdirs, which it needs, is conda's already"),
        step("run", "python", "-c", "import tinyconfig; print(tinyconfig.describe())", cwd=ex),
        step("list", cwd=ex),
        step("init", cu, *cuda_platforms,
             note="Episode 5: one workspace, a CPU and a GPU environment"),
        step("add", "--feature", "cpu", "pytorch-cpu", cwd=cu),
        step("workspace", "environment", "add", "cpu", "--feature", "cpu", cwd=cu),
        step("workspace", "system-requirements", "add", "cuda", "12", "--feature", "gpu", cwd=cu),
        step("workspace", "environment", "add", "gpu", "--feature", "gpu", cwd=cu),
        step("add", "--feature", "gpu", "--platform", "linux-64", "--no-install", "cuda-version 12.9.*", "pytorch-gpu",
             cwd=cu, note="--no-install: this laptop has no GPU, so only the manifest and the lock change"),
        step("lock", cwd=cu, note="the GPU environment is solved here, without a GPU: only the lock's assumptions matter"),
        step("run", "-e", "cpu", "python", "-c",
             "import torch; print('torch', torch.__version__, 'cuda available:', torch.cuda.is_available())", cwd=cu),
        step("install", "-e", "gpu", "--locked", cwd=cu, env={"CONDA_OVERRIDE_CUDA": "12"},
             note="installing the GPU environment on a machine without a GPU needs CONDA_OVERRIDE_CUDA"),
        step("list", "-e", "gpu", cwd=cu),
        step("workspace", "export", "dockerfile", "-e", "gpu", cwd=cu,
             note="Episode 6: a container image with only the gpu environment"),
        step("workspace", "export", "htcondor", "-e", "gpu", "--gpus", "1", "--input", "src",
             "--run", "python ./src/train.py", cwd=cu, note="Episode 7: an HTCondor job for it"),
        step("workspace", "export", "slurm", "-e", "cpu", "--partition", "debug", "--time", "00:10:00",
             "--run", "python ./src/train.py", cwd=cu, note="Episode 8: a Slurm batch script"),
    ]
# --8<-- [end:steps]
