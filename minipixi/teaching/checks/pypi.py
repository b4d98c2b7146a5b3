"""Checks on PyPI dependencies: what a workspace asks PyPI for, and what a fresh lock gives it.

Exercise 15 mixes conda and PyPI. Its checks ask three questions, answered by minipixi itself:

- what does an environment ask PyPI for (`pypi_requirements`: the ``[pypi-dependencies]`` of
  its features, as `packaging` requirements, extras and markers included)?
- what does a fresh lock of the submission's pixi.toml hold (`fresh_lock`)? It is computed in
  memory, in a scratch copy (the submitted pixi.lock plays no part in it), offline: conda
  packages from the teaching channel, PyPI packages from the teaching index that offline mode
  puts in place of pypi.org (`config.py`). A submission that names another index is refused
  before anything is read: grading makes no request;
- which PyPI projects do the conda packages of a locked environment already provide
  (`conda_provided`: their ``pkg:pypi`` purls)?

Lesson: Episode 2 ("Mixing conda and PyPI packages"). Read after
`teaching/checks/environments.py`; read next `teaching/checks/tasks.py`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Mapping

from minipixi.app.project import Project
from minipixi.app.pypi_lock import BUILD_FORMS, pypi_settings
from minipixi.app.relock import compute_lock
from minipixi.config import PYPI_URL, Config
from minipixi.errors import MinipixiError
from minipixi.lock.model import lock_platform_names, normalize_pypi_name
from minipixi.lock.pypi_satisfiability import as_requirement, conda_as_pypi
from minipixi.manifest.parse import parse_manifest
from minipixi.teaching.checks.environments import require_environment
from minipixi.teaching.grade import CheckFailed, Submission


def pypi_requirements(sub: Submission, environment: str = "default") -> dict:
    """Normalized PyPI name -> `packaging` Requirement (None when it cannot be read as a
    version requirement: a path, a git URL...) of `environment` on its first platform."""
    require_environment(sub, environment)
    ws = sub.workspace()
    platform = next(iter(ws.environment_platforms(environment)), None)
    resolved = ws.resolve(environment, platform)
    found = {}
    for name, dependency in resolved.pypi_dependencies.items():
        raw = getattr(dependency, "requirement", dependency)
        try:
            requirement = as_requirement(name, dependency)
        except (MinipixiError, ValueError):
            requirement = None
        if isinstance(raw, Mapping) and any(key in raw for key in BUILD_FORMS):
            requirement = None  # a path, a URL, a git source: not asked of an index
        found[normalize_pypi_name(name)] = None if requirement is None or requirement.url else requirement
    return found


def require_pypi_org(sub: Submission, environment: str = "default") -> None:
    """CheckFailed when the environment resolves from an index other than PyPI itself: grading
    reads the teaching index in place of pypi.org, and nothing else."""
    try:
        indexes, _ = pypi_settings(sub.workspace(), environment)
    except MinipixiError as err:
        raise CheckFailed(f"the PyPI settings cannot be used: {err.message}") from err
    others = [i for i in indexes if i.rstrip("/") != PYPI_URL]
    if others:
        raise CheckFailed(f"environment '{environment}' takes PyPI packages from {others[0]}, which grading does not "
                          "read: the lesson's PyPI packages come from PyPI (https://pypi.org/simple)")


def fresh_lock(sub: Submission, environment: str = "default"):
    """The lock minipixi makes now for the submission's pixi.toml (cached per submission);
    CheckFailed with minipixi's message when it cannot be made."""
    if "fresh_lock" not in sub._cache:
        require_pypi_org(sub, environment)
        with tempfile.TemporaryDirectory(prefix="minipixi-grade-pypi-") as scratch:
            manifest = Path(scratch) / "pixi.toml"
            text = sub.read_text("pixi.toml")
            manifest.write_text(text, encoding="utf-8")
            try:
                project = Project(parse_manifest(text, manifest), Config(offline=True))
                sub._cache["fresh_lock"] = compute_lock(project, force=True).lock
            except MinipixiError as err:
                raise CheckFailed(f"pixi.toml cannot be locked: {err.message}"
                                  + (f" ({err.hint})" if err.hint else "")) from err
    return sub._cache["fresh_lock"]


def lock_name(sub: Submission, platform: str) -> str:
    """The name a lock gives a manifest platform."""
    return lock_platform_names(sub.workspace())[platform]


def pypi_entries(lock, environment: str, name: str) -> dict[str, tuple[str, str | None]]:
    """Normalized name -> (version, sha256) of the PyPI packages a lock has for one platform."""
    if environment not in lock.environments:
        return {}
    return {normalize_pypi_name(p.name): (p.version, p.sha256) for p in lock.environments[environment].pypi_packages(name)}


def conda_provided(lock, environment: str, name: str) -> dict[str, str]:
    """PyPI name -> the conda package that provides it, in one locked environment and platform."""
    if environment not in lock.environments:
        return {}
    return {pypi: conda for pypi, (conda, _) in conda_as_pypi(lock.environments[environment], name).items()}
