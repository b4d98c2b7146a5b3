"""Checks: the properties exercises are graded on, written once and shared by every exercise.

Each function looks at a learner's `Submission` (see `grade.py`) and raises `CheckFailed` with
feedback that points at the problem without giving the answer. They ask minipixi itself:
solve an environment on the teaching channel, plan a task graph, read a Dockerfile's
instructions, parse an HTCondor submit description. So a correct answer passes however it
is written (any order, any quoting, old or new manifest forms).

Lesson: the challenges of every episode. Read after `grade.py`.
"""

from __future__ import annotations

import re
import shlex

from minipixi.errors import MinipixiError
from minipixi.grade import CheckFailed, Submission


# ---- manifest and solving ----------------------------------------------------------------------

def environment_names(sub: Submission) -> list[str]:
    return list(sub.workspace().environments)


def require_environment(sub: Submission, name: str):
    ws = sub.workspace()
    if name not in ws.environments:
        have = ", ".join(ws.environments)
        raise CheckFailed(f"pixi.toml has no environment called '{name}' (it has: {have}); look at [environments]")
    return ws.environments[name]


def platforms_of(sub: Submission, environment: str = "default") -> list[str]:
    """Platform entry names of an environment."""
    require_environment(sub, environment)
    return list(sub.workspace().environment_platforms(environment))


def subdir_of(sub: Submission, platform: str) -> str:
    return sub.workspace().platform(platform).subdir


def solve(sub: Submission, environment: str, platform: str, *, cuda: str | None = "declared"):
    """Records of `environment` on `platform`, solved on the teaching channel.

    `cuda`: "declared" uses what the manifest declares; None removes ``__cuda``; a version
    string replaces it (a machine with that driver). Raises CheckFailed when unsolvable.
    """
    from minipixi.manifest import require_conda_only
    from minipixi.solver import SolveTask, solve as run_solver
    from minipixi.virtual_packages import default_virtual_packages
    from minipixi.workspace import load_sources

    project = sub.project()
    resolved = project.workspace.resolve(environment, platform)
    require_conda_only(resolved, project.workspace)
    options = resolved.virtual_package_options()
    if cuda != "declared":
        options["cuda"] = cuda
    task = SolveTask(specs=list(resolved.specs.values()),
                     sources=load_sources(project, resolved.channels, resolved.subdir),
                     virtual_packages=default_virtual_packages(resolved.subdir, **options),
                     constraints=list(resolved.constraint_specs.values()), platform=resolved.subdir,
                     label=f"environment '{environment}'")
    try:
        return run_solver(task)
    except MinipixiError as err:
        raise CheckFailed(f"environment '{environment}' cannot be solved for {platform}: "
                          f"{err.message}\n{err.details or ''}".rstrip()) from err


def solve_error(sub: Submission, environment: str, platform: str, *, cuda: str | None) -> MinipixiError | None:
    """The solver's error for this machine, or None when it solves."""
    try:
        solve(sub, environment, platform, cuda=cuda)
    except CheckFailed as failed:
        return failed.__cause__ if isinstance(failed.__cause__, MinipixiError) else MinipixiError(failed.feedback)
    return None


def is_cuda_build(record) -> bool:
    """A record built for CUDA: its build string says so, or it needs ``__cuda``."""
    return record.build.startswith("cuda") or any(d.split()[0] == "__cuda" for d in record.depends)


def declared_cuda(sub: Submission, environment: str, platform: str) -> str | None:
    return sub.workspace().resolve(environment, platform).virtual_packages.get("__cuda")


def task_plan(sub: Submission, environment: str, task: str) -> list[str]:
    """Task names in the order `minipixi run task` would run them (CheckFailed on cycles)."""
    from minipixi.manifest.edit import list_tasks
    from minipixi.tasks import plan_tasks

    tasks = list_tasks(sub.workspace(), environment)
    if task not in tasks:
        raise CheckFailed(f"there is no task called '{task}' in environment '{environment}'; look at [tasks]")
    try:
        return [name for name, _ in plan_tasks(tasks, task)]
    except MinipixiError as err:
        raise CheckFailed(err.message) from err


def task_command(sub: Submission, environment: str, task: str) -> list[str]:
    """The words of a task's command (empty for a task that only has dependencies)."""
    from minipixi.manifest.edit import list_tasks

    cmd = list_tasks(sub.workspace(), environment)[task].cmd
    if cmd is None:
        return []
    text = " ".join(cmd) if isinstance(cmd, tuple) else cmd
    try:
        return shlex.split(text)
    except ValueError as err:
        raise CheckFailed(f"the command of task '{task}' has unbalanced quotes") from err


# ---- container and job files ---------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        joined.append(current + stripped)
        current = ""
    if current:
        joined.append(current)
    pairs = []
    for line in joined:
        word, _, rest = line.partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def installed_environments(commands: str) -> list[tuple[str, bool]]:
    """(environment, locked?) for each `pixi/minipixi install` in shell text."""
    found = []
    for match in re.finditer(r"\b(?:pixi|minipixi)\s+install\b([^\n;&|]*)", commands):
        words = match.group(1).split()
        env = "default"
        for i, word in enumerate(words):
            if word in ("-e", "--environment") and i + 1 < len(words):
                env = words[i + 1]
            elif word.startswith("--environment="):
                env = word.split("=", 1)[1]
        found.append((env, "--locked" in words or "--frozen" in words))
    return found


def sets_cuda_override(text: str) -> str | None:
    """The value CONDA_OVERRIDE_CUDA is set to (ENV, export or inline), or None."""
    match = re.search(r"CONDA_OVERRIDE_CUDA\s*[= ]\s*[\"']?([0-9][0-9.]*)", text)
    return match.group(1) if match else None


def parse_submit_description(text: str) -> dict[str, str]:
    """An HTCondor submit description as {lowercase key: value}: with HTCondor's own parser
    (PyPI `htcondor`) when it is installed, else a careful reading of `key = value` lines."""
    try:
        import htcondor2

        try:
            return {k.lower(): str(v) for k, v in dict(htcondor2.Submit(text).items()).items()}
        except Exception as err:  # noqa: BLE001 - the bindings raise several kinds
            raise CheckFailed(f"HTCondor cannot parse the submit file: {err}") from err
    except ImportError:
        values = {}
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line and not line.lower().startswith("queue"):
                key, _, value = line.partition("=")
                values[key.strip().lower()] = value.strip()
        return values


def queue_count(text: str) -> int | None:
    match = re.search(r"^\s*queue(?:\s+(\d+))?\b", text, re.IGNORECASE | re.MULTILINE)
    if not match:
        return None
    return int(match.group(1) or 1)


def bash_syntax_ok(sub: Submission, relative: str) -> None:
    """`bash -n` on a script of the submission (with a time limit)."""
    import subprocess

    path = sub.path(relative)
    sub.read_text(relative)
    try:
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired as err:
        raise CheckFailed(f"checking {relative} with bash -n took too long") from err
    if proc.returncode != 0:
        first = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "a syntax error"
        raise CheckFailed(f"{relative} is not valid bash: {first}")
