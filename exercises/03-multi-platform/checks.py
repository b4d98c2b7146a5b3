"""Checks for exercise 03: the default environment on linux-64, osx-arm64 and win-64."""

from hypothesis import given, strategies as st

from minipixi.teaching.checks.environments import (
    environment_records, manifest_dependency_names, platforms_of, subdir_of,
)
from minipixi.teaching.checks.tasks import all_tasks
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "One workspace, three operating systems"
PROPERTY = property_settings()
WANTED = ("linux-64", "osx-arm64", "win-64")


@check(points=1)
def check_lists_the_platforms(sub):
    """The workspace lists linux-64, osx-arm64 and win-64 (plain or rich entries)."""
    subdirs = {subdir_of(sub, p) for p in platforms_of(sub, "default")}
    missing = [p for p in WANTED if p not in subdirs]
    if missing:
        raise CheckFailed(f"the default environment is not available on {', '.join(missing)}; "
                          "look at the workspace's platforms (are the names spelled as conda spells them?)")


@check(points=3)
def check_solves_on_each_platform(sub):
    """On each of linux-64, osx-arm64 and win-64 the default environment has a platform, and on
    every platform it lists it solves with every package it asks for (the property the exercise
    is about: one environment that works on three operating systems)."""
    platforms = platforms_of(sub, "default")

    @PROPERTY
    @given(st.sampled_from(platforms))
    def solves_on(platform):
        names = {record.name for record in environment_records(sub, "default", platform)}
        missing = [n for n in manifest_dependency_names(sub, "default", platform) if n not in names]
        if missing:
            raise CheckFailed(f"on {platform} the environment lacks {', '.join(missing)}")

    solves_on()
    subdirs = {subdir_of(sub, p) for p in platforms}
    absent = [wanted for wanted in WANTED if wanted not in subdirs]
    if absent:
        raise CheckFailed(f"the default environment cannot be installed on {', '.join(absent)}: it is not solved "
                          "for that platform at all")


@check(points=1, hidden=True)
def check_tasks_kept(sub):
    """The lab and start tasks are still there."""
    missing = [name for name in ("lab", "start") if name not in all_tasks(sub)]
    if missing:
        raise CheckFailed(f"the task(s) {', '.join(missing)} went missing while editing the manifest")
