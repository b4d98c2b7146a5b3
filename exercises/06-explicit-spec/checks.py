"""Checks for exercise 06: one explicit spec file per platform of the default environment."""

import re

from minipixi.teaching.checks.environments import platforms_of, solved_versions, subdir_of
from minipixi.teaching.checks.files import find_files, read_explicit_spec
from minipixi.teaching.grade import CheckFailed, check

TITLE = "Explicit spec files"
NAME = re.compile(r"(?P<environment>.+)_(?P<platform>[a-z0-9]+-[a-z0-9]+)_conda_spec\.txt")
MD5 = re.compile(r"[0-9a-f]{32}")


def spec_files(sub) -> dict[tuple[str, str], str]:
    """{(environment, platform): relative path} of the explicit spec files in the submission."""
    found = {}
    for relative in find_files(sub, "**/*_conda_spec.txt"):
        match = NAME.fullmatch(relative.rsplit("/", 1)[-1])
        if match:
            found[(match["environment"], match["platform"])] = relative
    if not found:
        raise CheckFailed("no file named {environment}_{platform}_conda_spec.txt in your submission")
    return found


def default_files(sub) -> dict[str, str]:
    """{platform: relative path} for the default environment; CheckFailed if one is missing."""
    files = spec_files(sub)
    wanted = {p: subdir_of(sub, p) for p in platforms_of(sub, "default")}
    missing = sorted(s for s in wanted.values() if ("default", s) not in files)
    if missing:
        raise CheckFailed(f"no explicit spec of the default environment for {', '.join(missing)} "
                          "(check the file names)")
    return {p: files[("default", s)] for p, s in wanted.items()}


@check(points=1)
def check_one_file_per_platform(sub):
    """There is a default_{platform}_conda_spec.txt for every platform of the workspace."""
    default_files(sub)


@check(points=1)
def check_explicit_format(sub):
    """Each file has @EXPLICIT, its platform, and URL#md5 lines."""
    for (environment, platform), relative in spec_files(sub).items():
        declared, records = read_explicit_spec(sub, relative)
        if declared != platform:
            raise CheckFailed(f"{relative} should say '# platform: {platform}' (it says {declared or 'nothing'})")
        for record in records:
            if not record.url or not record.url.startswith(("https://", "http://", "file://")):
                raise CheckFailed(f"{relative}: '{record.fn}' is not given as a URL")
            if not record.md5 or not MD5.fullmatch(record.md5):
                raise CheckFailed(f"{relative}: the line for {record.fn} does not end with #<32 hex digits of MD5>")


@check(points=2)
def check_same_packages_as_workspace(sub):
    """Each file lists exactly the records the workspace resolves to on its platform."""
    for platform, relative in default_files(sub).items():
        _, records = read_explicit_spec(sub, relative)
        wanted = {(r.name, r.version, r.build) for r in solved_versions(sub, "default", platform).values()}
        listed = {(r.name, r.version, r.build) for r in records}
        extra, missing = sorted(" ".join(k) for k in listed - wanted), sorted(n for n, *_ in wanted - listed)
        if extra or missing:
            parts = ([f"missing: {', '.join(missing)}"] if missing else []) + \
                    ([f"not in the workspace: {', '.join(extra)}"] if extra else [])
            raise CheckFailed(f"{relative} does not match what the workspace resolves to "
                              f"on {platform} ({'; '.join(parts)})")


@check(points=1)
def check_dependency_order(sub):
    """In each file, every package comes after the packages it depends on."""
    for platform, relative in default_files(sub).items():
        solved = solved_versions(sub, "default", platform)
        position = {r.name: i for i, r in enumerate(read_explicit_spec(sub, relative)[1])}
        for name, index in position.items():
            for dep in solved[name].depends if name in solved else ():
                dep_name = dep.split()[0]
                if position.get(dep_name, -1) > index:
                    raise CheckFailed(f"{relative}: {name} comes before {dep_name}, which it depends on; "
                                      "in which order would conda have to unpack them?")


@check(points=1, hidden=True)
def check_checksums_are_the_channels(sub):
    """Every URL and MD5 is the one the channel publishes for that file."""
    for platform, relative in default_files(sub).items():
        solved = solved_versions(sub, "default", platform)
        for record in read_explicit_spec(sub, relative)[1]:
            known = solved.get(record.name)
            if known is not None and known.md5 and record.md5 != known.md5:
                raise CheckFailed(f"{relative}: the MD5 of {record.fn} is not the one the channel publishes")
            if known is not None and known.url and record.url != known.url:
                raise CheckFailed(f"{relative}: {record.fn} is not where the channel has it ({known.url})")
