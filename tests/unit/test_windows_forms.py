"""The Windows forms, checked through their pure parts (no Windows machine here).

- `shell-hook -s cmd`: a batch file of ``@SET "NAME=value"`` lines; ``%`` doubled, a value that
  cmd.exe cannot hold (a double quote, a line break) refused with one clear error; package
  ``.bat`` scripts ``@CALL``ed. `shell-hook -s powershell`: ``$Env:`` lines, ``'`` doubled.
- the command line that runs activation scripts on Windows (cmd.exe ``call`` ... ``&& set``);
- global-tool launchers: ``bin/<command>.cmd`` with the Windows program folders on PATH,
  arguments passed on, exit code kept; the program found as ``.exe``/``.bat``/``.cmd``;
- the CLI accepts ``-s cmd``.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from minipixi.app import global_tools
from minipixi.run.activation import ActivationContext, render_shell_hook, script_runner
from minipixi.errors import ActivationError, InstallError


def win_ctx(tmp_path: Path, **kw) -> ActivationContext:
    prefix = tmp_path / "ws" / ".pixi" / "envs" / "default"
    (prefix / "conda-meta").mkdir(parents=True)
    return ActivationContext(prefix=prefix, platform="win-64", workspace_root=tmp_path / "ws",
                             workspace_name="example", platforms=("win-64",), **kw)


def test_cmd_hook_is_a_batch_file_of_set_lines(tmp_path):
    ctx = win_ctx(tmp_path, env={"GREETING": "50% & more | <x> ^y"})
    scripts = ctx.prefix / "etc" / "conda" / "activate.d"
    scripts.mkdir(parents=True)
    (scripts / "cuda.bat").write_text("@SET CUDA_HOME=%CONDA_PREFIX%\r\n")
    (scripts / "cuda.sh").write_text("export CUDA_HOME=$CONDA_PREFIX\n")
    lines = render_shell_hook(ctx, "cmd").splitlines()
    entries = [str(ctx.prefix / p) if p else str(ctx.prefix)
               for p in ("", "Library/mingw-w64/bin", "Library/usr/bin", "Library/bin", "Scripts", "bin")]
    assert lines[0] == f'@SET "PATH={";".join(entries)};%PATH%"'
    assert f'@SET "CONDA_PREFIX={ctx.prefix}"' in lines
    assert '@SET "CONDA_DEFAULT_ENV=example"' in lines
    assert '@SET "GREETING=50%% & more | <x> ^y"' in lines  # % doubled, the rest literal in quotes
    assert lines[-2] == f'@CALL "{scripts / "cuda.bat"}"'  # the .bat script, not the .sh one
    assert lines[-1] == '@SET "GREETING=50%% & more | <x> ^y"'  # [activation.env] after the scripts
    assert all(line.startswith("@") for line in lines)


@pytest.mark.parametrize("value", ['say "hi"', "two\nlines", "cr\rhere"])
def test_cmd_hook_refuses_what_cmd_cannot_hold(tmp_path, value):
    with pytest.raises(ActivationError, match="cannot be written for cmd.exe") as info:
        render_shell_hook(win_ctx(tmp_path, env={"BAD": value}), "cmd")
    assert "powershell" in info.value.hint


def test_powershell_hook_quotes_literally(tmp_path):
    ctx = win_ctx(tmp_path, env={"QUOTE": "it's $(Get-Date) `n"})
    scripts = ctx.prefix / "etc" / "conda" / "activate.d"
    scripts.mkdir(parents=True)
    (scripts / "x.ps1").write_text("$Env:X = 1\n")
    lines = render_shell_hook(ctx, "powershell").splitlines()
    assert lines[0].startswith("$Env:PATH = '") and lines[0].endswith("' + ';' + $Env:PATH")
    assert str(ctx.prefix / "Scripts") in lines[0]
    assert "$Env:QUOTE = 'it''s $(Get-Date) `n'" in lines
    assert lines[-2:] == [f". '{scripts / 'x.ps1'}'", "$Env:QUOTE = 'it''s $(Get-Date) `n'"]  # env wins


def test_scripts_run_through_cmd_on_windows():
    scripts = [PureWindowsPath(r"C:\ws\.pixi\envs\default\etc\conda\activate.d\a.bat"),
               PureWindowsPath(r"C:\ws\setup.bat")]
    command, separator = script_runner(scripts, system="nt")
    assert command == (r'cmd.exe /d /s /c "call "C:\ws\.pixi\envs\default\etc\conda\activate.d\a.bat"'
                       r' && call "C:\ws\setup.bat" && set"')
    assert separator == "\r\n"
    argv, separator = script_runner([Path("/ws/setup.sh")], system="posix")
    assert argv[:2] == ["bash", "-c"] and argv[2].endswith("env -0\n") and separator == "\0"


def test_windows_launcher_is_a_cmd_file(tmp_path):
    prefix = tmp_path / "home" / "envs" / "bat"
    program = prefix / "Library" / "bin" / "bat.exe"
    text = global_tools.launcher_text(program, prefix, "bat", system="nt")
    lines = text.split("\r\n")
    assert lines[0] == "@echo off"
    assert lines[1] == "rem minipixi global: runs bat.exe from the 'bat' environment"
    assert lines[3] == f'set "PATH={prefix};{prefix / "Library/mingw-w64/bin"};{prefix / "Library/usr/bin"};' \
        f'{prefix / "Library/bin"};{prefix / "Scripts"};{prefix / "bin"};%PATH%"'
    assert lines[5] == f'"{program}" %*'  # every argument passed on
    assert lines[6] == "exit /b %ERRORLEVEL%" and text.endswith("\r\n")
    posix = global_tools.launcher_text(prefix / "bin" / "bat", prefix, "bat", system="posix")
    assert posix.splitlines()[0] == "#!/bin/sh" and posix.splitlines()[-1] == f'exec "{prefix / "bin" / "bat"}" "$@"'


def test_windows_launcher_refuses_a_path_cmd_would_misread(tmp_path):
    prefix = tmp_path / "100%" / "envs" / "bat"
    with pytest.raises(InstallError, match="Windows launcher"):
        global_tools.launcher_text(prefix / "bat.exe", prefix, "bat", system="nt")


def test_launcher_names_and_owner(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    assert global_tools.launcher_path("bat", system="nt").name == "bat.cmd"
    assert global_tools.launcher_path("bat", system="posix").name == "bat"
    launcher = tmp_path / "bat.cmd"
    launcher.write_text(global_tools.launcher_text(tmp_path / "bat.exe", tmp_path, "bat", system="nt"))
    assert global_tools._launcher_owner(launcher) == "bat"


def test_windows_programs_are_found_in_the_windows_folders(tmp_path):
    files = [Path(p) for p in ("python.exe", "Scripts/jupyter.exe", "Scripts/jupyter-script.py",
                               "Library/bin/bat.cmd", "Library/bin/zlib.dll", "bin/tool.bat", "lib/x.exe")]
    assert global_tools.programs_in(files, system="nt") == ["bat", "jupyter", "python", "tool"]
    assert global_tools.programs_in([Path("bin/bat"), Path("lib/x")], system="posix") == ["bat"]
    (tmp_path / "Scripts").mkdir()
    (tmp_path / "Scripts" / "jupyter.exe").write_bytes(b"MZ")
    assert global_tools.program_path(tmp_path, "jupyter", system="nt") == tmp_path / "Scripts" / "jupyter.exe"


def test_cli_offers_cmd_for_shell_hook():
    from minipixi.cli import build_parser

    args = build_parser().parse_args(["shell-hook", "-s", "cmd"])
    assert args.shell == "cmd"


def test_global_update_writes_cmd_launchers_for_a_windows_environment(offline, tmp_path, monkeypatch, capsys):
    """The real flow with Windows' rules: a global manifest whose environment is for win-64
    (its packages ship Library/bin/bat.cmd), synced as minipixi would on Windows."""
    from minipixi.cli import main

    monkeypatch.setattr(global_tools, "_system", lambda system=None: "nt" if system in (None, "nt") else "posix")
    manifest = tmp_path / "home" / "manifests" / "pixi-global.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('version = 1\n\n[envs.bat]\nchannels = ["conda-forge"]\nplatform = "win-64"\n'
                        'dependencies = { bat = "*" }\nexposed = { bat = "bat", cat2 = "bat" }\n')
    assert main(["global", "update"]) == 0, capsys.readouterr().err
    bin_dir = tmp_path / "home" / "bin"
    assert sorted(p.name for p in bin_dir.iterdir()) == ["bat.cmd", "cat2.cmd"]
    prefix = tmp_path / "home" / "envs" / "bat"
    text = (bin_dir / "bat.cmd").read_bytes().decode()
    assert text.startswith("@echo off\r\nrem minipixi global: runs bat.cmd from the 'bat' environment\r\n")
    assert f'\r\ncall "{prefix / "Library" / "bin" / "bat.cmd"}" %*\r\n' in text  # a batch program is called
    # exposing fewer commands removes the launcher this environment no longer exposes
    manifest.write_text(manifest.read_text().replace(", cat2 = \"bat\"", ""))
    assert main(["global", "update"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in bin_dir.iterdir()) == ["bat.cmd"]
