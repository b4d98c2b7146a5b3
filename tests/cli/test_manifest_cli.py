"""The manifest commands as a learner types them: the lesson's CLI sequences produce the lesson's
manifests (compared table for table), print Pixi-style lines, and fail cleanly."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest
import tomlkit

from minipixi.cli import main
from minipixi.commands.common import workspace_subcommands

# Our own rendering of the manifests the lesson shows (package names and versions are facts).
EXAMPLE = """
[workspace]
name = "example"
version = "0.1.0"
channels = ["conda-forge"]
platforms = ["linux-64", "osx-arm64", "win-64"]

[dependencies]
python = ">=3.13.5,<3.14"
numpy = ">=2.3.0,<3"
notebook = ">=7.4.3,<8"
jupyterlab = ">=4.4.3,<5"

[tasks.lab]
cmd = "jupyter lab"
description = "Launch JupyterLab"

[tasks.start]
depends-on = ["lab"]
description = "Start exploring the Pixi project"

[feature.dev.dependencies]
pre-commit = ">=4.2.0,<5"

[environments]
dev = ["dev"]
"""

CUDA_EXAMPLE = """
[workspace]
name = "cuda-example"
version = "0.1.0"
channels = ["conda-forge"]
platforms = ["linux-64", "osx-arm64", "win-64"]

[system-requirements]
cuda = "12"

[tasks]

[dependencies]
cuda-version = "12.9.*"

[target.linux-64.dependencies]
cuda = ">=12.9.1,<13"
pytorch-gpu = ">=2.7.0,<3"
"""

CUDA_EXERCISE = """
[workspace]
name = "cuda-exercise"
version = "0.1.0"
channels = ["conda-forge"]
platforms = ["linux-64", "osx-arm64", "win-64"]

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

HTCONDOR = """
[workspace]
name = "htcondor"
version = "0.1.0"
channels = ["conda-forge"]
platforms = ["linux-64", "osx-arm64", "win-64"]

[tasks]

[dependencies]
python = ">=3.13.5,<3.14"

[feature.cpu.dependencies]
pytorch-cpu = ">=2.7.0,<3"
torchvision = ">=0.22.0,<0.23"

[feature.gpu.system-requirements]
cuda = "12"

[feature.gpu.target.linux-64.dependencies]
pytorch-gpu = ">=2.7.0,<3"
torchvision = ">=0.22.0,<0.23"

[environments]
cpu = ["cpu"]
gpu = ["gpu"]
"""

# The commands, in the lesson's order (explicit versions stand in for the solver's pins).
SEQUENCES = {
    "example": (EXAMPLE, [
        ["add", "python >=3.13.5,<3.14"],
        ["add", "numpy >=2.3.0,<3", "notebook >=7.4.3,<8", "jupyterlab >=4.4.3,<5"],
        ["task", "add", "--description", "Launch JupyterLab", "lab", "jupyter lab"],
        ["task", "add", "start", "--description", "Start exploring the Pixi project", "--depends-on", "lab"],
        ["workspace", "platform", "add", "linux-64", "osx-arm64", "win-64"],
        ["add", "--feature", "dev", "pre-commit >=4.2.0,<5"],
        ["workspace", "environment", "add", "dev", "--feature", "dev"],
    ]),
    "cuda-example": (CUDA_EXAMPLE, [
        ["workspace", "system-requirements", "add", "cuda", "12"],
        ["add", "cuda-version 12.9.*"],
        ["workspace", "platform", "add", "linux-64", "osx-arm64", "win-64"],
        ["add", "--platform", "linux-64", "cuda >=12.9.1,<13"],
        ["add", "--platform", "linux-64", "pytorch-gpu >=2.7.0,<3"],
    ]),
    "cuda-exercise": (CUDA_EXERCISE, [
        ["workspace", "platform", "add", "linux-64", "osx-arm64", "win-64"],
        ["add", "--feature", "cpu", "pytorch-cpu"],
        ["workspace", "environment", "add", "cpu", "--feature", "cpu"],
        ["add", "--feature", "cpu", "pytorch-cpu >=1.1.0,<3"],
        ["workspace", "system-requirements", "add", "cuda", "12", "--feature", "gpu"],
        ["workspace", "environment", "add", "gpu", "--feature", "gpu"],
        ["add", "--feature", "gpu", "--platform", "linux-64", "cuda-version 12.9.*", "pytorch-gpu >=2.7.0,<3"],
    ]),
    "htcondor": (HTCONDOR, [
        ["workspace", "platform", "add", "linux-64", "osx-arm64", "win-64"],
        ["add", "python >=3.13.5,<3.14"],
        ["add", "--feature", "cpu", "pytorch-cpu", "torchvision"],
        ["workspace", "environment", "add", "cpu", "--feature", "cpu"],
        ["add", "--feature", "cpu", "pytorch-cpu >=2.7.0,<3", "torchvision >=0.22.0,<0.23"],
        ["workspace", "system-requirements", "add", "cuda", "12", "--feature", "gpu"],
        ["workspace", "environment", "add", "gpu", "--feature", "gpu"],
        ["add", "--feature", "gpu", "--platform", "linux-64", "pytorch-gpu >=2.7.0,<3", "torchvision >=0.22.0,<0.23"],
    ]),
}


