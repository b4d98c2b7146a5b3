"""`minipixi why PKG`: every path from the manifest to a locked package, with the spec on each edge.

On the lesson's workspaces and the offline teaching channel (the `offline` fixture): a package
the manifest asks for, one pulled in transitively, one reached by several paths, one that is not
there (a clear error naming the environment and platform) and a virtual package (``__cuda``).
The pure function `why.explain` is tested on made-up records too (cycles, the path limit).
"""

from __future__ import annotations

import json

import pytest

from minipixi.cli import main
from minipixi.errors import LockError
from minipixi.records import PackageRecord
from minipixi.app.why import Step, explain, render, spec_name
from sample_workspaces import CUDA_EXERCISE, EXAMPLE, write_manifest


@pytest.fixture
def example(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "example", EXAMPLE)
    monkeypatch.chdir(path.parent)
    assert main(["lock"]) == 0
    return path.parent


def _why(capsys, *args: str) -> dict:
    assert main(["why", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _chains(answer: dict) -> list[list[str]]:
    return [[step["to"] for step in path] for path in answer["paths"]]


def test_a_direct_dependency_is_one_edge_from_the_manifest(example, capsys):
    answer = _why(capsys, "numpy")
    assert answer["direct"] is True and answer["version"] == "2.3.0"
    assert answer["paths"] == [[{"from": "pixi.toml", "spec": "numpy >=2.3.0,<3", "to": "numpy",
                                 "version": "2.3.0"}]]


def test_a_transitive_dependency_names_the_spec_on_each_edge(example, capsys):
    answer = _why(capsys, "platformdirs")
    assert answer["direct"] is False
    first = answer["paths"][0]
    assert [s["from"] for s in first] == ["pixi.toml", "jupyterlab", "jupyter_core"]
    assert [s["spec"] for s in first] == ["jupyterlab >=4.4.3,<5", "jupyter_core", "platformdirs >=2.5"]
    assert first[-1] == {"from": "jupyter_core", "spec": "platformdirs >=2.5", "to": "platformdirs",
                         "version": "4.3.8"}
    # Every edge's spec names the package it leads to.
    assert all(spec_name(s["spec"]) == s["to"] for path in answer["paths"] for s in path)


def test_several_paths_shortest_first_each_once(example, capsys):
    answer = _why(capsys, "jupyter_server")
    chains = _chains(answer)
    assert ["notebook", "jupyter_server"] in chains and ["jupyterlab", "jupyter_server"] in chains
    assert ["notebook", "jupyterlab", "jupyter_server"] in chains
    assert len(chains) == len({tuple(c) for c in chains}) == 3
    assert [len(c) for c in chains] == sorted(len(c) for c in chains)
    # python: asked for directly, and reached through everything that needs it.
    python = _why(capsys, "python")
    assert python["direct"] and _chains(python)[0] == ["python"] and len(python["paths"]) > 5


def test_the_text_output_reads_as_sentences(example, capsys):
    assert main(["why", "platformdirs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("platformdirs 4.3.8 is in environment 'default' on linux-64: ")
    assert "pixi.toml asks for jupyterlab >=4.4.3,<5" in out
    assert "  → jupyter_core 5.8.1 needs platformdirs >=2.5" in out
    assert out[-1] == "  → platformdirs 4.3.8"


def test_another_platform(example, capsys):
    assert _why(capsys, "numpy", "-p", "win-64")["platform"] == "win-64"


def test_a_package_that_is_not_there_is_one_clear_error(example, capsys):
    assert main(["why", "pytorch"]) == 1
    err = capsys.readouterr().err
    assert "error: 'pytorch' is not in environment 'default' on linux-64" in err
    assert "pixi.lock" in err and "minipixi list -e default -p linux-64" in err
    assert "Traceback" not in err


def test_virtual_packages_and_environments(offline, tmp_path, monkeypatch, capsys):
    path = write_manifest(tmp_path / "cuda", CUDA_EXERCISE)
    monkeypatch.chdir(path.parent)
    answer = _why(capsys, "__cuda", "-e", "gpu")
    assert answer["environment"] == "gpu" and answer["version"] == ""
    chains = _chains(answer)
    assert ["pytorch-gpu", "pytorch", "__cuda"] in chains
    assert all(c[0] == "pytorch-gpu" and c[-1] == "__cuda" for c in chains)
    assert main(["why", "__cuda", "-e", "gpu"]) == 0
    assert "  → __cuda (virtual: the machine provides it)" in capsys.readouterr().out.splitlines()
    assert main(["why", "__cuda", "-e", "cpu"]) == 1
    assert "no package of environment 'cpu' on linux-64 needs '__cuda'" in capsys.readouterr().err


# ---- the pure function on made-up records ----------------------------------------------------
def _record(name: str, *depends: str) -> PackageRecord:
    return PackageRecord(name=name, version="1.0", build="0", depends=tuple(depends))


def test_cycles_end_and_the_path_limit_is_reported():
    records = [_record("a", "b >=1", "c"), _record("b", "a", "c"), _record("c", "a")]
    answer = explain(records, {"a": "a *"}, "c", environment="e", platform="p")
    assert [[s.name for s in p] for p in answer.paths] == [["a", "c"], ["a", "b", "c"]]
    # A wide diamond: 2**6 paths to the bottom, cut at the limit and said so.
    layers = [[f"n{i}{j}" for j in range(2)] for i in range(6)]
    records = [_record("top", *layers[0])]
    for upper, lower in zip(layers, layers[1:] + [["bottom"]]):
        records += [_record(name, *lower) for name in upper]
    records.append(_record("bottom"))
    answer = explain(records, {"top": "top"}, "bottom", environment="e", platform="p", max_paths=10)
    assert len(answer.paths) == 10 and answer.truncated
    assert "(only the first 10 paths are shown)" in render(answer)
    full = explain(records, {"top": "top"}, "bottom", environment="e", platform="p", max_paths=100)
    assert len(full.paths) == 64 and not full.truncated
    # The work is bounded too: partial paths looked at, whatever the number of complete ones.
    short = explain(records, {"top": "top"}, "bottom", environment="e", platform="p", max_steps=20)
    assert short.truncated and len(short.paths) < 64


def test_spec_names_and_missing_targets():
    assert spec_name("conda-forge::numpy>=1.2") == "numpy"
    assert spec_name("python_abi 3.13.* *_cp313") == "python_abi"
    assert Step("__cuda", "__cuda", "").virtual
    with pytest.raises(LockError, match="'zlib' is not in environment 'e' on p"):
        explain([_record("a")], {"a": "a"}, "zlib", environment="e", platform="p")


# ---- --explain: a successful solve, explained ------------------------------------------------
LEGACY = """
[workspace]
channels = ["conda-forge"]
name = "legacy"
platforms = ["linux-64", "win-64"]

[dependencies]
python = "*"
numpy = "*"
legacy-stats = "*"
"""


def test_lock_explain_names_what_held_numpy_below_2(offline, tmp_path, monkeypatch, capsys):
    path = write_manifest(tmp_path / "legacy", LEGACY)
    monkeypatch.chdir(path.parent)
    assert main(["lock", "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Environment 'default' on linux-64:" in out
    assert ("  numpy 1.26.4: pixi.toml asks for numpy; 2.3.0 is newer, but legacy-stats 0.9.0 needs "
            "numpy >=1.21,<2") in out
    assert "  legacy-stats 0.9.0: pixi.toml asks for legacy-stats; the newest available" in out
    assert "  libblas 3.9.0: numpy 1.26.4 needs libblas >=3.9.0,<4.0a0; the newest available" in out


def test_explain_on_a_workspace_at_its_newest(example, capsys):
    assert main(["lock", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Environment 'default' on linux-64:"
    assert len(lines) == 11 and all(line.endswith("; the newest available") for line in lines[1:])
    assert "  platformdirs 4.3.8: jupyter_core 5.8.1 needs platformdirs >=2.5; the newest available" in lines


def test_add_and_update_explain(offline, tmp_path, monkeypatch, capsys):
    path = write_manifest(tmp_path / "legacy", LEGACY.replace('legacy-stats = "*"\n', ""))
    monkeypatch.chdir(path.parent)
    assert main(["add", "legacy-stats", "--no-install", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "numpy 1.26.4: pixi.toml asks for numpy" in out and "legacy-stats 0.9.0 needs numpy >=1.21,<2" in out
    assert main(["update", "--explain"]) == 0
    assert "legacy-stats 0.9.0 needs numpy >=1.21,<2" in capsys.readouterr().out


def test_version_reasons_when_the_newer_build_does_not_fit():
    from minipixi.app.why import version_reasons

    locked = [PackageRecord(name="app", version="1.0", build="0", depends=("lib",)),
              PackageRecord(name="lib", version="1.0", build="0", depends=("zlib 1.*",)),
              PackageRecord(name="zlib", version="1.3", build="0"),
              PackageRecord(name="tool", version="1.0", build="0")]
    newer = {"lib": [PackageRecord(name="lib", version="2.0", build="0", depends=("zlib >=2",))],
             "tool": [PackageRecord(name="tool", version="3.0", build="0")],
             "app": [locked[0]], "zlib": [locked[2]]}
    reasons = {r.name: r for r in version_reasons(
        locked, {"app": "app", "tool": "tool"}, lambda name: newer.get(name, []) + [r for r in locked if r.name == name],
        environment="e", platform="p")}
    assert reasons["lib"].sentence() == ("lib 1.0: app 1.0 needs lib; 2.0 is newer, but lib 2.0 needs zlib >=2 "
                                         "and zlib 1.3 is locked")
    assert reasons["tool"].limited_by == ("the solver preferred newer versions of other packages",)
    assert reasons["app"].sentence() == "app 1.0: pixi.toml asks for app; the newest available"
    assert reasons["zlib"].to_json()["brought_by"] == "lib 1.0 needs zlib 1.*"
