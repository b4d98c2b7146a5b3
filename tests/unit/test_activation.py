"""Activation: variables, shell-hook text for each shell, and activation scripts really running."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from minipixi.run.activation import (
    ActivationContext,
    activated_environment,
    activation_variables,
    path_entries,
    quote_bash,
    render_shell_hook,
)
from minipixi.errors import ActivationError


def make_ctx(tmp_path: Path, **kw) -> ActivationContext:
    env_name = kw.pop("environment_name", "default")
    prefix = tmp_path / ".pixi" / "envs" / env_name
    (prefix / "bin").mkdir(parents=True)
    (prefix / "conda-meta").mkdir()
    defaults = dict(
        prefix=prefix,
        environment_name=env_name,
        workspace_root=tmp_path,
        workspace_name="example",
        manifest_path=tmp_path / "pixi.toml",
        workspace_version="0.1.0",
        platforms=("linux-64", "osx-arm64"),
    )
    defaults.update(kw)
    return ActivationContext(**defaults)


def test_path_entries_unix_and_windows(tmp_path):
    assert path_entries(tmp_path, "linux-64") == [tmp_path / "bin"]
    win = path_entries(tmp_path, "win-64")
    assert win[0] == tmp_path and tmp_path / "Scripts" in win and tmp_path / "Library/bin" in win


def test_variables_follow_pixi_names(tmp_path):
    ctx = make_ctx(tmp_path, environment_name="gpu")
    got = activation_variables(ctx)
    assert got["CONDA_PREFIX"] == str(ctx.prefix)
    assert got["CONDA_DEFAULT_ENV"] == "example:gpu"
    assert got["PIXI_ENVIRONMENT_NAME"] == "gpu"
    assert got["PIXI_PROJECT_ROOT"] == str(tmp_path)
    assert got["PIXI_PROJECT_MANIFEST"] == str(tmp_path / "pixi.toml")
    assert got["PIXI_ENVIRONMENT_PLATFORMS"] == "linux-64,osx-arm64"
    assert got["PIXI_PROMPT"] == "(example:gpu) "


def test_manifest_env_wins_over_package_env(tmp_path):
    ctx = make_ctx(tmp_path, env={"FOO": "from-manifest"})
    env_d = ctx.prefix / "etc" / "conda" / "env_vars.d"
    env_d.mkdir(parents=True)
    (env_d / "pkg.json").write_text(json.dumps({"FOO": "from-package", "BAR": "1"}))
    got = activation_variables(ctx)
    assert got["FOO"] == "from-manifest" and got["BAR"] == "1"


def test_broken_package_env_file_is_a_clear_error(tmp_path):
    ctx = make_ctx(tmp_path)
    env_d = ctx.prefix / "etc" / "conda" / "env_vars.d"
    env_d.mkdir(parents=True)
    (env_d / "bad.json").write_text("{not json")
    with pytest.raises(ActivationError, match="bad.json"):
        activation_variables(ctx)


@pytest.mark.parametrize(
    "value, quoted",
    [("bar", "bar"), ("a b", "'a b'"), ("a\\b", '"a\\\\b"'), ("${UNEXPANDED_VAR}", '"${UNEXPANDED_VAR}"'), ("it's", "'it'\\''s'")],
)
def test_bash_quoting_matches_rattler_shapes(value, quoted):
    assert quote_bash(value) == quoted


def test_bash_quoting_round_trips_through_bash():
    for value in ["plain", "with space", "quote'single", 'quote"double', "back\\slash", "tab\there", "$HOME literal?"]:
        out = subprocess.run(["bash", "-c", f"X={quote_bash(value)}; printf %s \"$X\""], capture_output=True, text=True, env={"HOME": "/h"})
        expected = value.replace("$HOME", "/h")
        assert out.stdout == expected


def test_bash_hook_sourced_in_a_real_shell(tmp_path):
    ctx = make_ctx(tmp_path, env={"GREETING": "hello world"})
    script = ctx.prefix / "etc" / "conda" / "activate.d" / "01-set.sh"
    script.parent.mkdir(parents=True)
    script.write_text('export FROM_SCRIPT="ran:$CONDA_PREFIX"\n')
    hook = render_shell_hook(ctx, "bash")
    assert hook.splitlines()[0] == f'export PATH="{ctx.prefix}/bin:${{PATH}}"'
    out = subprocess.run(
        ["bash", "-c", hook + 'printf "%s|%s|%s|%s" "$GREETING" "$FROM_SCRIPT" "$CONDA_SHLVL" "${PATH%%:*}"'],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"hello world|ran:{ctx.prefix}|1|{ctx.prefix}/bin"


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_other_shells_render_every_variable(tmp_path, shell):
    ctx = make_ctx(tmp_path)
    hook = render_shell_hook(ctx, shell)
    for key in activation_variables(ctx):
        assert key in hook
    assert str(ctx.prefix / "bin") in hook.splitlines()[0]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_hook_runs_in_fish(tmp_path):
    ctx = make_ctx(tmp_path)
    out = subprocess.run(["fish", "-c", render_shell_hook(ctx, "fish") + "echo $CONDA_PREFIX"], capture_output=True, text=True)
    assert out.stdout.strip() == str(ctx.prefix)


def test_unknown_shell(tmp_path):
    with pytest.raises(ActivationError, match="unknown shell 'tcsh'"):
        render_shell_hook(make_ctx(tmp_path), "tcsh")


def test_activated_environment_runs_manifest_scripts(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "setup.sh").write_text("export MODEL_DIR=$PIXI_PROJECT_ROOT/models\n")
    ctx = make_ctx(tmp_path, scripts=("scripts/setup.sh",))
    env = activated_environment(ctx, {"PATH": "/usr/bin:/bin", "KEEP": "me"})
    assert env["MODEL_DIR"] == f"{tmp_path}/models"
    assert env["KEEP"] == "me"
    assert env["PATH"].split(os.pathsep)[0] == str(ctx.prefix / "bin")


def test_failing_or_missing_script_is_reported(tmp_path):
    (tmp_path / "bad.sh").write_text("echo broken >&2; return 3\n")
    with pytest.raises(ActivationError, match="exit code 3") as info:
        activated_environment(make_ctx(tmp_path, scripts=("bad.sh",)), {"PATH": "/usr/bin:/bin"})
    assert "broken" in info.value.details
    with pytest.raises(ActivationError, match="does not exist"):
        activated_environment(make_ctx(tmp_path / "x", scripts=("nope.sh",)), {"PATH": "/usr/bin:/bin"})


@pytest.mark.corpus
def test_rattler_prepend_snapshot_shape(corpus_dir, tmp_path):
    """rattler's bash activation prepends PATH and sources activate.d scripts with `. path`."""
    snap = (corpus_dir / "shell" / "rattler_shell__activation__tests__test_activation_script_bash_prepend.snap.txt").read_text()
    body = snap.split("---", 2)[2].strip().splitlines()
    assert body[0].startswith('export PATH="__PREFIX__/bin:') and body[0].endswith(':${PATH}"')
    ctx = make_ctx(tmp_path)
    script = ctx.prefix / "etc" / "conda" / "activate.d" / "script1.sh"
    script.parent.mkdir(parents=True)
    script.write_text("true\n")
    ours = render_shell_hook(ctx, "bash").replace(str(ctx.prefix), "__PREFIX__").splitlines()
    assert ours[0] == 'export PATH="__PREFIX__/bin:${PATH}"'
    assert "export CONDA_SHLVL=1" in ours and "export CONDA_PREFIX=__PREFIX__" in ours
    assert ours[-1] == body[-1] == ". __PREFIX__/etc/conda/activate.d/script1.sh"
