"""The shared checks (minipixi/teaching/checks/) and readers of learner files
(minipixi/teaching/reading/) read every equivalent way of writing a thing the same way (quoting,
short and long options, ENV forms, list commands), and refuse look-alikes."""

from __future__ import annotations

import pytest

from minipixi.teaching.checks.global_tools import read_global_manifest
from minipixi.teaching.checks.tasks import starts_jupyterlab
from minipixi.teaching.grade import CheckFailed, Submission
from minipixi.teaching.reading.apptainer import apptainer_stages
from minipixi.teaching.reading.batch import is_placeholder, sbatch_directives, script_reads, slurm_time_ok
from minipixi.teaching.reading.dockerfile import dockerfile_stages
from minipixi.teaching.reading.pixi_calls import (
    installed_environments, run_environment, sets_cuda_override, shell_hook_environment,
)
from minipixi.teaching.reading.submit import transferred
from minipixi.teaching.reading.workflow import workflow_triggers


@pytest.mark.parametrize("command, expected", [
    ("jupyter lab", True), ("jupyter-lab", True), ("jupyter lab --no-browser", True),
    ("python -m jupyterlab", True), ("/opt/env/bin/jupyter lab", True),
    ("cd notebooks && jupyter lab", True), ("PORT=1 jupyter-lab", True), ("jupyter lab || true", True),
    ("jupyter notebook", False), ("echo jupyter lab", False), ("jupyter", False),
    # look-alikes: the words are there, but a run never starts JupyterLab
    ("true || jupyter lab", False), ("false && jupyter lab", False), ("exit 0; jupyter lab", False),
    ("echo 'jupyter lab'", False), ("jupyter lab --version", False), ("jupyter lab --help", False),
])
def test_starts_jupyterlab(command, expected):
    assert starts_jupyterlab(command) is expected


@pytest.mark.parametrize("text, expected", [
    ("CONDA_OVERRIDE_CUDA=12 pixi install", "12"), ("export CONDA_OVERRIDE_CUDA='12.0'", "12.0"),
    ("CONDA_OVERRIDE_CUDA=12.4; pixi install", "12.4"), ("echo CONDA_OVERRIDE_CUDA=12", None),
    ("false && export CONDA_OVERRIDE_CUDA=12", None), ("OTHER=1", None),
])
def test_sets_cuda_override(text, expected):
    assert sets_cuda_override(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("pixi install --locked -e gpu", [("gpu", True)]),
    ("minipixi install --environment=gpu --frozen", [("gpu", True)]),
    ("pixi install --environment gpu", [("gpu", False)]),
    ("pixi install --locked", [("default", True)]),
    ("pixi install --all --locked", [("*", True)]),
    ("pixi install -e cpu --locked && pixi install -e gpu --locked", [("cpu", True), ("gpu", True)]),
    ("exec /usr/local/bin/pixi install -e gpu --locked", [("gpu", True)]),
    ("echo 'pixi install -e gpu --locked'", []), ("true || pixi install -e gpu", []),
    ("if false; then pixi install -e gpu; fi", []),
])
def test_installed_environments(text, expected):
    assert installed_environments(text) == expected


@pytest.mark.parametrize("text, expected", [
    ('eval "$(pixi shell-hook -e gpu)"', "gpu"), ("pixi shell-hook --environment=gpu --shell bash > x", "gpu"),
    ("minipixi shell-hook", "default"), ("echo hello", None), ("echo 'pixi shell-hook -e gpu'", None),
])
def test_shell_hook_environment(text, expected):
    assert shell_hook_environment(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("pixi run -e gpu python x.py", "gpu"), ("pixi run --manifest-path a/pixi.toml --environment gpu x", "gpu"),
    ("pixi run python -e x", "default"), ("srun true", None), ("srun -n 1 pixi run -e gpu x", "gpu"),
    ('echo "pixi run -e gpu"', None), ("exit 0\npixi run -e gpu python", None),
])
def test_run_environment(text, expected):
    assert run_environment(text) == expected


def test_dockerfile_stages_name_unnamed_stages_by_index():
    stages = dockerfile_stages("FROM a AS build\nRUN x \\\n  y\nfrom b\nCOPY --from=build /a /b\n")
    assert [name for name, _ in stages] == ["build", "1"]
    assert [word for word, _ in stages[0][1]] == ["RUN"] and stages[0][1][0][1].split() == ["x", "y"]


def test_apptainer_stages_keep_headers_sections_and_from_arguments():
    text = ("Bootstrap: docker\nFrom: a\nStage: build\n%post\n    pixi install\n\n"
            "Bootstrap: docker\nFrom: b\n%files from build\n    /a /a\n%runscript\n    run\n")
    first, final = apptainer_stages(text)
    assert first["header"] == {"bootstrap": "docker", "from": "a", "stage": "build"}
    assert "pixi install" in first["sections"]["post"][1]
    assert final["sections"]["files"][0] == "from build" and "run" in final["sections"]["runscript"][1]


