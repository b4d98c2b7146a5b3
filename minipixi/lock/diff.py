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
the CLI prints it. Lesson: Episode 2, "The lock file". Read after `lock/write.py`.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from minipixi.errors import LockError, VersionError
from minipixi.lock.model import REGENERATE_HINT, CondaPackage, LockedPackage, LockFile
from minipixi.lock.read import parse_lock, read_lock
from minipixi.lock.yaml_dialect import check_size
from minipixi.version import parse_version


@dataclass(frozen=True)
class PackageChange:
    """One package of one environment and platform: what it was, what it is (None: absent).

    `kind`: added, removed, upgraded, downgraded, build changed or changed.
    """

    name: str
    kind: str
    before: LockedPackage | None = None
    after: LockedPackage | None = None
    #: True when the manifest asks for this package in this environment (None: not known).
    direct: bool | None = None

    @property
    def gpu_change(self) -> str | None:
        """"cpu -> cuda" or "cuda -> cpu" when the build moved across needing a GPU driver."""
        if self.before is None or self.after is None:
            return None
        was, now = needs_cuda(self.before), needs_cuda(self.after)
        return None if was == now else ("cpu -> cuda" if now else "cuda -> cpu")

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


def needs_cuda(package: LockedPackage) -> bool:
    """Does this record depend on the ``__cuda`` virtual package (a CUDA build)?"""
    record = getattr(package, "record", None)  # PyPI packages have none
    return record is not None and record.depends_on("__cuda")


# --8<-- [start:diff]
def diff_locks(previous: LockFile | None, current: LockFile,
               direct: Mapping[str, set[str]] | None = None) -> LockDiff:
    """What changed from `previous` (None: there was no lock) to `current`.

    `direct` maps an environment to the package names its manifest asks for; when given, each
    change says whether it is direct (asked for) or transitive (brought in by another package).
    """
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
            if direct is not None:
                asked = direct.get(env, set())
                changes = tuple(PackageChange(c.name, c.kind, c.before, c.after, c.name in asked)
                                for c in changes)
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
    notes = [change.kind] if sign == "~" else []
    if change.gpu_change and change.direct is not None:
        notes.append(change.gpu_change.replace("cpu", "CPU").replace("cuda", "CUDA") + " build")
    if change.direct is not None:
        notes.append("direct" if change.direct else "transitive")
    note = f"  ({', '.join(notes)})" if notes else ""
    if sign != "~":
        return (sign, change.name, describe(change.after or change.before) + note, "", "")
    return (sign, change.name, describe(change.before), "->", f"{describe(change.after)}{note}")


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


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

def _package_json(package: LockedPackage | None) -> dict | None:
    if package is None:
        return None
    return {"version": package.version, "build": getattr(package, "build", None),
            "location": package.location, "needs_cuda": needs_cuda(package)}


def diff_to_json(diff: LockDiff) -> dict:
    """``{environment: {platform: [change, ...]}}``, each change with its kind, whether it is
    direct, its CPU/CUDA move and both sides (None for the side that does not exist)."""
    return {env: {platform: [{"name": c.name, "type": c.package_type, "kind": c.kind, "direct": c.direct,
                              "gpu_change": c.gpu_change, "before": _package_json(c.before),
                              "after": _package_json(c.after)}
                             for c in changes]
                  for platform, changes in platforms.items()}
            for env, platforms in diff.environments.items()}


# ---------------------------------------------------------------------------------------
# Where an older lock comes from: a file, or a git revision
# ---------------------------------------------------------------------------------------

def read_lock_at(where: str, lock_path: Path) -> LockFile:
    """The lock `where` names: a file path if one exists, else a git revision (``HEAD``,
    ``HEAD~3``, a tag) at which `lock_path` is read with ``git show``.

    git is asked with a time limit and its answer is size-checked like any lock file; a
    revision that does not exist or has no pixi.lock is a LockError naming both.
    """
    candidate = Path(where)
    if candidate.is_file():
        return read_lock(candidate)
    if where.startswith("-") or "\x00" in where:
        raise LockError(f"'{where}' is neither a lock file nor a git revision",
                        hint="give a path to a pixi.lock or a revision such as HEAD or HEAD~1")
    try:
        shown = subprocess.run(["git", "-C", str(lock_path.parent), "show", f"{where}:./{lock_path.name}"],
                               capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise LockError(f"cannot ask git for {lock_path.name} at '{where}': {err}",
                        hint="give a path to an older pixi.lock instead") from err
    if shown.returncode != 0:
        reason = shown.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["git failed"]
        raise LockError(f"'{where}' is neither a lock file nor a git revision with a {lock_path.name}: "
                        f"{reason[0][:200]}", hint="give a path to a pixi.lock or a revision such as HEAD~1")
    check_size(len(shown.stdout))
    try:
        text = shown.stdout.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LockError(f"{lock_path.name} at '{where}' is not UTF-8", hint=REGENERATE_HINT) from err
    return parse_lock(text, f"{where}:{lock_path.name}")
