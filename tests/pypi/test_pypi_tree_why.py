"""`minipixi tree` and `minipixi why` show the PyPI packages of an environment (offline, on the
teaching index): tinyconfig[units] -> tinyunits (the extra followed), tinyconfig -> platformdirs
(which conda provides, so the edge leads to the conda package), and pictures label PyPI nodes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from minipixi.app.why import PYPI, explain, pypi_part
from minipixi.cli import main
from test_teaching_index import offline_workspace  # noqa: F401  (a fixture)


@pytest.fixture
def mixed(offline_workspace, capsys):
    """The offline teaching workspace (python, platformdirs) with tinyconfig[units] from PyPI."""
    manifest = offline_workspace / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[pypi-dependencies]\n'
                        'tinyconfig = { version = ">=0.2", extras = ["units"] }\n')
    assert main(["lock"]) == 0
    capsys.readouterr()
    return offline_workspace


def test_tree_shows_pypi_packages_marked_with_their_requires_dist_edges(mixed, capsys):
    assert main(["tree", "--frozen"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "├── tinyconfig v0.2.0 (pypi)" in lines or "└── tinyconfig v0.2.0 (pypi)" in lines
    at = next(i for i, line in enumerate(lines) if "tinyconfig v0.2.0 (pypi)" in line)
    below = lines[at + 1:at + 3]
    # its dependency on platformdirs leads to the conda package (already drawn: (*)), the
    # extra's dependency to the PyPI tinyunits
    assert any("── platformdirs v" in line and line.endswith(" (*)") for line in below), lines
    assert any(line.endswith("tinyunits v1.1.0 (pypi)") for line in below), lines
    assert main(["tree", "--frozen", "-i", "tinyunits"]) == 0
    assert capsys.readouterr().out.splitlines() == ["└── tinyunits v1.1.0 (pypi)",
                                                    "    └── tinyconfig v0.2.0 (pypi)"]


def test_why_walks_through_pypi_packages(mixed, capsys):
    assert main(["why", "--frozen", "tinyunits"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("tinyunits 1.1.0 (pypi) is in environment 'default' on linux-64: 1 path")
    assert "pixi.toml asks for tinyconfig[units]>=0.2" in out
    assert "→ tinyconfig 0.2.0 (pypi) needs tinyunits>=1.1 ; extra == 'units'" in out
    assert main(["why", "--frozen", "--json", "TinyUnits"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["package"], answer["kind"], answer["direct"]) == ("tinyunits", "pypi", False)
    # platformdirs: asked for by conda, and needed by the PyPI tinyconfig (conda provides it)
    assert main(["why", "--frozen", "--json", "platformdirs"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "kind" not in answer and answer["direct"]  # a conda package
    via = [path for path in answer["paths"] if len(path) == 2]
    assert via and via[0][0]["to"] == "tinyconfig" and via[0][0]["kind"] == "pypi"
    assert via[0][1] == {"from": "tinyconfig", "spec": "platformdirs>=4", "to": "platformdirs",
                         "version": answer["version"]}
    assert main(["why", "--frozen", "nosuchthing"]) != 0
    assert "'nosuchthing' is not in environment 'default'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt, marks", [("dot", ['"pypi:tinyunits" [label="tinyunits 1.1.0 (PyPI)"',
                                                  '"pypi:tinyconfig" -> "pypi:tinyunits"',
                                                  '"pypi:tinyconfig" -> "platformdirs"']),
                                         ("mermaid", ['["tinyunits 1.1.0 (PyPI)"]:::pypi', "classDef pypi"]),
                                         ("svg", [">tinyunits 1.1.0 (PyPI)</text>", "a PyPI package (a wheel)"])])
def test_pictures_label_pypi_nodes(mixed, capsys, fmt, marks):
    assert main(["tree", "--frozen", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for mark in marks:
        assert mark in out


def test_a_plain_requirement_does_not_follow_an_extra_and_markers_are_evaluated():
    packages = [SimpleNamespace(name="tinyconfig", version="0.2.0",
                                requires_dist=("platformdirs>=4", "tinyunits>=1.1 ; extra == 'units'",
                                               "winonly ; sys_platform == 'win32'")),
                SimpleNamespace(name="tinyunits", version="1.1.0", requires_dist=()),
                SimpleNamespace(name="winonly", version="1.0", requires_dist=())]
    linux = {"sys_platform": "linux", "python_version": "3.12", "python_full_version": "3.12.1",
             "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
             "implementation_name": "cpython", "platform_python_implementation": "CPython",
             "platform_release": "", "platform_version": "", "implementation_version": "3.12.1"}
    plain = pypi_part(packages, {"tinyconfig": ">=0.2"}, ["python", "platformdirs"],
                      {"platformdirs": "platformdirs"}, linux)
    assert plain.edges[PYPI + "tinyconfig"] == [("platformdirs>=4", "platformdirs")]
    assert plain.roots == [("tinyconfig>=0.2", PYPI + "tinyconfig")]
    extra = pypi_part(packages, {"tinyconfig": {"version": ">=0.2", "extras": ["units"]}}, ["python"], {}, linux)
    assert extra.edges[PYPI + "tinyconfig"] == [("tinyunits>=1.1 ; extra == 'units'", PYPI + "tinyunits")]
    answer = explain([], {}, "TinyUnits", environment="e", platform="linux-64", pypi=extra)
    assert [step.name for step in answer.paths[0]] == [PYPI + "tinyconfig", PYPI + "tinyunits"]
