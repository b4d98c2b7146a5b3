"""Checks for exercise 15: a PyPI package on top of conda's Python, nothing installed twice."""

from hypothesis import given, strategies as st

from minipixi.lock.model import normalize_pypi_name
from minipixi.teaching.checks.environments import manifest_dependency_names, platforms_of, submitted_lock
from minipixi.teaching.checks.pypi import (
    conda_provided, fresh_lock, lock_name, pypi_entries, pypi_requirements,
)
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "A PyPI package next to conda ones"
PROPERTY = property_settings()
WANTED = "tinyconfig"
EXTRA = "units"


@check(points=1)
def check_asks_pypi_for_tinyconfig_with_units(sub):
    """The default environment asks PyPI for tinyconfig, by version, with its `units` extra."""
    requirements = pypi_requirements(sub)
    if WANTED not in requirements:
        raise CheckFailed("the default environment asks PyPI for no tinyconfig: which table holds PyPI packages?")
    requirement = requirements[WANTED]
    if requirement is None:
        raise CheckFailed("tinyconfig is not given by a version (a path, a URL or a git source needs a build): "
                          "ask the index for it, with a version range")
    if EXTRA not in {normalize_pypi_name(e) for e in requirement.extras}:
        raise CheckFailed("tinyconfig is asked for without the extra that brings unit conversions: "
                          "look at how an extra is written in [pypi-dependencies]")


@check(points=1)
def check_nothing_asked_twice(sub):
    """PyPI is not asked for a package that a conda package of the environment already provides."""
    requirements = pypi_requirements(sub)
    if not requirements:
        return
    lock = fresh_lock(sub)
    for platform in platforms_of(sub):
        provided = conda_provided(lock, "default", lock_name(sub, platform))
        twice = sorted(name for name in requirements if name in provided)
        if twice:
            raise CheckFailed(f"PyPI is asked for {twice[0]}, which the conda package {provided[twice[0]]} already "
                              "provides: one package, one package manager")


@check(points=2)
def check_resolves_on_every_platform(sub):
    """On every platform of the default environment, a fresh lock puts tinyconfig and what it
    needs from PyPI on top of conda's Python, and platformdirs comes from conda only."""
    lock = fresh_lock(sub)

    @PROPERTY
    @given(st.sampled_from(platforms_of(sub)))
    def mixed_on(platform):
        name = lock_name(sub, platform)
        from_pypi = pypi_entries(lock, "default", name)
        provided = conda_provided(lock, "default", name)
        if WANTED not in from_pypi:
            raise CheckFailed(f"on {platform} no tinyconfig is installed from PyPI")
        if "platformdirs" in from_pypi or "platformdirs" not in provided:
            raise CheckFailed(f"on {platform} platformdirs comes from PyPI, not from conda: keep conda's")

    mixed_on()


@check(points=2)
def check_lock_agrees(sub):
    """The submitted pixi.lock locks tinyconfig from PyPI, and its PyPI packages (names,
    versions, hashes) are exactly those of a fresh lock, on every platform."""
    submitted = submitted_lock(sub)
    if submitted is None:
        raise CheckFailed("there is no pixi.lock: run `minipixi lock` and submit it with pixi.toml")
    fresh = fresh_lock(sub)

    @PROPERTY
    @given(st.sampled_from(platforms_of(sub)))
    def agrees_on(platform):
        name = lock_name(sub, platform)
        theirs, ours = pypi_entries(submitted, "default", name), pypi_entries(fresh, "default", name)
        if WANTED not in theirs:
            raise CheckFailed(f"pixi.lock has no tinyconfig from PyPI on {platform}: lock again after adding it")
        for project in sorted(set(theirs) | set(ours)):
            if theirs.get(project) != ours.get(project):
                raise CheckFailed(f"pixi.lock's PyPI package {project} on {platform} is not what a fresh lock gives "
                                  f"({theirs.get(project, ('absent',))[0]} instead of {ours.get(project, ('absent',))[0]}): "
                                  "run `minipixi lock` again and submit the new lock")

    agrees_on()


@check(points=1, hidden=True)
def check_conda_keeps_python_and_platformdirs(sub):
    """python and platformdirs are still conda dependencies of the default environment."""
    for platform in platforms_of(sub):
        missing = [n for n in ("python", "platformdirs") if n not in manifest_dependency_names(sub, "default", platform)]
        if missing:
            raise CheckFailed(f"{missing[0]} is no longer a conda dependency on {platform}: PyPI packages go on top of "
                              "conda's, they do not replace them")
