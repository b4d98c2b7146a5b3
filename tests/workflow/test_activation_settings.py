"""`run` honours the activation settings as Pixi documents them: [activation.env] wins over the
[activation] scripts (task env > activation env > activation scripts > the packages' scripts),
``$VAR`` in an [activation.env] value is expanded, and INIT_CWD is the folder `run` started in."""

from __future__ import annotations

import pytest

from minipixi.run.activation import ActivationContext, activated_environment, expand_references, render_shell_hook
from minipixi.cli import main
from sample_workspaces import EXAMPLE, write_manifest

ACTIVATION = """
[activation]
scripts = ["setup.sh"]

[activation.env]
FROM_BOTH = "the manifest's env"
GREETING = "hello from $PIXI_PROJECT_NAME"
WITH_PATH = "${PIXI_PROJECT_ROOT}/tools:$FROM_SCRIPT_ONLY"
"""


@pytest.fixture
def workspace(offline, tmp_path, monkeypatch):
    path = write_manifest(tmp_path / "example", EXAMPLE + ACTIVATION)
    (path.parent / "setup.sh").write_text('export FROM_BOTH="the script"\nexport FROM_SCRIPT_ONLY=script\n')
    (path.parent / "sub").mkdir()
    monkeypatch.chdir(path.parent / "sub")
    return path.parent


def test_run_sees_activation_env_over_scripts_expanded_and_init_cwd(workspace, capfd):
    code = "import os; print([os.environ[k] for k in ('FROM_BOTH', 'GREETING', 'WITH_PATH', 'INIT_CWD')])"
    assert main(["run", "python", "-c", code]) == 0
    out = capfd.readouterr().out
    name = "example"
    assert str(["the manifest's env", f"hello from {name}", f"{workspace}/tools:script", str(workspace / "sub")]) in out


def test_expansion_follows_the_shell(tmp_path):
    env = {"HOME": "/h"}
    assert expand_references({"A": "$HOME/x:${UNSET}", "B": "$A/y", "C": "$$ 5$ ${"}, env) == {
        "A": "/h/x:", "B": "/h/x:/y", "C": "$$ 5$ ${"}
    ctx = ActivationContext(prefix=tmp_path / "env", workspace_root=tmp_path, env={"A": "$HOME/a"}, scripts=("s.sh",))
    (tmp_path / "s.sh").write_text("export A=script\n")
    lines = render_shell_hook(ctx, "bash").splitlines()
    assert lines[-2:][1] == 'export A="$HOME/a"' and lines[-2].endswith("s.sh")  # after the script, the shell expands
    assert activated_environment(ctx, base={"HOME": "/h", "PATH": "/usr/bin:/bin"})["A"] == "/h/a"