NOTICE = "using the bundled offline teaching mirror of conda-forge\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run a command; stderr without the offline notice (every offline command starts with it,
    and test_cli_workflow checks it)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.replace(NOTICE, "", 1)


def _tables(text: str) -> dict:
    """Every table of a TOML text, by dotted name, with its plain values; an inline table counts
    as a table, so ``lab = { cmd = ... }`` and ``[tasks.lab]`` compare equal."""
    data = tomllib.loads(text)
    tables: dict = {}

    def walk(prefix: str, value: dict) -> None:
        tables[prefix] = {k: v for k, v in value.items() if not isinstance(v, dict)}
        for key, sub in value.items():
            if isinstance(sub, dict):
                walk(f"{prefix}.{key}" if prefix else key, sub)

    walk("", data)
    return tables


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_lesson_manifests_come_from_the_lesson_commands(tmp_path, monkeypatch, capsys, name):
    expected, commands = SEQUENCES[name]
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "init", name, "--platform", "linux-64")
    assert code == 0 and f"✔ Created {tmp_path / name / 'pixi.toml'}" in err
    monkeypatch.chdir(tmp_path / name)
    for command in commands:
        code, _, err = run(capsys, *command)
        assert code == 0, (command, err)
    ours = (tmp_path / name / "pixi.toml").read_text()
    assert _tables(ours) == _tables(expected)


