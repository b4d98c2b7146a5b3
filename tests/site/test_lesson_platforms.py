"""Every learner's laptop: the lesson's commands give the same results on an Intel Mac (osx-64)
and on ARM Linux (linux-aarch64) as the saved linux-64 outputs, apart from what names the
platform.

The generator runs Episodes 2 to 4 and 8 (see RUNS: the episodes a learner follows on their own
laptop, and the Slurm one, whose CPU job is the same everywhere) with ``MINIPIXI_PLATFORM`` set.
Episodes 5 to 7 show what a Linux GPU machine gets (CUDA builds exist for linux-64 and win-64
only, as on conda-forge), which a Mac rightly does not reproduce. `compare_across_platforms`
checks each transcript against the saved one: same commands, same successes and errors, same
packages, versions and files; only subdirs, build hashes, checksums and sizes may differ, the learner's own platform may appear besides the lesson's three, and
Linux builds' ``__glibc`` dependency is Linux's own.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    name = "generate_lesson_outputs_platforms"
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "generate_lesson_outputs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
# Each group takes 5 to 20 s; Episode 2 (the slowest) runs on one of the two platforms only,
# `python scripts/generate_lesson_outputs.py ep02 --check --platform linux-aarch64` runs the other.
RUNS = [("osx-64", "ep02"), ("osx-64", "ep03"), ("osx-64", "ep04"),
        ("osx-64", "ep08"), ("linux-aarch64", "ep03"), ("linux-aarch64", "ep04")]


@pytest.mark.parametrize(("platform", "group"), RUNS)
def test_laptop_episodes_give_the_same_results_on_other_platforms(platform, group):
    snippets = gen.group_snippets(gen.read_snippets())[group]
    problems = gen.check_outputs(gen.run_group(snippets, platform), platform=platform)
    assert not problems, "\n\n".join(problems)


def test_the_platform_override_reaches_the_commands():
    lines = gen.run_group([gen.Snippet("t03-platform", ("minipixi info --json | grep '\"platform\"'",))],
                          "linux-aarch64")["t03-platform"].splitlines()
    assert lines[1].strip() == '"platform": "linux-aarch64",'


SAVED = """$ minipixi init example
✔ Created ~/example/pixi.toml
$ cat pixi.toml
platforms = ["linux-64"]
$ minipixi workspace platform list
linux-64
osx-arm64
$ head -n 3 pixi.lock
  - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.13.5-h7c88a3c_100_cp313.conda
  - __glibc >=2.17,<3.0.a0
  sha256: b3ee90a83d8342fe759e2a308c3b392006c86a7505f1649ac2ef24cbab54f72a
"""
ON_A_MAC = """$ minipixi init example
✔ Created ~/example/pixi.toml
$ cat pixi.toml
platforms = ["osx-64"]
$ minipixi workspace platform list
osx-64
linux-64
osx-arm64
$ head -n 3 pixi.lock
  - conda: https://conda.anaconda.org/conda-forge/osx-64/python-3.13.5-h1d23b7a_100_cp313.conda
  sha256: d468d5bd315c3ad8c8f5c917814190507f02933a4b09ea1c6f1e077e769fe6ae
  md5: 08cce5704d0bebeca06fa362cb9cba0c
"""


def test_what_names_the_platform_may_differ():
    assert gen.compare_across_platforms(SAVED, ON_A_MAC, "osx-64") == []


@pytest.mark.parametrize("change", [
    ("✔ Created", "error: cannot create"),          # a command that failed
    ("linux-64\nosx-arm64", "linux-64\nwin-64"),     # another platform, not the learner's own
    ("python-3.13.5", "python-3.12.11"),             # another version
    ("$ cat pixi.toml", "$ cat pixi.lock"),          # another command
])
def test_anything_else_is_a_difference(change):
    old, new = change
    assert new != old and old in ON_A_MAC
    assert gen.compare_across_platforms(SAVED, ON_A_MAC.replace(old, new, 1), "osx-64") != []
