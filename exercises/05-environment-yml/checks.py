"""Checks for exercise 05: environment.yml exported from the example workspace."""

from hypothesis import given, strategies as st

from minipixi.errors import MinipixiError
from minipixi.teaching.checks.environments import (
    has_upper_bound, manifest_dependency_names, platforms_of, solved_versions,
)
from minipixi.teaching.checks.files import read_yaml
from minipixi.teaching.grade import CheckFailed, check, property_settings

TITLE = "An environment.yml for conda users"
PROPERTY = property_settings()


def environment_file(sub) -> dict:
    """The submission's environment.yml as a mapping with a name and a list of dependencies."""
    data = read_yaml(sub, "environment.yml")
    if not isinstance(data, dict):
        raise CheckFailed("environment.yml should be a mapping with keys such as name, channels, dependencies")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise CheckFailed("environment.yml has no name: conda needs one to create the environment")
    if not isinstance(data.get("dependencies"), list):
        raise CheckFailed("in environment.yml, dependencies should be a list of conda specs (lines starting with -)")
    return data


def channels(sub) -> list[str]:
    data = read_yaml(sub, "environment.yml")
    value = (data.get("channels") if isinstance(data, dict) else None) or []
    return [str(c).rstrip("/").rsplit("/", 1)[-1] for c in value] if isinstance(value, list) else []


def conda_specs(sub) -> dict:
    """{name: (entry as written, MatchSpec)} of the conda entries (a `pip:` mapping is skipped)."""
    from minipixi.matchspec import MatchSpec

    specs = {}
    for entry in environment_file(sub)["dependencies"]:
        if isinstance(entry, dict):
            continue
        try:
            spec = MatchSpec.parse(str(entry))
        except MinipixiError as err:
            raise CheckFailed(f"'{entry}' in environment.yml is not a conda spec: {err.message}") from err
        specs[spec.name] = (str(entry), spec)
    return specs


@check(points=1)
def check_valid_environment_file(sub):
    """environment.yml is YAML with a name and a list of dependencies."""
    environment_file(sub)


@check(points=1)
def check_conda_forge_channel(sub):
    """The channels include conda-forge."""
    if "conda-forge" not in channels(sub):
        raise CheckFailed("conda would not search conda-forge, where the workspace's packages come from: "
                          "look at the channels")


@check(points=1)
def check_every_dependency_listed(sub):
    """Every dependency of the default environment is listed."""
    specs = conda_specs(sub)
    for platform in platforms_of(sub, "default"):
        missing = [n for n in manifest_dependency_names(sub, "default", platform) if n not in specs]
        if missing:
            raise CheckFailed(f"environment.yml leaves out {', '.join(missing)}, which the workspace asks for")


@check(points=2)
def check_specs_accept_solved_versions(sub):
    """Each spec is a version range with an upper bound, and accepts what the workspace resolves
    to on every platform (its pixi.lock when submitted, else the teaching mirror's solve)."""
    specs = conda_specs(sub)
    platforms = platforms_of(sub, "default")

    @PROPERTY
    @given(st.sampled_from(platforms))
    def compatible_on(platform):
        records = solved_versions(sub, "default", platform)
        for name, (entry, spec) in specs.items():
            if name in records and not spec.matches(records[name]):
                raise CheckFailed(f"'{entry}' does not accept {name} {records[name].version}, which the workspace "
                                  f"uses on {platform}: compare the version ranges")

    compatible_on()
    asked = {name for platform in platforms for name in manifest_dependency_names(sub, "default", platform)}
    for name, (entry, spec) in specs.items():
        if name in asked and not has_upper_bound(spec):
            raise CheckFailed(f"'{entry}' lets conda pick any future version of {name}, which the workspace's "
                              "range excludes: give it a range with an upper bound, as pixi.toml does")


@check(points=1, hidden=True)
def check_no_default_channels(sub):
    """conda is told not to add Anaconda's default channels (nodefaults)."""
    if "nodefaults" not in channels(sub):
        raise CheckFailed("without nodefaults, conda also searches the channels of its own configuration")