def test_cuda_exercise_output_lines_and_size(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", "cuda-exercise", "-p", "linux-64")
    monkeypatch.chdir(tmp_path / "cuda-exercise")
    outputs = [run(capsys, *command)[2] for command in SEQUENCES["cuda-exercise"][1]]
    assert outputs[0] == "✔ Added linux-64\n✔ Added osx-arm64\n✔ Added win-64\n"
    assert outputs[1] == "✔ Added pytorch-cpu\nAdded these only for feature: cpu\n"
    assert outputs[2] == "✔ Added environment cpu\n"
    # the lesson's lines, then the WARN line current Pixi (0.71+) adds for [system-requirements]
    assert outputs[-1] == ("✔ Added cuda-version 12.9.*\n✔ Added pytorch-gpu >=2.7.0,<3\n"
                           "Added these only for platform(s): linux-64\nAdded these only for feature: gpu\n"
                           "WARN [system-requirements] is deprecated in favor of virtual packages on "
                           "`platforms` entries; `minipixi workspace migrate` rewrites them\n")
    # "So in 23 lines of TOML": the lesson's count holds for what we write too.
    assert len(Path("pixi.toml").read_text().splitlines()) == 23


def test_task_add_prints_like_pixi_and_task_list(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "task", "add", "--description", "Launch JupyterLab", "lab", "jupyter lab")
    assert err == '✔ Added task `lab`: jupyter lab, description = "Launch JupyterLab"\n'
    run(capsys, "task", "add", "train", "python", "train.py")
    code, out, _ = run(capsys, "task", "list")
    assert code == 0 and out.splitlines() == ["lab    Launch JupyterLab", "train  python train.py"]
    code, _, err = run(capsys, "task", "remove", "train")
    assert err == "✔ Removed task `train`\n"


def test_remove_and_lists(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    before = Path("pixi.toml").read_text()
    run(capsys, "add", "numpy >=2.3.0,<3")
    assert run(capsys, "remove", "numpy")[2] == "✔ Removed numpy\n"
    assert Path("pixi.toml").read_text() == before
    run(capsys, "workspace", "platform", "add", "osx-arm64")
    assert run(capsys, "workspace", "platform", "list")[1] == "linux-64\nosx-arm64\n"
    assert run(capsys, "workspace", "environment", "list")[1] == "- default: default\n"


def test_bad_manifest_is_reported_with_location_and_no_traceback(tmp_path, monkeypatch, capsys):
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "bad-manifests" / "undefined-feature"
    (tmp_path / "pixi.toml").write_text((fixture / "pixi.toml").read_text())
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "add", "numpy")
    assert code == 1
    assert "error: the feature 'gpus' is not defined in the manifest" in err
    assert "pixi.toml:10:8" in err and ' 10 | gpu = ["gpus"]' in err and "help: did you mean 'gpu'?" in err
    assert "Traceback" not in err


def test_failed_add_leaves_the_file_unchanged(tmp_path, capsys):
    run(capsys, "init", str(tmp_path), "-p", "linux-64")
    manifest = tmp_path / "pixi.toml"
    before = manifest.read_bytes()
    code, _, err = run(capsys, "add", "--manifest-path", str(manifest), "scipy", "numpy >=2,,<3")
    assert code == 1 and err.startswith("error: 'numpy >=2,,<3' is not a valid spec")
    assert manifest.read_bytes() == before


def test_migrate_and_platform_list_show_rich_entries(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64", "-p", "osx-arm64")
    run(capsys, "workspace", "system-requirements", "add", "cuda", "12")
    code, _, err = run(capsys, "workspace", "migrate")
    assert code == 0 and "linux-64-cuda, osx-arm64" in err
    assert run(capsys, "workspace", "platform", "list")[1] == "linux-64-cuda (linux-64, cuda = 12)\nosx-arm64\n"


def test_init_import_environment_yml(tmp_path, monkeypatch, capsys):
    env = tmp_path / "environment.yml"
    env.write_text("name: analysis\nchannels: [conda-forge]\ndependencies:\n  - python=3.12\n  - numpy\n")
    code, _, err = run(capsys, "init", str(tmp_path / "w"), "--import", str(env), "-p", "linux-64")
    assert code == 0
    data = tomllib.loads((tmp_path / "w" / "pixi.toml").read_text())
    assert data["workspace"]["name"] == "analysis"
    assert data["dependencies"] == {"python": "3.12.*", "numpy": "*"}


def test_pypi_add_needs_python_and_is_undone_without_it(tmp_path, monkeypatch, capsys):
    # (the whole PyPI workflow, with an index, is tests/pypi/test_pypi_workflow.py)
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    before = Path("pixi.toml").read_bytes()
    code, _, err = run(capsys, "add", "--pypi", "requests")
    assert code == 1 and "no python" in err and "Traceback" not in err
    assert Path("pixi.toml").read_bytes() == before
    code, _, err = run(capsys, "add", "--pypi", "--no-lockfile-update", "requests")
    assert code == 0
    assert tomlkit.parse(Path("pixi.toml").read_text())["pypi-dependencies"]["requests"] == "*"


def test_workspace_subcommands_are_shared_between_areas():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    first = workspace_subcommands(sub)
    assert workspace_subcommands(sub) is first
    first.add_parser("export")
    assert "export" in first.choices


# ---- add pins to the solved version (offline, on the bundled teaching mirror) -------------------
@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Every command here runs as in the lesson: `add` solves, locks and installs, on the teaching
    mirror, on a machine with a CUDA 12 driver (the lesson was recorded on one)."""
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "12")
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MINIPIXI_OFFLINE", "1")


def test_htcondor_lesson_with_bare_names_pins_like_pixi(tmp_path, monkeypatch, capsys, offline):
    """The HTCondor episode typed as the lesson types it (no versions): the solver's versions,
    pinned the semver way, give the lesson's manifest and its ✔ lines."""
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", "htcondor", "-p", "linux-64")
    monkeypatch.chdir(tmp_path / "htcondor")
    steps = [
        ["workspace", "platform", "add", "linux-64", "osx-arm64", "win-64"],
        ["add", "python"],
        ["add", "--feature", "cpu", "pytorch-cpu", "torchvision"],
        ["workspace", "environment", "add", "cpu", "--feature", "cpu"],
        ["add", "--feature", "cpu", "pytorch-cpu", "torchvision"],
        ["workspace", "system-requirements", "add", "cuda", "12", "--feature", "gpu"],
        ["workspace", "environment", "add", "gpu", "--feature", "gpu"],
        ["add", "--feature", "gpu", "--platform", "linux-64", "pytorch-gpu", "torchvision"],
    ]
    outputs = []
    for command in steps:
        code, _, err = run(capsys, *command)
        assert code == 0, (command, err)
        outputs.append([line for line in err.splitlines() if "offline teaching mirror" not in line])
    assert outputs[2] == ["✔ Added pytorch-cpu", "✔ Added torchvision", "Added these only for feature: cpu"]
    assert outputs[4][:2] == ["✔ Added pytorch-cpu >=2.7.0,<3", "✔ Added torchvision >=0.22.0,<0.23"]
    assert _tables(Path("pixi.toml").read_text()) == _tables(HTCONDOR)


def test_add_pins_are_the_semver_pin_of_the_solved_version(tmp_path, monkeypatch, capsys, offline):
    from minipixi.manifest.pins import pin_for_version

    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "add", "python", "numpy", "notebook >=7")
    assert code == 0
    deps = tomllib.loads(Path("pixi.toml").read_text())["dependencies"]
    assert deps["notebook"] == ">=7"  # a spec with a version is written as given
    for name in ("python", "numpy"):
        lower = deps[name].split(",")[0].removeprefix(">=")
        assert deps[name] == pin_for_version(lower, name=name)
        assert f"✔ Added {name} {deps[name]}" in err


def test_unsolvable_add_restores_the_manifest(tmp_path, monkeypatch, capsys, offline):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    before = Path("pixi.toml").read_bytes()
    code, _, err = run(capsys, "add", "no-such-package-anywhere")
    assert code == 1 and "no-such-package-anywhere" in err
    assert Path("pixi.toml").read_bytes() == before


def test_no_lockfile_update_writes_a_star(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "add", "--no-lockfile-update", "numpy")
    assert code == 0 and err == "✔ Added numpy\n"
    assert tomllib.loads(Path("pixi.toml").read_text())["dependencies"] == {"numpy": "*"}


def test_platform_add_with_virtual_packages(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "workspace", "platform", "add", "linux-64-cuda=linux-64", "--cuda", "12")
    assert code == 0 and err == "✔ Added linux-64-cuda\n"
    code, _, err = run(capsys, "workspace", "platform", "add", "osx-arm64", "--osx", "13.5")
    assert err == "✔ Added osx-arm64-macos-13-5\n"
    assert run(capsys, "workspace", "platform", "list")[1] == (
        "linux-64\nlinux-64-cuda (linux-64, cuda = 12)\nosx-arm64-macos-13-5 (osx-arm64, macos = 13.5)\n")


def test_task_env_needs_name_equals_value(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "task", "add", "serve", "python -m http.server", "--env", "PORT")
    assert code == 1 and "--env PORT has no '='" in err and "bug" not in err
    code, _, err = run(capsys, "task", "add", "serve", "python -m http.server", "--env", "PORT=8000", "--cwd", "site")
    assert code == 0
    task = tomllib.loads(Path("pixi.toml").read_text())["tasks"]["serve"]
    assert task == {"cmd": "python -m http.server", "cwd": "site", "env": {"PORT": "8000"}}


# ---- any command line: a result or a clear error, never "a bug in minipixi" -------------------
def _command_lines():
    from hypothesis import strategies as st

    word = st.sampled_from(["numpy", "numpy >=2", "x=", "gpu", "cpu", "linux-64", "osx-arm64", "lnux",
                            "lab", "start", "12", "", "-", "a b", "default", "GPU", "conda-forge::x 1 y"])
    commands = st.sampled_from([
        ["add", "--no-lockfile-update"], ["add", "--no-lockfile-update", "--feature"], ["remove"],
        ["remove", "--platform", "linux-64"], ["task", "add"], ["task", "add", "--depends-on"],
        ["task", "remove"], ["task", "list"], ["workspace", "platform", "add"], ["workspace", "platform", "remove"],
        ["workspace", "environment", "add"], ["workspace", "environment", "add", "--feature"],
        ["workspace", "environment", "remove"], ["workspace", "system-requirements", "add"],
        ["workspace", "migrate"], ["workspace", "environment", "list"],
    ])
    return st.lists(st.tuples(commands, st.lists(word, max_size=3)), min_size=1, max_size=4)


def test_random_command_lines_never_crash(tmp_path_factory, monkeypatch):
    from hypothesis import given, settings

    from minipixi import files

    monkeypatch.setattr(files, "FSYNC", False)  # many small writes; os.replace stays atomic

    @settings(max_examples=min(30, settings().max_examples))
    @given(_command_lines())
    def check(lines):
        folder = tmp_path_factory.mktemp("fuzz")
        assert main(["init", str(folder), "-p", "linux-64"]) == 0
        for command, words in lines:
            argv = [*command, *words, "--manifest-path", str(folder / "pixi.toml")]
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's own usage errors
                assert exc.code == 2
                continue
            assert code in (0, 1), argv
            read_back = (folder / "pixi.toml").read_text()
            from minipixi.manifest import parse_manifest

            parse_manifest(read_back, folder / "pixi.toml")  # every edit left a valid manifest

    check()


def test_workspace_channel_add_list_remove(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    before = Path("pixi.toml").read_text()
    assert run(capsys, "workspace", "channel", "add", "--prepend", "rapidsai")[2] == "✔ Added rapidsai\n"
    assert run(capsys, "workspace", "channel", "add", "nvidia", "--feature", "gpu", "--priority", "5")[2] == "✔ Added nvidia\n"
    data = tomllib.loads(Path("pixi.toml").read_text())
    assert data["workspace"]["channels"] == ["rapidsai", "conda-forge"]
    assert data["feature"]["gpu"]["channels"] == [{"channel": "nvidia", "priority": 5}]
    assert run(capsys, "workspace", "channel", "list")[1] == "rapidsai\nconda-forge\nnvidia (feature gpu, priority 5)\n"
    run(capsys, "workspace", "channel", "remove", "nvidia", "--feature", "gpu")
    assert run(capsys, "workspace", "channel", "remove", "rapidsai")[2] == "✔ Removed rapidsai\n"
    assert Path("pixi.toml").read_text() == before
    code, _, err = run(capsys, "workspace", "channel", "remove", "conda-forg")
    assert code == 1 and "did you mean 'conda-forge'?" in err and "pixi.toml:2:1" in err


def test_task_add_with_arguments_runs_through_the_task_renderer(tmp_path, monkeypatch, capsys):
    from minipixi.manifest import read_manifest
    from minipixi.run.tasks import build_steps

    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    code, _, err = run(capsys, "task", "add", "train", "python train.py --epochs {{ epochs }}",
                       "--arg", "epochs=2", "--clean-env")
    assert code == 0, err
    task = tomllib.loads(Path("pixi.toml").read_text())["tasks"]["train"]
    assert task == {"cmd": "python train.py --epochs {{ epochs }}", "clean-env": True,
                    "args": [{"arg": "epochs", "default": "2"}]}
    tasks = read_manifest("pixi.toml").resolve("default", "linux-64").tasks
    assert [s.command for s in build_steps(tasks, "train")] == ["python train.py --epochs 2"]
    assert [s.command for s in build_steps(tasks, "train", ["14"])] == ["python train.py --epochs 14"]


def test_deprecated_forms_are_warned_about_once_per_command(tmp_path, monkeypatch, capsys):
    """Pixi logs a WARN line for a deprecated manifest form on every command; an unused
    feature stays quiet (the lesson's Pixi transcripts show no warning for it)."""
    monkeypatch.chdir(tmp_path)
    run(capsys, "init", ".", "-p", "linux-64")
    run(capsys, "task", "add", "hello", "echo hi")
    text = Path("pixi.toml").read_text()
    Path("pixi.toml").write_text(text + '\n[feature.unused.dependencies]\nnumpy = "*"\n')
    code, out, err = run(capsys, "task", "list")
    assert code == 0 and "hello" in out and "WARN" not in err
    Path("pixi.toml").write_text(text.replace("[workspace]", "[project]"))
    code, out, err = run(capsys, "task", "list")
    assert code == 0 and "hello" in out and "WARN" not in out
    assert err.count("WARN the [project] table is deprecated, rename it to [workspace]") == 1
    code, _, err = run(capsys, "workspace", "platform", "list")
    assert err.count("WARN the [project] table is deprecated") == 1
