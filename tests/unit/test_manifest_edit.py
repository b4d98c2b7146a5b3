"""Editing pixi.toml: formatting kept, failed edits leave the bytes alone, pins, init, migrate."""

from __future__ import annotations

from pathlib import Path

import pytest

from minipixi.errors import ManifestError
from minipixi.manifest import read_manifest
from minipixi.manifest.edit_dependencies import add_dependencies, remove_dependencies
from minipixi.manifest.edit_tasks import add_task, remove_task
from minipixi.manifest.edit_workspace import (
    add_environment, add_platforms, add_system_requirement, remove_environment, remove_platforms,
)
from minipixi.manifest.init import init_workspace
from minipixi.manifest.migrate import migrate_system_requirements
from minipixi.manifest.pins import pin_for_version
from minipixi.manifest.resolve import list_tasks
from minipixi.manifest.specs import describe_spec, parse_cli_spec

COMMENTED = """\
# My analysis workspace
[workspace]
channels = ["conda-forge"]  # the community channel
name = "demo"
platforms = ["linux-64"]

[tasks]
# run the notebook server
lab = "jupyter lab"

[dependencies]
python = ">=3.12"   # keep in sync with CI
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pixi.toml"
    path.write_text(COMMENTED)
    return path


@pytest.mark.parametrize(
    ("version", "name", "pin"),
    [
        ("2.3.0", None, ">=2.3.0,<3"),
        ("2.3.1", "numpy", ">=2.3.1,<3"),
        ("0.22.0", "torchvision", ">=0.22.0,<0.23"),
        ("0.7.1", None, ">=0.7.1,<0.8"),
        ("12.9", None, ">=12.9,<13"),
        ("3.13.3", "python", ">=3.13.3,<3.14"),
        ("4", None, ">=4,<5"),
    ],
)
def test_pin_for_version_follows_pixis_semver_default(version, name, pin):
    assert pin_for_version(version, name=name) == pin


def test_add_keeps_comments_and_writes_star_without_a_solver(manifest):
    added = add_dependencies(manifest, ["numpy", "jupyterlab >=4.4.3,<5"])
    text = manifest.read_text()
    assert text.startswith(COMMENTED.rstrip("\n"))
    assert 'numpy = "*"\njupyterlab = ">=4.4.3,<5"\n' in text
    assert [describe_spec(a.spec) for a in added] == ["numpy", "jupyterlab >=4.4.3,<5"]


def test_add_uses_the_pin_hook_for_bare_names(manifest):
    add_dependencies(manifest, ["numpy", "scipy 1.*"], pin=lambda spec: pin_for_version("2.3.0"))
    deps = read_manifest(manifest).default_feature.default.dependencies
    assert deps["numpy"].version == ">=2.3.0,<3" and deps["scipy"].version == "1.*"


def test_add_to_feature_and_platform_then_remove_restores_bytes(manifest):
    add_dependencies(manifest, ["cuda-version 12.9.*", "pytorch-gpu >=2.7.0,<3"], feature="gpu", platforms=["linux-64"])
    assert '\n[feature.gpu.target.linux-64.dependencies]\ncuda-version = "12.9.*"\n' in manifest.read_text()
    ws = read_manifest(manifest)
    target = ws.features["gpu"].targets["linux-64"]
    assert target.dependencies["cuda-version"].version == "12.9.*"
    remove_dependencies(manifest, ["cuda-version", "pytorch-gpu"], feature="gpu", platforms=["linux-64"])
    assert manifest.read_text() == COMMENTED


def test_new_feature_tables_get_headers_and_blank_lines(manifest):
    add_dependencies(manifest, ["pytorch-cpu"], feature="cpu")
    add_system_requirement(manifest, "cuda", "12", feature="gpu")
    assert manifest.read_text().endswith(
        '\n\n[feature.cpu.dependencies]\npytorch-cpu = "*"\n\n[feature.gpu.system-requirements]\ncuda = "12"\n')


def test_build_and_channel_are_written_as_an_inline_table(manifest):
    add_dependencies(manifest, ["conda-forge::pytorch 2.7.* cuda*"])
    assert 'pytorch = { version = "2.7.*", build = "cuda*", channel = "conda-forge" }' in manifest.read_text()


@pytest.mark.parametrize("text", ["numpy >=2,,<3", "numpy ==", "!!!"])
def test_bad_spec_is_refused_and_the_file_is_unchanged(manifest, text):
    with pytest.raises(ManifestError) as info:
        add_dependencies(manifest, ["scipy", text])
    assert info.value.hint
    assert manifest.read_text() == COMMENTED


def test_conda_style_specs_from_the_command_line():
    assert parse_cli_spec("numpy=1.24").version == "1.24.*"
    assert parse_cli_spec("numpy>=2").version == ">=2"
    assert parse_cli_spec("numpy >=1.2, <2").version == ">=1.2,<2"
    spec = parse_cli_spec("conda-forge::pytorch 2.7.* cuda*")
    assert (spec.channel, spec.name, spec.version, spec.build) == ("conda-forge", "pytorch", "2.7.*", "cuda*")
    spec = parse_cli_spec("numpy[version='>=2', build='py312*']")
    assert (spec.name, spec.version, spec.build) == ("numpy", ">=2", "py312*")
    spec = parse_cli_spec("python=3.12=*_cpython")
    assert (spec.version, spec.build) == ("3.12.*", "*_cpython")


def test_remove_missing_package_suggests_and_leaves_file(manifest):
    with pytest.raises(ManifestError) as info:
        remove_dependencies(manifest, ["pyhton"])
    assert info.value.hint == "did you mean 'python'?"
    assert manifest.read_text() == COMMENTED


def test_invalid_result_is_never_written(manifest):
    with pytest.raises(ManifestError, match="cannot add task 'start'") as info:
        add_task(manifest, "start", None, depends_on=["labb"])
    assert "did you mean 'lab'?" in info.value.hint
    assert manifest.read_text() == COMMENTED


def test_task_add_list_remove(manifest):
    task = add_task(manifest, "start", None, depends_on=["lab"], description="Start exploring")
    assert [d.task for d in task.depends_on] == ["lab"] and task.cmd is None
    assert 'start = { depends-on = ["lab"], description = "Start exploring" }' in manifest.read_text()
    add_task(manifest, "train", "python train.py --cuda", feature="gpu", platform="linux-64")
    add_environment(manifest, "gpu", ["gpu"])
    ws = read_manifest(manifest)
    assert set(list_tasks(ws)) == {"lab", "start", "train"}
    assert set(list_tasks(ws, "default")) == {"lab", "start"}
    remove_environment(manifest, "gpu")
    remove_task(manifest, ["train"], feature="gpu", platform="linux-64")
    remove_task(manifest, ["start"])
    assert manifest.read_text() == COMMENTED


def test_task_needs_a_command_or_dependencies(manifest):
    with pytest.raises(ManifestError, match="needs a command"):
        add_task(manifest, "empty", None)


def test_platform_add_is_idempotent_and_remove_restores(manifest):
    assert add_platforms(manifest, ["linux-64", "osx-arm64", "win-64"]) == ["osx-arm64", "win-64"]
    assert 'platforms = ["linux-64", "osx-arm64", "win-64"]' in manifest.read_text()
    remove_platforms(manifest, ["osx-arm64", "win-64"])
    assert manifest.read_text() == COMMENTED


def test_platform_typo_is_refused(manifest):
    with pytest.raises(ManifestError) as info:
        add_platforms(manifest, ["osx-arm"])
    assert info.value.hint == "did you mean 'osx-arm64'?"


def test_environment_add_forms_and_errors(manifest):
    add_dependencies(manifest, ["pytest"], feature="test")
    add_environment(manifest, "test", ["test"], solve_group="main")
    add_environment(manifest, "lean", ["test"], no_default_feature=True)
    text = manifest.read_text()
    assert 'test = { features = ["test"], solve-group = "main" }' in text
    assert 'lean = { features = ["test"], no-default-feature = true }' in text
    with pytest.raises(ManifestError, match="already exists"):
        add_environment(manifest, "test", ["test"])
    with pytest.raises(ManifestError, match="'tset' is not defined"):
        add_environment(manifest, "other", ["tset"])
    with pytest.raises(ManifestError, match="invalid environment name"):
        add_environment(manifest, "Other", ["test"])


def test_system_requirement_then_migrate_to_rich_platform_entries(manifest):
    add_platforms(manifest, ["osx-arm64"])
    add_system_requirement(manifest, "cuda", "12")
    before = read_manifest(manifest)
    assert before.resolve("default", "linux-64").virtual_packages == {"__cuda": "12"}
    assert migrate_system_requirements(manifest) == ["linux-64-cuda", "osx-arm64"]
    after = read_manifest(manifest)
    assert "[system-requirements]" not in manifest.read_text()
    assert "# the community channel" in manifest.read_text()
    entry = after.platform("linux-64-cuda")
    assert (entry.subdir, dict(entry.virtual)) == ("linux-64", {"cuda": "12"})
    assert after.resolve("default", "linux-64-cuda").virtual_packages == {"__cuda": "12"}
    assert after.resolve("default", "osx-arm64").virtual_packages == {}


def resolution(ws, env: str) -> set:
    """What an environment resolves to on each of its platforms, platform names left out."""
    rows = set()
    for platform in ws.environment_platforms(env):
        r = ws.resolve(env, platform)
        rows.add((r.subdir, tuple(sorted(r.virtual_packages.items())),
                  tuple(sorted((k, v.version) for k, v in r.dependencies.items())), tuple(sorted(r.tasks))))
    return rows


def test_migrate_feature_requirements_like_the_lesson_exercise(manifest):
    add_platforms(manifest, ["osx-arm64", "win-64"])
    add_dependencies(manifest, ["pytorch-cpu >=2.7.0,<3"], feature="cpu")
    add_environment(manifest, "cpu", ["cpu"])
    add_system_requirement(manifest, "cuda", "12", feature="gpu")
    add_environment(manifest, "gpu", ["gpu"])
    add_dependencies(manifest, ["pytorch-gpu >=2.7.0,<3"], feature="gpu", platforms=["linux-64"])
    before = read_manifest(manifest)
    names = migrate_system_requirements(manifest)
    after = read_manifest(manifest)
    assert names == ["linux-64", "osx-arm64", "win-64", "linux-64-cuda", "win-64-cuda"]
    assert after.features["gpu"].platforms == ("linux-64-cuda", "osx-arm64", "win-64-cuda")
    assert after.features["cpu"].platforms == ("linux-64", "osx-arm64", "win-64")
    assert after.features["gpu"].system_requirements.is_empty()
    for env in ("cpu", "gpu"):
        assert resolution(after, env) == resolution(before, env)
    assert "# the community channel" in manifest.read_text()
    assert not [w for w in after.warnings if "deprecated" in w]


def test_unknown_system_requirement_kind(manifest):
    with pytest.raises(ManifestError) as info:
        add_system_requirement(manifest, "cudaa", "12")
    assert info.value.hint == "did you mean 'cuda'?"


def test_init_writes_the_default_manifest_and_git_files(tmp_path):
    path = init_workspace(tmp_path / "example", platforms=["linux-64"])
    assert path.read_text() == (
        '[workspace]\nchannels = ["conda-forge"]\nname = "example"\nplatforms = ["linux-64"]\n'
        'version = "0.1.0"\n\n[tasks]\n\n[dependencies]\n'
    )
    assert ".pixi/*" in (tmp_path / "example" / ".gitignore").read_text()
    assert "merge=binary" in (tmp_path / "example" / ".gitattributes").read_text()
    with pytest.raises(ManifestError, match="already exists"):
        init_workspace(tmp_path / "example")


def test_init_imports_an_environment_yml(tmp_path):
    env = tmp_path / "environment.yml"
    env.write_text("name: analysis\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n"
                   "  - python=3.12\n  - numpy>=2\n  - pip\n  - pip:\n    - requests>=2.31\n")
    path = init_workspace(tmp_path / "w", platforms=["linux-64"], import_environment=env)
    ws = read_manifest(path)
    deps = ws.default_feature.default.dependencies
    assert ws.name == "analysis" and [c.channel for c in ws.channels] == ["conda-forge"]
    assert deps["python"].version == "3.12.*" and deps["numpy"].version == ">=2" and "pip" in deps
    assert ws.default_feature.default.pypi_dependencies["requests"].requirement == ">=2.31"


def test_atomic_write_keeps_the_file_mode(manifest):
    manifest.chmod(0o640)
    add_dependencies(manifest, ["numpy"])
    assert manifest.stat().st_mode & 0o777 == 0o640
    assert not [p for p in manifest.parent.iterdir() if p.name.endswith(".tmp")]


def test_editing_a_broken_manifest_is_refused(tmp_path):
    path = tmp_path / "pixi.toml"
    path.write_text('[workspace]\nchannels = ["conda-forge"]\n[featur.x]\n')
    with pytest.raises(ManifestError, match="featur"):
        add_dependencies(path, ["numpy"])


def test_add_rich_platform_entries(manifest):
    assert add_platforms(manifest, ["linux-64-cuda=linux-64"], virtual={"cuda": "12"}) == ["linux-64-cuda"]
    assert add_platforms(manifest, ["osx-arm64"], virtual={"macos": "13.5"}) == ["osx-arm64-macos-13-5"]
    ws = read_manifest(manifest)
    assert ws.platform("linux-64-cuda").virtual == {"cuda": "12"}
    assert ws.resolve("default", "osx-arm64-macos-13-5").virtual_packages == {"__osx": "13.5"}
    assert '{ name = "linux-64-cuda", platform = "linux-64", cuda = "12" }' in manifest.read_text()
    before = manifest.read_text()
    with pytest.raises(ManifestError, match="--glibc only applies to linux"):
        add_platforms(manifest, ["win-64"], virtual={"glibc": "2.28"})
    with pytest.raises(ManifestError, match="declare a rich entry in the workspace first"):
        add_platforms(manifest, ["linux-64"], virtual={"cuda": "12"}, feature="gpu")
    remove_platforms(manifest, ["linux-64-cuda", "osx-arm64-macos-13-5"])
    assert before != manifest.read_text() == COMMENTED


def test_migrate_refuses_musl_and_leaves_the_file(manifest):
    add_system_requirement(manifest, "libc", "1.2", family="musl")
    before = manifest.read_text()
    assert 'libc = { family = "musl", version = "1.2" }' in before
    with pytest.raises(ManifestError, match="libc family 'musl'"):
        migrate_system_requirements(manifest)
    assert manifest.read_text() == before


def test_init_into_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ManifestError, match="cannot create"):
        init_workspace(tmp_path / "afile", platforms=["linux-64"])


def test_remove_errors_point_into_the_file(manifest):
    with pytest.raises(ManifestError) as info:
        remove_dependencies(manifest, ["pyhton"])
    assert str(info.value.where).endswith("pixi.toml:11:2")
    assert " 11 | [dependencies]" in info.value.details
    with pytest.raises(ManifestError) as info:
        remove_platforms(manifest, ["win-64"])
    assert str(info.value.where).endswith("pixi.toml:5:1")
    assert "did you mean" not in info.value.hint  # win-64 is not a typo of linux-64


def test_removing_the_last_entry_of_a_used_feature_keeps_an_empty_table(manifest):
    add_dependencies(manifest, ["pre-commit >=4.2.0,<5"], feature="dev")
    add_environment(manifest, "dev", ["dev"])
    remove_dependencies(manifest, ["pre-commit"], feature="dev")
    assert "\n[feature.dev.dependencies]\n\n[environments]\ndev = [\"dev\"]\n" in manifest.read_text()
    assert read_manifest(manifest).resolve("dev", "linux-64").features == ("dev", "default")
