"""What changed between two lock files, per environment and platform, as Pixi shows it.

After `lock` (and `add`, `update`) Pixi prints what moved, so that nobody has to read a
`git diff` of pixi.lock to learn that numpy went from 1.26 to 2.1::

    Environment: default
      + rich      13.9.4 pyhd8ed1ab_1
      ~ python    3.12.7 hc5c86c4_0  ->  3.13.0 h9ebbce0_100  (upgraded)
    Platform: default:win-64
      - ucrt      10.0.22621.0 h57928b3_1

Changes every platform of an environment shares are listed once under the environment;
the rest under their platform. The rules are Pixi's (its `pixi_diff` crate):

- packages are matched **by name**, conda with conda and PyPI with PyPI;
- a package *changed* only when its location (URL or path) changed: the same file is the
  same package, whatever else was rewritten around it;
- an environment or platform that disappeared lists its packages as removed.

On top of Pixi's ``~`` we say which way a change went: ``upgraded``, ``downgraded`` (conda
versions compared as conda compares them, PyPI ones by PEP 440), ``build changed`` (same
version, another build), or ``changed`` (same version and build from somewhere else, e.g.
another channel), and a source package shows its location (``@ ./path``).

`diff_locks` is pure (two `LockFile`s in, a `LockDiff` out); `render_diff` makes the text;
the CLI prints it. Lesson: Episode 2, "The lock file". Read after `lock.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from minipixi.lock import CondaPackage, LockedPackage, LockFile


@dataclass(frozen=True)
class PackageChange:
    """One package of one environment and platform: what it was, what it is (None: absent).

    `kind`: added, removed, upgraded, downgraded, build changed or changed.
    """

    name: str
    kind: str
    before: LockedPackage | None = None
    after: LockedPackage | None = None

    @property
    def package_type(self) -> str:
        """"conda" or "pypi" (a source package is a conda package)."""
        package = self.after or self.before
        return "pypi" if package is not None and package.kind == "pypi" else "conda"


@dataclass(frozen=True)
class LockDiff:
    """Changes by environment, then by platform name; only non-empty ones are kept."""

    environments: Mapping[str, Mapping[str, tuple[PackageChange, ...]]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.environments

    def changes(self):
        """(environment, platform, change) for every change, environments and platforms sorted."""
        for env in sorted(self.environments):
            for platform in sorted(self.environments[env]):
                for change in self.environments[env][platform]:
                    yield env, platform, change


# --8<-- [start:diff]
def diff_locks(previous: LockFile | None, current: LockFile) -> LockDiff:
    """What changed from `previous` (None: there was no lock) to `current`."""
    result: dict[str, dict[str, tuple[PackageChange, ...]]] = {}
    names = set(current.environments) | set(previous.environments if previous else ())
    for env in sorted(names):
        before = previous.environments.get(env) if previous else None
        after = current.environments.get(env)
        platforms = set(after.packages if after else ()) | set(before.packages if before else ())
        per_platform = {}
        for platform in sorted(platforms):
            changes = _diff_packages(before.packages.get(platform, ()) if before else (),
                                     after.packages.get(platform, ()) if after else ())
            if changes:
                per_platform[platform] = changes
        if per_platform:
            result[env] = per_platform
    return LockDiff(result)


def _diff_packages(before: tuple[LockedPackage, ...],
                   after: tuple[LockedPackage, ...]) -> tuple[PackageChange, ...]:
    """Match by (conda or PyPI, name); a match changed when its location changed."""
    old = {(_side(p), p.name): p for p in before}
    new = {(_side(p), p.name): p for p in after}
    changes = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[1], k[0])):
        a, b = old.get(key), new.get(key)
        if a is None:
            changes.append(PackageChange(key[1], "added", None, b))
        elif b is None:
            changes.append(PackageChange(key[1], "removed", a, None))
        elif a.location != b.location:
            changes.append(PackageChange(key[1], _direction(a, b), a, b))
    return tuple(changes)
# --8<-- [end:diff]


def _side(package: LockedPackage) -> str:
    return "pypi" if package.kind == "pypi" else "conda"


def _direction(a: LockedPackage, b: LockedPackage) -> str:
    """upgraded / downgraded / build changed / changed, for two records of one package."""
    if a.version == b.version or not a.version or not b.version:
        same_build = getattr(a, "build", "") == getattr(b, "build", "")
        return "changed" if same_build or not a.version else "build changed"
    try:
        older, newer = _comparable(a), _comparable(b)
    except ValueError:
        return "changed"
    if older == newer:
        return "build changed" if getattr(a, "build", "") != getattr(b, "build", "") else "changed"
    return "upgraded" if newer > older else "downgraded"


def _comparable(package: LockedPackage):
    """A version that orders as its ecosystem orders it; ValueError when it cannot be read."""
    if isinstance(package, CondaPackage):
        from minipixi.errors import VersionError
        from minipixi.version import parse_version

        try:
            return parse_version(package.version)
        except VersionError as err:
            raise ValueError(str(err)) from None
    from packaging.version import InvalidVersion, Version  # lazy: only PyPI changes need it

    try:
        return Version(package.version)
    except InvalidVersion as err:
        raise ValueError(str(err)) from None


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------

_SIGNS = {"added": "+", "removed": "-"}


def describe(package: LockedPackage | None) -> str:
    """``version build`` for a conda package, ``@ location`` for a source one, the version
    for a PyPI one."""
    if package is None:
        return ""
    if isinstance(package, CondaPackage):
        if package.is_source:
            return f"@ {package.location}"
        return f"{package.version} {package.build}"
    return package.version or f"@ {package.location}"


def _cells(change: PackageChange) -> tuple[str, ...]:
    sign = _SIGNS.get(change.kind, "~")
    if sign != "~":
        return (sign, change.name, describe(change.after or change.before), "", "")
    return (sign, change.name, describe(change.before), "->", f"{describe(change.after)}  ({change.kind})")


# --8<-- [start:render]
def render_diff(diff: LockDiff) -> str:
    """The diff as Pixi lays it out: per environment the changes all its platforms share,
    then per platform the others; columns aligned; "" when nothing changed."""
    blocks: list[tuple[str, list[tuple[str, ...]]]] = []
    for env in sorted(diff.environments):
        platforms = diff.environments[env]
        per_platform = {p: {_cells(c) for c in changes} for p, changes in platforms.items()}
        common = set.intersection(*per_platform.values())
        blocks.append((f"Environment: {env}", sorted(common, key=_by_name)))
        for platform in sorted(per_platform):
            rest = sorted(per_platform[platform] - common, key=_by_name)
            if rest:
                blocks.append((f"Platform: {env}:{platform}", rest))
    if not any(block for _, block in blocks):
        return ""
    lines = []
    for title, block in blocks:  # columns aligned within each block
        lines.append(title)
        widths = [max((len(row[i]) for row in block), default=0) for i in range(5)]
        for row in block:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"
# --8<-- [end:render]


def _by_name(row: tuple[str, ...]) -> tuple[str, str]:
    return (row[1], row[0])
