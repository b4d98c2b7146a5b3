"""Malformed manifests and configs: one located error and exit 1, never a traceback, never ignored.

Each test reproduces one item of issue 14 about pixi.toml, `.pixi/config.toml`, the user config
and `init --import` files: inputs that crashed minipixi (deep nesting, long task chains, wrong
types, NUL in names, bytes that are not UTF-8) and inputs it accepted without a word (an unknown
target selector, a bad `exclude-newer`, `requires-pixi` it cannot meet, a config value of the
wrong type, lone-CR line ends, source dependencies, settings it does not implement). Two more
are about meaning: `shell-hook` output quotes every name and value, and a relative channel is
relative to the workspace, not to the current folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from cli_checks import assert_clean_error, run

from minipixi import PIXI_VERSION
from minipixi.cli import main
from minipixi.manifest import read_manifest

HEAD = '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
DEEP_ARRAY = "a = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.fixture
def ws(offline, tmp_path, monkeypatch):
    """A workspace folder (the current folder) and a writer for its pixi.toml (after HEAD)."""
    folder = tmp_path / "ws"
    folder.mkdir()
    monkeypatch.chdir(folder)

    def write(body: str = "", *, head: str = HEAD, raw: bytes | None = None) -> Path:
        path = folder / "pixi.toml"
        path.write_bytes(raw if raw is not None else (head + textwrap.dedent(body)).encode())
        return path

    write.folder = folder
    return write


def write_config(folder: Path, data: bytes) -> Path:
    path = folder / ".pixi" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---- tracebacks ------------------------------------------------------------------------------

def test_a_manifest_nested_5000_deep_is_a_located_error(ws, capsys):
    ws(DEEP_ARRAY.replace("a =", "[tool]\na ="))
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:6:", "nested")


@pytest.mark.parametrize("body", ["a" + ".a" * 5000 + " = 1\n", "a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n"])
def test_deep_keys_and_inline_tables_in_the_manifest(ws, capsys, body):
    ws("[tool]\n" + body)
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:6:")


@pytest.mark.parametrize("body", [DEEP_ARRAY, "a" + ".a" * 5000 + " = 1\n",
                                  "a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n"])
def test_a_workspace_config_nested_5000_deep_is_a_located_error(ws, capsys, body):
    ws()
    write_config(ws.folder, body.encode())
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "config.toml", "nested")


def test_a_user_config_nested_5000_deep_is_a_located_error(ws, capsys, tmp_path):
    ws()
    home = Path(os.environ["MINIPIXI_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(DEEP_ARRAY)
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, str(home / "config.toml"), "nested")


def test_a_5000_digit_cuda_requirement(ws, capsys):
    ws('[system-requirements]\ncuda = "' + "9" * 5000 + '"\n')
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:6:", "cuda")


def _chain(n: int, *, cycle: bool = False) -> str:
    lines = [f't{i} = {{ cmd = "true", depends-on = ["t{i + 1}"] }}' for i in range(n)]
    lines.append(f't{n} = {{ cmd = "true", depends-on = ["t0"] }}' if cycle else f't{n} = "true"')
    return "[tasks]\n" + "\n".join(lines) + "\n"


def test_a_3000_task_chain_is_walked_without_recursion(ws, capsys):
    ws(_chain(3000))
    workspace = read_manifest(ws.folder / "pixi.toml")
    from minipixi.run.tasks import plan_tasks

    tasks = workspace.resolve("default", "linux-64").tasks
    order = plan_tasks(tasks, "t0")
    assert [name for name, _ in order] == [f"t{i}" for i in range(3000, -1, -1)]
    code, out, err = run(capsys, "task", "list")
    assert code == 0 and "t2999" in out, err


def test_a_3000_task_cycle_is_named_not_a_crash(ws, capsys):
    ws(_chain(3000, cycle=True))
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:", "cycle")


def test_plan_tasks_names_a_long_cycle():
    from minipixi.manifest.model import DependsOn, Task
    from minipixi.run.tasks import TaskError, plan_tasks

    tasks = {f"t{i}": Task(f"t{i}", "true", (DependsOn(f"t{(i + 1) % 3000}"),)) for i in range(3000)}
    with pytest.raises(TaskError, match="cycle"):
        plan_tasks(tasks, "t0")


@pytest.mark.parametrize("body, needle", [
    ('[tasks]\na = { cmd = [1, 2] }\n', "cmd"),
    ('[tasks]\na = { cmd = "echo {{ x }}", args = [{ arg = "x", default = 3 }] }\n', "default"),
    ('[tasks]\na = { cmd = "echo {{ x }}", args = [{ arg = "x", choices = [1] }] }\n', "choices"),
    ('[tasks]\na = { cmd = "x", depends-on = [{ task = 1 }] }\n', "task"),
    ('[tasks]\na = { cmd = "x", cwd = 1 }\n', "cwd"),
    ('[tasks]\na = { cmd = "x", description = [] }\n', "description"),
    ('[tasks]\na = { cmd = "x", clean-env = "yes" }\n', "clean-env"),
    ('[tasks]\na = { cmd = "x", inputs = [1] }\n', "inputs"),
])
def test_task_fields_of_the_wrong_type(ws, capsys, body, needle):
    ws(body)
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:6:", needle)


@pytest.mark.parametrize("body", [
    '[tasks]\n"a\\u0000b" = "echo"\n',
    '[feature."a\\u0000b".dependencies]\npython = "*"\n',
    '[environments]\n"a\\u0000b" = []\n',
    '[dependencies]\n"a\\u0000b" = "*"\n',
    '[activation.env]\n"A\\u0000B" = "1"\n',
    '[tasks]\na = { cmd = "x", env = { "A\\u0000" = "1" } }\n',
])
def test_nul_in_a_name(ws, capsys, body):
    ws(body)
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:")
    assert "\x00" not in err


def test_a_non_utf8_workspace_config(ws, capsys):
    ws()
    write_config(ws.folder, b'offline = true\n# caf\xe9\n')
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "config.toml:2:6", "UTF-8")


def test_add_on_a_non_utf8_manifest(ws, capsys):
    path = ws(raw=(HEAD + "# caf\xe9\n").encode("latin-1"))
    before = path.read_bytes()
    code, _, err = run(capsys, "add", "python", "--no-install")
    assert_clean_error(code, err, "pixi.toml:5", "UTF-8")
    assert path.read_bytes() == before


def test_reading_a_non_utf8_manifest(ws, capsys):
    ws(raw=(HEAD + "# caf\xe9\n").encode("latin-1"))
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:5:6", "UTF-8")


@pytest.mark.parametrize("data, needle", [
    (b"name: x\ndependencies: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
    (b"name: caf\xe9\ndependencies: [python]\n", "UTF-8"),
    (b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((ord("b") + i, ord("b") + i) + (ord("a") + i,) * 9)
        for i in range(9)) + b"name: x\ndependencies:\n  - pip: *j\n", "aliases"),
    # a number or a mapping where a list belongs was a TypeError while walking it
    (b"name: x\ndependencies: 5\n", "'dependencies' in environment.yml is not a list"),
    (b"name: x\nchannels: true\ndependencies: [python]\n", "'channels' in environment.yml is not a list"),
    (b"name: x\ndependencies:\n  - python\n  - pip: 5\n", "'pip' in environment.yml is not a list"),
    (b"name: [x]\ndependencies: [python]\n", "'name' in environment.yml is not text"),
])
def test_init_import_of_a_hostile_environment_yml(offline, tmp_path, monkeypatch, capsys, data, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "environment.yml").write_bytes(data)
    code, _, err = run(capsys, "init", "--import", "environment.yml", "new")
    assert_clean_error(code, err, "environment.yml", needle)
    assert not (tmp_path / "new" / "pixi.toml").exists()


# ---- silently accepted ------------------------------------------------------------------------

@pytest.mark.parametrize("selector", ["../x", "linux-65", "a b", ""])
def test_an_unknown_target_selector(ws, capsys, selector):
    ws(f'[target."{selector}".dependencies]\npython = "*"\n')
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:5:", "target")


def test_known_selectors_still_load(ws):
    ws('[target.unix.dependencies]\npython = "*"\n[target.osx-arm64.dependencies]\npython = "*"\n'
       '[target.linux-64.tasks]\na = "true"\n')
    assert set(read_manifest(ws.folder / "pixi.toml").default_feature.targets) == {"unix", "osx-arm64", "linux-64"}


@pytest.mark.parametrize("where, line", [
    ('exclude-newer = "not a date"\n', 5),  # in [workspace]
    ('[feature.f]\nchannels = [{ channel = "conda-forge", exclude-newer = "yesterday-ish" }]\n', 6),
])
def test_exclude_newer_that_is_not_a_date_or_duration(ws, capsys, where, line):
    ws(where)
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, f"pixi.toml:{line}:", "exclude-newer")


@pytest.mark.parametrize("key", ["exclude-newer", "pypi-exclude-newer"])
def test_top_level_exclude_newer(ws, capsys, key):
    ws(raw=f'{key} = "2020-02-30"\n{HEAD}'.encode())
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:1:", key)
    ws(raw=f'{key} = "7d"\n{HEAD}[dependencies]\npython = "*"\n'.encode())
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "pixi.toml:1:", key, "not supported")


def test_exclude_newer_in_the_workspace_table(ws, capsys):
    ws(head=HEAD.replace('name = "x"', 'name = "x"\nexclude-newer = "2020-13-45"'))
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:3:", "exclude-newer")


@pytest.mark.parametrize("value", ['"2024-01-31"', '"2024-01-31T10:00:00Z"', '"2024-01-31T10:00:00+02:00"',
                                   '"7d"', '"1h 30m"', '"2weeks"', "2024-01-31"])
def test_a_valid_exclude_newer_in_the_workspace_is_honoured_when_solving(ws, capsys, value):
    ws(f"exclude-newer = {value}\n[dependencies]\npython = \"*\"\n")
    code, out, err = run(capsys, "task", "list")  # reading the manifest is fine
    assert code == 0, err
    code, _, err = run(capsys, "lock")
    if "2024" in value:  # every record of the teaching channel is newer: nothing to solve with
        assert_clean_error(code, err, "python")
        assert not (ws.folder / "pixi.lock").exists()
    else:
        assert code == 0, err
        assert "exclude-newer: " in (ws.folder / "pixi.lock").read_text()


def test_requires_pixi_that_minipixi_cannot_meet(ws, capsys):
    ws(head=HEAD.replace('name = "x"', 'name = "x"\nrequires-pixi = ">=99"'))
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:3:", "requires-pixi", PIXI_VERSION)


def test_requires_pixi_that_minipixi_meets(ws):
    ws(head=HEAD.replace('name = "x"', f'name = "x"\nrequires-pixi = ">={PIXI_VERSION}"'))
    assert read_manifest(ws.folder / "pixi.toml").requires_pixi == f">={PIXI_VERSION}"


@pytest.mark.parametrize("version", ["abc", "12.x", "1" * 5000])
def test_system_requirements_add_with_a_version_that_is_not_one(ws, capsys, version):
    path = ws()
    before = path.read_bytes()
    code, _, err = run(capsys, "workspace", "system-requirements", "add", "cuda", version)
    assert_clean_error(code, err, "cuda")
    assert path.read_bytes() == before


@pytest.mark.parametrize("data, needle", [
    (b'offline = "false"\n', "offline"),
    (b"offline = 1\n", "offline"),
    (b'mirrors = "x"\n', "mirrors"),
    (b'default-channels = ["conda-forge"]\n', "default-channels"),
    (b'[mirrors]\n"https://conda.anaconda.org/conda-forge" = "https://m"\n', "mirrors"),
])
def test_a_config_value_of_the_wrong_type_or_an_unknown_key(ws, capsys, data, needle):
    ws()
    write_config(ws.folder, data)
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "config.toml", needle)


def test_offline_false_in_the_config_means_false(ws, monkeypatch):
    from minipixi.config import load_config

    ws()
    monkeypatch.delenv("MINIPIXI_OFFLINE")
    write_config(ws.folder, b"offline = false\n")
    assert load_config(ws.folder).offline is False
    write_config(ws.folder, b"offline = true\n")
    assert load_config(ws.folder).offline is True


def test_lone_cr_line_ends(ws, capsys):
    ws(raw=HEAD.replace("\n", "\r").encode())
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:1:12", "CR")


def test_crlf_line_ends_load(ws):
    ws(raw=(HEAD + '[tasks]\na = "true"\n').replace("\n", "\r\n").encode())
    workspace = read_manifest(ws.folder / "pixi.toml")
    assert workspace.default_feature.default.tasks["a"].cmd == "true"


@pytest.mark.parametrize("body", ['numpy = { git = "https://github.com/numpy/numpy" }',
                                  'python = { path = "./python" }',
                                  'numpy = { url = "https://example.org/numpy-2.0-0.conda" }'])
def test_source_dependencies_are_not_solved_as_the_channel_package(ws, capsys, body):
    ws("[dependencies]\n" + body + "\n")
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "pixi.toml:6:", "not supported by minipixi")
    assert not (ws.folder / "pixi.lock").exists()


def test_a_utf8_bom_is_read(ws):
    ws(raw=b"\xef\xbb\xbf" + (HEAD + '[tasks]\na = "true"\n').encode())
    assert read_manifest(ws.folder / "pixi.toml").name == "x"


def test_an_error_in_a_bom_file_points_at_the_right_column(ws, capsys):
    ws(raw=b"\xef\xbb\xbf" + (HEAD + "[featur]\n").encode())
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:5:2")


# ---- settings minipixi does not implement -----------------------------------------------------

@pytest.mark.parametrize("head_extra, body, needle", [
    ("", "[dev]\nmypkg = { path = \".\" }\n", "dev"),
    ("", '[dependencies]\nnumpy = { version = "*", when = "linux" }\n', "when"),
    ("", '[dependencies]\nnumpy = { version = "*", track-features = "x" }\n', "track-features"),
    ("", '[dependencies]\nnumpy = { version = "*", branch = "main" }\n', "branch"),
])
def test_settings_minipixi_does_not_implement_are_named_when_solving(ws, capsys, head_extra, body, needle):
    ws('[dependencies]\npython = "*"\n' + body if "[dependencies]" not in body else body,
       head=HEAD.replace('name = "x"', f'name = "x"\n{head_extra}'))
    code, _, err = run(capsys, "lock")  # every environment is solved
    assert_clean_error(code, err, "pixi.toml:", needle, "not supported")


@pytest.mark.parametrize("value", ['"lowest"', '"fastest"'])
def test_solve_strategy_values_are_checked(ws, capsys, value):
    ws(head=HEAD.replace('name = "x"', f'name = "x"\nsolve-strategy = {value}'))
    code, _, err = run(capsys, "task", "list")
    if value == '"fastest"':
        assert_clean_error(code, err, "pixi.toml:3:", "solve-strategy")
    else:
        assert code == 0, err


def test_workspace_dependencies_are_taken_from_the_pool(ws):
    ws(head=HEAD + '[workspace.dependencies]\npython = ">=3.12"\n',
       body='[dependencies]\npython = { workspace = true }\n')
    resolved = read_manifest(ws.folder / "pixi.toml").resolve("default", "linux-64")
    assert resolved.dependencies["python"].version == ">=3.12"


def test_a_workspace_dependency_missing_from_the_pool(ws, capsys):
    ws(body='[dependencies]\npython = { workspace = true }\n')
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:6:", "workspace")


def test_host_and_build_dependencies_join_the_environment(ws):
    ws('[dependencies]\npython = "*"\n[host-dependencies]\npip = "*"\n[build-dependencies]\ncython = "*"\n')
    resolved = read_manifest(ws.folder / "pixi.toml").resolve("default", "linux-64")
    assert set(resolved.specs) == {"python", "pip", "cython"}


# ---- shell-hook quoting -----------------------------------------------------------------------

HOSTILE_VALUES = ["$(touch {marker})", "`touch {marker}`", "a'b\"c\\d $HOME; touch {marker}", "x\ny"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_shell_hook_quotes_activation_values(ws, capsys, tmp_path, value):
    marker = tmp_path / "ran"
    literal = value.format(marker=marker)
    toml_value = literal.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    ws(f'[activation.env]\nMY_VAR = "{toml_value}"\n')
    code, hook, err = run(capsys, "shell-hook", "-s", "bash")
    assert code == 0, err
    proc = subprocess.run(["bash", "-c", 'eval "$1"; printf %s "$MY_VAR"', "bash", hook],
                          capture_output=True, text=True, check=False, timeout=60)
    assert not marker.exists(), hook
    assert proc.stdout == literal.replace("$HOME", os.environ.get("HOME", "")), (proc.stdout, hook)


def test_shell_hook_keeps_plain_variable_references(ws, capsys):
    ws('[activation.env]\nMY_VAR = "${PIXI_PROJECT_ROOT}/data:$CONDA_PREFIX"\n')
    code, hook, err = run(capsys, "shell-hook", "-s", "bash")
    assert code == 0, err
    proc = subprocess.run(["bash", "-c", 'eval "$1"; printf %s "$MY_VAR"', "bash", hook],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.stdout == f"{ws.folder}/data:{ws.folder / '.pixi' / 'envs' / 'default'}"


@pytest.mark.parametrize("name", ["X;touch /tmp/x", "A B", "1A", "A-B", "$(x)"])
def test_activation_env_names_must_be_identifiers(ws, capsys, name):
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    ws(f'[activation.env]\n"{escaped}" = "1"\n')
    code, _, err = run(capsys, "shell-hook", "-s", "bash")
    assert_clean_error(code, err, "pixi.toml:6:", "name")


@pytest.mark.parametrize("shell", ["fish", "powershell", "zsh"])
def test_other_shells_quote_values_too(shell):
    from minipixi.run.activation import ActivationContext, render_shell_hook

    ctx = ActivationContext(prefix=Path("/p/$(x)"), env={"V": "a'b$(touch x)`y`"}, scripts=("s$(x).sh",),
                            workspace_root=Path("/w"))
    text = render_shell_hook(ctx, shell)
    start = {"fish": "set -gx V ", "powershell": "$Env:V =", "zsh": "export V="}[shell]
    line = next(line for line in text.splitlines() if line.startswith(start))
    if shell == "fish":
        assert line == "set -gx V 'a\\'b$(touch x)`y`'"
    elif shell == "powershell":
        assert line == "$Env:V = 'a''b$(touch x)`y`'"
    else:
        assert "\\$(touch x)" in line and "\\`y\\`" in line


def test_activation_scripts_are_quoted_literally(tmp_path):
    from minipixi.run.activation import ActivationContext, render_shell_hook

    ctx = ActivationContext(prefix=tmp_path / "env", scripts=("a$(touch x).sh",), workspace_root=tmp_path)
    assert f". '{tmp_path}/a$(touch x).sh'" in render_shell_hook(ctx, "bash")


# ---- relative channels ------------------------------------------------------------------------

def test_a_relative_channel_is_relative_to_the_workspace(ws, tmp_path, monkeypatch):
    ws(head=HEAD.replace('["conda-forge"]', '["./chan"]'),
       body='[dependencies]\nx = { version = "*", channel = "./chan" }\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    resolved = read_manifest(ws.folder / "pixi.toml").resolve("default", "linux-64")
    assert resolved.channels == ((ws.folder / "chan").as_uri(),)
    assert resolved.specs["x"].channel is not None
    assert str(resolved.specs["x"].channel).rstrip("/").endswith(str(ws.folder / "chan"))


@pytest.mark.parametrize("body", ['[activation.env]\nA = "x\\u0000y"\n',
                                  '[tasks]\nt = { cmd = "true", env = { B = "a\\u0000" } }\n',
                                  '[tasks]\nt = "echo \\u0000"\n'])
def test_nul_in_a_value_that_reaches_a_process(ws, capsys, body):
    ws(body)
    code, _, err = run(capsys, "run", "true")
    assert_clean_error(code, err, "pixi.toml:6:", "NUL")


def test_package_activation_variables_are_checked(tmp_path):
    from minipixi.run.activation import ActivationContext, ActivationError, activation_variables

    prefix = tmp_path / "env"
    (prefix / "etc" / "conda" / "env_vars.d").mkdir(parents=True)
    for name, data in (("bad.json", '{"X; touch y": "1"}'), ("nul.json", '{"X": "a\\u0000"}')):
        path = prefix / "etc" / "conda" / "env_vars.d" / name
        path.write_text(data)
        with pytest.raises(ActivationError, match=name):
            activation_variables(ActivationContext(prefix=prefix))
        path.unlink()


# ---- task settings that were read and then ignored ----------------------------------------------

def test_a_clean_env_task_sees_only_the_activation(ws, capsys, monkeypatch, tmp_path):
    out, env = tmp_path / "env.txt", shutil.which("env")  # PATH is the environment's own bin only
    ws(f'[tasks]\nclean = {{ cmd = "{env} > {out}", clean-env = true }}\nfull = "env > {out}.full"\n')
    monkeypatch.setenv("MY_SHELL_SECRET", "1")
    code, _, err = run(capsys, "run", "clean")
    assert code == 0, err
    seen = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    assert "MY_SHELL_SECRET" not in seen and seen["CONDA_PREFIX"].endswith("default")
    assert seen.get("HOME") == os.environ.get("HOME")
    assert seen["PATH"] == str(ws.folder / ".pixi" / "envs" / "default" / "bin")
    code, _, err = run(capsys, "run", "full")
    assert code == 0, err
    assert "MY_SHELL_SECRET=1" in (tmp_path / "env.txt.full").read_text()


def test_task_argument_choices_are_enforced(ws, capsys):
    ws('[tasks]\nt = { cmd = "echo {{ mode }}", args = [{ arg = "mode", choices = ["fast", "slow"] }] }\n')
    code, _, err = run(capsys, "run", "t", "medium")
    assert code == 1 and "choices" in err and "fast, slow" in err, err
    assert run(capsys, "run", "t", "fast")[0] == 0


def test_depends_on_in_another_environment_is_refused(ws, capsys):
    ws('[tasks]\na = "true"\nb = { cmd = "true", depends-on = [{ task = "a", environment = "default" }] }\n')
    code, _, err = run(capsys, "run", "b")
    assert code == 1 and "environment" in err and "not support" in err, err


def test_named_depends_on_arguments(ws, capsys, tmp_path):
    out = tmp_path / "out.txt"
    ws(f'[tasks]\ngreet = {{ cmd = "echo {{{{ greeting }}}} {{{{ name }}}} >> {out}", '
       'args = [{ arg = "greeting", default = "hi" }, "name"] }\n'
       'jane = [{ task = "greet", args = [{ name = "Jane" }] }]\n'
       'typo = [{ task = "greet", args = [{ nmae = "Jane" }] }]\n')
    code, _, err = run(capsys, "run", "jane")
    assert code == 0 and out.read_text() == "hi Jane\n", err
    code, _, err = run(capsys, "run", "typo")
    assert code == 1 and "no argument 'nmae'" in err, err


def test_exclude_newer_per_package_tables(ws, capsys):
    ws(raw=f'[exclude-newer]\nnumpy = "7d"\nscipy = false\n{HEAD}[dependencies]\npython = "*"\n'.encode())
    assert run(capsys, "task", "list")[0] == 0
    code, _, err = run(capsys, "lock")
    assert_clean_error(code, err, "pixi.toml:1:", "exclude-newer", "not supported")
    ws(raw=f'[exclude-newer]\nnumpy = "soon"\n{HEAD}'.encode())
    code, _, err = run(capsys, "task", "list")
    assert_clean_error(code, err, "pixi.toml:2:", "numpy")


def test_a_hostile_pyproject_is_found_then_refused_at_its_place(tmp_path):
    """Looking for a manifest opens pyproject.toml files: one nested 5,000 deep is still found
    (it has a [tool.pixi] line) and refused with its place, never a crash; one without
    [tool.pixi] is passed over; one over the size bound is not opened while looking."""
    from minipixi.errors import ManifestError
    from minipixi.manifest import find_manifest
    from minipixi.manifest.find import MAX_MANIFEST_BYTES

    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "pyproject.toml").write_text("[tool.pixi]\nx = " + "[" * 5000 + "\n")
    assert find_manifest(deep) == (deep / "pyproject.toml").resolve()
    with pytest.raises(ManifestError) as info:
        read_manifest(deep)
    assert info.value.where.line == 2 and "Traceback" not in info.value.render()
    big = tmp_path / "big" / "inner"
    big.mkdir(parents=True)
    (big / "pyproject.toml").write_text("[tool.pixi]\n#" + "x" * MAX_MANIFEST_BYTES + "\n")
    (big.parent / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nplatforms = []\n')
    assert find_manifest(big) == (big.parent / "pixi.toml").resolve()