def test_sbatch_directives_read_short_and_long_forms_until_the_first_command():
    text = "#!/bin/bash\n#SBATCH -p gpu\n#SBATCH --account=ml\n#SBATCH -C 'a100'\n\necho hi\n#SBATCH --time=1:00\n"
    assert sbatch_directives(text) == {"partition": "gpu", "account": "ml", "constraint": "a100"}


@pytest.mark.parametrize("value, expected", [
    ("<partition>", True), ("", True), ("CHANGEME", True), ("{account}", True), ("gpu", False), ("a100|h100", False),
])
def test_is_placeholder(value, expected):
    assert is_placeholder(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("60", True), ("01:00:00", True), ("2-00:00", True), ("1-12", True), ("UNLIMITED", True),
    ("1h", False), ("1:2:3:4", False), ("", False),
])
def test_slurm_time_ok(value, expected):
    assert slurm_time_ok(value) is expected


def test_script_reads_finds_archives_scripts_tests_and_redirects():
    text = ("tar -xzf data.tar.gz\ntar xf more.tar\npython ./src/train.py\n[ -f config.yaml ]\n"
            "test -e \"$HOME/x\"\ncat < in.txt\n. <(sed '$d' /app/entrypoint.sh)\n# python ignored.py\n"
            "tar -x -z -f split.tar.gz\ntar --extract --file=long.tgz -C out\ntar -czf made.tgz results\n")
    assert script_reads(text) == ["data.tar.gz", "more.tar", "src/train.py", "config.yaml", "in.txt",
                                  "split.tar.gz", "long.tgz"]


@pytest.mark.parametrize("path, entries, expected", [
    ("src/train.py", ["src"], True), ("src/train.py", ["./src/"], True), ("src/train.py", ["src/train.py"], True),
    ("data.tar.gz", ["inputs/data.tar.gz"], True), ("data.tar.gz", ["src"], False),
    ("src/train.py", ["src/other.py"], False),
])
def test_transferred(path, entries, expected):
    assert transferred(path, entries) is expected


@pytest.mark.parametrize("data, expected", [
    ({True: {"push": None}}, {"push": None}), ({"on": "push"}, {"push": None}),
    ({"on": ["push", "pull_request"]}, {"push": None, "pull_request": None}), ({"jobs": {}}, {}),
])
def test_workflow_triggers_read_every_form_of_on(data, expected):
    assert workflow_triggers(data) == expected


GLOBAL_FORMS = [
    'version = 1\n[envs.bat]\nchannels = ["conda-forge"]\ndependencies = { bat = "*" }\nexposed = { bat = "bat" }\n',
    '[envs.bat]\nchannels = [{ channel = "conda-forge", priority = 1 }]\n'
    '[envs.bat.dependencies]\nbat = { version = "*" }\n[envs.bat.exposed]\n"bat" = "bat"\n',
    "[envs]\nbat = { channels = ['conda-forge'], dependencies = { bat = '*' }, exposed = { bat = 'bat' } }\n",
]


@pytest.mark.parametrize("text", GLOBAL_FORMS)
def test_read_global_manifest_reads_every_form_alike(text, tmp_path):
    (tmp_path / "pixi-global.toml").write_text(text)
    env = read_global_manifest(Submission(tmp_path, tmp_path))["bat"]
    assert (env.channels, [d.matchspec_text() for d in env.dependencies], env.exposed) == (
        ("conda-forge",), ["bat"], {"bat": "bat"})


@pytest.mark.parametrize("text, fragment", [
    ('[envs.bat]\nchannels = ["conda-forge"]\ndependencies = { bat = "*" }\nexpose = { bat = "bat" }\n',
     "pixi-global.toml:4:1: unexpected key 'expose' in [envs.bat] (did you mean 'exposed'?)"),
    ('[envs.bat]\nchannels = ["conda-forge"]\ndependencies = { bat = "*" }\nexposed = { bat = "bin/bat" }\n',
     "must be a plain file name"),
    ('[envs.a]\nchannels = ["c"]\ndependencies = { a = "*" }\nexposed = { x = "a" }\n'
     '[envs.b]\nchannels = ["c"]\ndependencies = { b = "*" }\nexposed = { x = "b" }\n',
     "the command 'x' is exposed by both 'a' and 'b'"),
    ('[envs."../up"]\nchannels = ["c"]\ndependencies = { a = "*" }\n', "not a valid name for a global environment"),
    ("version = 2\n", "version 2 of the global manifest is not supported"),
])
def test_read_global_manifest_refuses_look_alikes_at_their_line(text, fragment, tmp_path):
    (tmp_path / "pixi-global.toml").write_text(text)
    with pytest.raises(CheckFailed) as failed:
        read_global_manifest(Submission(tmp_path, tmp_path))
    assert fragment in failed.value.feedback
