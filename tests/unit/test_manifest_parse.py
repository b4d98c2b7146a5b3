"""Reading pixi.toml: the model built from each table, and located errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from minipixi.errors import ManifestError
from minipixi.manifest import (
    DependencySpec, find_manifest, parse_manifest, read_manifest,
)
from minipixi.manifest.locate import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bad-manifests"

LESSON_GPU = """\
[workspace]
channels = ["conda-forge"]
name = "cuda-exercise"
platforms = ["linux-64", "osx-arm64", "win-64"]
version = "0.1.0"

[tasks]

[dependencies]

[feature.cpu.dependencies]
pytorch-cpu = ">=1.1.0,<3"

[feature.gpu.system-requirements]
cuda = "12"

[feature.gpu.target.linux-64.dependencies]
cuda-version = "12.9.*"
pytorch-gpu = ">=2.7.0,<3"

[environments]
cpu = ["cpu"]
gpu = ["gpu"]
"""


def test_workspace_fields_and_features():
    ws = parse_manifest(LESSON_GPU, "pixi.toml")
    assert ws.name == "cuda-exercise"
    assert ws.version == "0.1.0"
    assert [c.channel for c in ws.channels] == ["conda-forge"]
    assert [p.name for p in ws.platforms] == ["linux-64", "osx-arm64", "win-64"]
    assert set(ws.features) == {"default", "cpu", "gpu"}
    assert ws.features["gpu"].system_requirements.cuda == "12"
    gpu_linux = ws.features["gpu"].targets["linux-64"]
    assert gpu_linux.dependencies["pytorch-gpu"] == DependencySpec("pytorch-gpu", version=">=2.7.0,<3")
    assert list(ws.environments) == ["cpu", "gpu", "default"]
    assert ws.environments["gpu"].feature_names() == ("gpu", "default")
    assert not ws.legacy_project


def test_legacy_project_table_is_accepted_with_a_warning():
    ws = parse_manifest('[project]\nname = "p"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n')
    assert ws.legacy_project and ws.name == "p"
    assert any("[project]" in w for w in ws.warnings)


def test_both_workspace_and_project_is_an_error():
    text = '[workspace]\nchannels = []\n[project]\nchannels = []\n'
    with pytest.raises(ManifestError, match="both"):
        parse_manifest(text)


def test_dependency_forms():
    ws = parse_manifest(
        '[workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[dependencies]\nnumpy = ">=2"\n'
        'pytorch = { version = "2.7.*", build = "cuda*", channel = "conda-forge" }\n'
        'mypkg = { path = "./pkg" }\n'
    )
    deps = ws.default_feature.default.dependencies
    assert deps["numpy"].version == ">=2"
    assert deps["pytorch"] == DependencySpec("pytorch", version="2.7.*", build="cuda*", channel="conda-forge")
    assert deps["pytorch"].matchspec_text() == "conda-forge::pytorch 2.7.* cuda*"
    assert deps["mypkg"].source == {"path": "./pkg"}
    assert deps["numpy"].matchspec_text() == "numpy >=2"


def test_string_spec_with_a_build():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n[dependencies]\npytorch = "2.7.* cuda*"\n'
    )
    dep = ws.default_feature.default.dependencies["pytorch"]
    assert dep.build == "cuda*" and dep.version is not None and "2.7" in dep.version


def test_task_forms():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n[tasks]\n'
        'lab = "jupyter lab"\n'
        'start = { depends-on = ["lab"], description = "Start" }\n'
        'both = ["lab", "start"]\n'
        'greet = { cmd = "echo {{ who }}", args = [{ arg = "who", default = "world" }], env = { A = "1" }, cwd = "src" }\n'
    )
    tasks = ws.default_feature.default.tasks
    assert tasks["lab"].cmd == "jupyter lab"
    assert [d.task for d in tasks["start"].depends_on] == ["lab"] and tasks["start"].cmd is None
    assert [d.task for d in tasks["both"].depends_on] == ["lab", "start"]
    assert tasks["greet"].args[0].arg == "who" and tasks["greet"].args[0].default == "world"
    assert tasks["greet"].env == {"A": "1"} and tasks["greet"].cwd == "src"


def test_tasks_work_with_the_task_runner():
    from minipixi.run.tasks import build_steps

    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n[tasks]\n'
        'lab = "jupyter lab"\nstart = { depends-on = ["lab"] }\n'
    )
    steps = build_steps(ws.resolve("default", "linux-64").tasks, "start")
    assert [(s.name, s.command) for s in steps] == [("lab", "jupyter lab"), ("start", None)]


def test_rich_platform_entries_and_derived_names():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = [\n  "osx-arm64",\n'
        '  { name = "linux-64-cuda", platform = "linux-64", cuda = "12" },\n'
        '  { platform = "linux-64", cuda = "12.9" },\n  { platform = "osx-64", macos = "13.5" },\n]\n'
    )
    names = [p.name for p in ws.platforms]
    assert names == ["osx-arm64", "linux-64-cuda", "linux-64-cuda-12-9", "osx-64-macos-13-5"]
    assert ws.platform("linux-64-cuda").virtual == {"cuda": "12"}
    assert ws.platform("linux-64-cuda").subdir == "linux-64"
    assert not ws.platform("linux-64-cuda-12-9").named


def test_inline_environment_tables_become_their_own_feature():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n[dependencies]\ncowpy = "1.1.*"\n'
        '[environments.py312.dependencies]\npython = "3.12.*"\n'
    )
    resolved = ws.resolve("py312", "linux-64")
    assert resolved.dependencies["python"].version == "3.12.*"
    assert "cowpy" in resolved.dependencies


def test_system_requirement_forms():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n'
        '[system-requirements]\ncuda = 12\nlibc = { family = "glibc", version = "2.17" }\nlinux = "5.10"\n'
    )
    req = ws.default_feature.system_requirements
    assert (req.cuda, req.libc_family, req.libc, req.linux) == ("12", "glibc", "2.17", "5.10")
    assert any("deprecated" in w for w in ws.warnings)


def test_unused_feature_and_unmatched_target_are_warnings():
    ws = parse_manifest(
        '[workspace]\nchannels = ["c"]\nplatforms = ["linux-64"]\n'
        '[feature.lint.dependencies]\nruff = "*"\n[target.win.dependencies]\nx = "*"\n'
    )
    assert any("'lint' is defined but not used" in w for w in ws.warnings)
    assert any("'win'" in w for w in ws.warnings)


@pytest.mark.parametrize("case", sorted(p.name for p in FIXTURES.iterdir()))
def test_bad_manifest_errors_point_at_the_text(case):
    text = (FIXTURES / case / "pixi.toml").read_text()
    expected = dict(line.split(": ", 1) for line in (FIXTURES / case / "expected.txt").read_text().splitlines())
    with pytest.raises(ManifestError) as info:
        parse_manifest(text, "pixi.toml")
    err = info.value
    assert str(err.where) == expected["where"]
    assert err.message.startswith(expected["error"])
    assert err.hint == expected["help"]
    line = int(expected["where"].split(":")[1])
    column = int(expected["where"].split(":")[2])
    if text.strip():
        shown = err.details.splitlines()
        assert shown[1].endswith(text.splitlines()[line - 1])  # the offending line...
        assert shown[2].index("^") - shown[2].index("|") - 2 == column - 1  # ...and a caret under it
    assert "Traceback" not in err.render()


def test_error_render_has_pixi_shape():
    with pytest.raises(ManifestError) as info:
        parse_manifest((FIXTURES / "unknown-top-level-key" / "pixi.toml").read_text(), "pixi.toml")
    assert info.value.render().splitlines() == [
        "error: unexpected key 'featur' in pixi.toml",
        "  --> pixi.toml:9:2",
        "   |",
        " 9 | [featur.cuda.dependencies]",
        "   |  ^^^^^^",
        "help: did you mean 'feature'?",
    ]


def test_locate_scan_handles_inline_tables_arrays_and_multiline_strings():
    text = 'a = """x\ny"""\n[t]\nk = { x = [1, {y = "]"}], "q.k" = 2 }\n'
    spans = scan(text).spans
    assert (spans[("t", "k", "x", 1, "y")].line, spans[("t", "k", "x", 1, "y")].column) == (4, 16)
    assert spans[("t", "k", "q.k")].column == 27
    assert spans[("t",)].line == 3


def test_read_and_find_manifest(tmp_path):
    (tmp_path / "pixi.toml").write_text(LESSON_GPU)
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    assert find_manifest(nested) == (tmp_path / "pixi.toml").resolve()
    assert read_manifest(tmp_path).name == "cuda-exercise"
    with pytest.raises(ManifestError, match="does not exist"):
        read_manifest(tmp_path / "nope.toml")


def test_find_manifest_fails_with_a_hint(tmp_path):
    with pytest.raises(ManifestError) as info:
        find_manifest(tmp_path)
    assert "minipixi init" in info.value.hint


def test_name_defaults_to_the_folder(tmp_path):
    folder = tmp_path / "my-project"
    folder.mkdir()
    (folder / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\n')
    assert read_manifest(folder).name == "my-project"
