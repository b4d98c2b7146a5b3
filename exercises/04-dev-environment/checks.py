"""Checks for exercise 04: a `dev` feature and environment with pre-commit."""

from hypothesis import given, strategies as st

from minipixi.teaching.checks.environments import (
    environment_records, manifest_dependency_names, platforms_of, require_environment, subdir_of,
)
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "A development environment"
PROPERTY = property_settings()


@check(points=1)
def check_dev_feature(sub):
    """A feature called `dev` asks for pre-commit."""
    feature = sub.workspace().features.get("dev")
    if feature is None:
        raise CheckFailed("there is no feature called 'dev'; look for [feature.<name>...] tables")
    targets = [feature.default, *feature.targets.values()]
    if not any("pre-commit" in target.dependencies for target in targets):
        raise CheckFailed("the dev feature does not ask for pre-commit")


@check(points=1)
def check_dev_environment(sub):
    """An environment called `dev` uses the dev feature."""
    environment = require_environment(sub, "dev")
    if "dev" not in environment.features:
        raise CheckFailed("the dev environment does not list the dev feature")


@check(points=1)
def check_default_without_pre_commit(sub):
    """On every platform, the default environment solves without pre-commit."""
    for platform in platforms_of(sub, "default"):
        if "pre-commit" in {r.name for r in environment_records(sub, "default", platform)}:
            raise CheckFailed(f"the default environment gets pre-commit on {platform}: where did you add it?")


@check(points=2)
def check_dev_solves_with_pre_commit(sub):
    """The dev environment is available on every platform the default environment has (a
    developer may be on any of them), and on each it solves and holds pre-commit."""
    platforms = platforms_of(sub, "dev")
    have = {subdir_of(sub, p) for p in platforms}
    lacking = sorted({subdir_of(sub, p) for p in platforms_of(sub, "default")} - have)
    if lacking:
        raise CheckFailed(f"the dev environment is not available on {', '.join(lacking)}, where the default "
                          "environment is: what limits its platforms?")

    @PROPERTY
    @given(st.sampled_from(platforms))
    def solves_on(platform):
        if "pre-commit" not in {r.name for r in environment_records(sub, "dev", platform)}:
            raise CheckFailed(f"the dev environment on {platform} has no pre-commit")

    solves_on()


@check(points=1, hidden=True)
def check_dev_keeps_default_packages(sub):
    """The dev environment has everything the default environment asks for."""
    for platform in platforms_of(sub, "dev"):
        wanted = set(manifest_dependency_names(sub, "default", platform))
        missing = sorted(wanted - set(manifest_dependency_names(sub, "dev", platform)))
        if missing:
            raise CheckFailed(f"the dev environment on {platform} lacks {', '.join(missing)}, which the default "
                              "environment has: what did the environment leave out?")
