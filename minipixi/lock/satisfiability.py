"""Is pixi.lock still up to date with the manifest? Pixi's satisfiability rules, without a solver.

A lock is *up to date* when solving the manifest again could keep it: every package the
manifest asks for is locked with a version its spec accepts, the locked packages meet each
other's dependencies, nothing is locked that no longer belongs, and the lock was solved with the
same question (channels, channel priority, solve strategy, exclude-newer). `lock` keeps every
(environment, platform) that passes and re-solves only the others; `install --locked` and
`lock --check` refuse to go on and name the first reason.

The rules follow Pixi's ``pixi_core::lock_file::satisfiability``, in its order:

1. **The lock's environments.** An environment the manifest no longer has makes the lock stale
   ("removed"); one the manifest has and the lock lacks is missing.
2. **Per environment**: the channels must be the same list in the same order (a channel appended
   at the end is still a change: "extended"); no locked platform whose subdir the environment no
   longer lists; the solve options the lock records (``strategy``, ``channel-priority``) equal the
   manifest's; no locked package is newer than the ``exclude-newer`` cut-off.
3. **Per platform**: a manifest platform finds its lock platform by name, else by subdir and
   virtual packages (a v7 lock names platforms ``p1``, ``p2`` or after the manifest, and older
   locks only by subdir); an environment with no dependencies may have no packages at all
   (``packages: {}``); every spec is met; every dependency of a locked package is met; every
   locked conda package is reachable from the specs ("too many packages"); the locked packages'
   virtual-package needs are met by what the platform declares.

PyPI packages are checked as far as the lock says enough, without resolving anything: here
the recorded indexes and ``pypi-prerelease-mode`` against ``[pypi-options]`` and ``no-build``
against locked source distributions; in `lock/pypi_satisfiability.py` the wheel tags against the
locked Python, each requirement (the manifest's, then every locked package's ``requires_dist``)
against what meets it, and, per solve group, conda packages that only PyPI requirements reach.

Settings the check can judge without solving are judged, even where minipixi cannot yet solve
with them: a conditional dependency (``when = "__cuda>=12"``) is required only on the platforms whose virtual packages
meet its condition. Any other such setting (pixi-build sources, ``extras``) is refused with its
own message rather than judged wrongly.

Lesson: Episode 2, "The lock file" (when does `pixi install` re-solve?). Read after `lock/write.py`;
`app/relock.py` calls `outdated` before every solve.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Mapping, Sequence

from minipixi.channel.virtual_packages import check_installable, declared_virtual_packages, required_virtual_packages
from minipixi.errors import InstallError
from minipixi.lock.model import closure, lock_platform_names, normalize_pypi_name
from minipixi.lock.pypi_satisfiability import (PypiWalk, dependency_overrides, pypi_only_reasons, pypi_reasons,
                                               walk_pypi, wheel_tag_reasons)
from minipixi.matchspec import MatchSpec
from minipixi.solver.check import unmet_dependencies
from minipixi.version import Version

# Settings that change how a workspace is *solved* but not whether a lock fits it: the check
# compares them with what the lock records instead of refusing the manifest.
CHECKABLE_SETTINGS = frozenset({"solve-strategy", "exclude-newer", "channel-priority"})
# The manifest's solve-strategy as rattler (and so the lock's `options: strategy:`) names it.
LOCK_STRATEGY = {"highest": "highest", "lowest": "lowest-version", "lowest-direct": "lowest-version-direct"}
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
WHOLE_ENVIRONMENT = ""  # the platform key of a reason about a whole environment


def normalize_channel(channel: str) -> str:
    """A channel as a URL without trailing slash; a bare name goes under conda.anaconda.org."""
    channel = channel.rstrip("/")
    if "://" in channel or channel.startswith((".", "/", "~")):
        return channel
    return f"{DEFAULT_CHANNEL_ALIAS}/{channel}"


# ---- the whole lock -------------------------------------------------------------------------------

def outdated(workspace, lock, *, now: datetime.datetime | None = None) -> dict[tuple[str, str], list[str]]:
    """Why `lock` does not fit `workspace`, per (environment, manifest platform entry).

    An empty dict means up to date. A reason about a whole environment (its channels, options,
    platforms) is listed under each of its platforms, since each must be solved again; an
    environment the manifest no longer has is keyed ``(name, WHOLE_ENVIRONMENT)``. `now` is the
    clock for ``exclude-newer`` durations (``7d``). Raises ManifestError for a setting
    minipixi cannot check (see the module).
    """
    reasons: dict[tuple[str, str], list[str]] = {}
    walks: dict[tuple[str, str], PypiWalk] = {}  # what the PyPI walk found, for the solve groups
    if lock is not None:
        for name in lock.environments:
            if name not in workspace.environments:
                reasons[(name, WHOLE_ENVIRONMENT)] = [
                    f"environment '{name}' is in the lock file but no longer exists in the manifest"]
    names = lock_platform_names(workspace)
    for env in workspace.environments:
        platforms = workspace.environment_platforms(env)
        locked_env = lock.environments.get(env) if lock is not None else None
        if locked_env is None:
            for platform in platforms:
                reasons[(env, platform)] = [f"environment '{env}' is not in the lock"]
            continue
        found = environment_reasons(workspace, env, lock, locked_env, now=now)
        for platform in platforms:
            mine = list(found)
            if not mine:
                mine = platform_reasons(workspace, env, platform, lock, locked_env, names[platform], walks)
            if mine:
                reasons[(env, platform)] = mine
    return solve_group_reasons(workspace, walks, reasons)


def solve_group_reasons(workspace, walks: Mapping[tuple[str, str], PypiWalk],
                        reasons: dict[tuple[str, str], list[str]]) -> dict[tuple[str, str], list[str]]:
    """Add to `reasons` the (environment, platform) pairs of a solve group (or a lone
    environment) where a conda package only PyPI requirements reach (`pypi_only_reasons`);
    a group with a member already stale on that platform is re-solved anyway."""
    groups: dict[tuple[str, str], list[str]] = {}
    for env, platform in walks:
        group = workspace.environment(env).solve_group
        groups.setdefault((f"group {group}" if group else f"env {env}", platform), []).append(env)
    for (group, platform), members in groups.items():
        if group.startswith("group "):
            members = [e for e in workspace.environments if workspace.environment(e).solve_group == group[6:]]
        if any((env, platform) not in walks for env in members):
            continue
        found = pypi_only_reasons(walks[(env, platform)] for env in members)
        for env in members if found else ():
            reasons.setdefault((env, platform), found)
    return reasons


def disregarded_environments(workspace, lock, *, now=None) -> set[str]:
    """Environments whose locked records must not even be *preferred* when re-solving: the lock
    answered another question (other channels, strategy, priority or cut-off). Pixi re-solves
    those from scratch; only channels appended at the end keep the old records as hints."""
    found = set()
    for env in workspace.environments:
        locked_env = lock.environments.get(env) if lock is not None else None
        if locked_env is None:
            continue
        reasons = environment_reasons(workspace, env, lock, locked_env, now=now)
        if reasons and not reasons[0].startswith("channels were extended"):
            found.add(env)
    return found


# ---- one environment ------------------------------------------------------------------------------

def environment_reasons(workspace, env: str, lock, locked_env, *, now=None) -> list[str]:
    """What makes a whole locked environment stale: channels, platforms, solve options."""
    platforms = workspace.environment_platforms(env)
    first = workspace.resolve(env, platforms[0]) if platforms else None
    channels = first.channels if first else ()
    reasons = channel_reasons(locked_env, channels)
    if reasons:
        return reasons
    wanted = {workspace.platform(p).subdir for p in platforms}
    extra = sorted({lock.platform(name).subdir for name, packages in locked_env.packages.items()
                    if packages} - wanted)
    if extra:
        return [f"platform(s) {', '.join(extra)} are in the lock file but not in environment '{env}'"]
    if first is not None:
        reasons = option_reasons(locked_env, first) or prerelease_reasons(workspace, env, locked_env)
        if reasons:
            return reasons
        if first.pypi_dependencies:
            reasons = (index_reasons(workspace, env, locked_env) or no_build_reasons(workspace, env, locked_env)
                       or wheel_tag_reasons(locked_env, _tag_platforms(workspace, env, lock, locked_env)))
            if reasons:
                return reasons
    cutoffs = exclude_newer_cutoffs(workspace, now=now)
    return exclude_newer_reasons(locked_env, cutoffs) if cutoffs else []


def channel_reasons(lock_env, channels: Sequence[str]) -> list[str]:
    """The lock's channels must be the manifest's, in the same order (priority)."""
    locked = [normalize_channel(c.url) for c in lock_env.channels]
    wanted = [normalize_channel(c) for c in channels]
    if locked == wanted:
        return []
    if wanted[: len(locked)] == locked:
        return [f"channels were extended: the manifest adds [{', '.join(wanted[len(locked):])}] "
                f"after the locked [{', '.join(locked)}]"]
    return [f"channels changed: the lock has [{', '.join(locked)}], "
            f"the manifest asks for [{', '.join(wanted)}]"]


def option_reasons(lock_env, resolved) -> list[str]:
    """The solve strategy and channel priority the lock records against the manifest's."""
    locked_strategy = lock_env.options.get("strategy", "highest")
    wanted_strategy = LOCK_STRATEGY.get(resolved.solve_strategy, resolved.solve_strategy)
    if locked_strategy != wanted_strategy:
        return [f"the lock was solved with solve-strategy {locked_strategy}, the manifest asks for "
                f"{wanted_strategy}"]
    locked_priority = lock_env.options.get("channel-priority", "strict")
    if locked_priority != resolved.channel_priority:
        return [f"the lock was solved with channel-priority {locked_priority}, the manifest asks for "
                f"{resolved.channel_priority}"]
    return []


# ---- PyPI options the lock records -----------------------------------------------------------------

DEFAULT_PYPI_INDEX = "https://pypi.org/simple"
DEFAULT_PRERELEASE_MODE = "if-necessary-or-explicit"
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


def prerelease_reasons(workspace, env: str, lock_env) -> list[str]:
    """``[pypi-options] prerelease-mode`` against the lock's ``pypi-prerelease-mode``."""
    wanted = pypi_options(workspace, env).get("prerelease-mode", DEFAULT_PRERELEASE_MODE)
    locked = lock_env.options.get("pypi-prerelease-mode", DEFAULT_PRERELEASE_MODE)
    if wanted == locked:
        return []
    return [f"the lock was solved with PyPI prerelease-mode {locked}, the manifest asks for {wanted}"]


def index_reasons(workspace, env: str, lock_env) -> list[str]:
    """The PyPI indexes the lock records must be the manifest's (index-url, then extra ones)."""
    options = pypi_options(workspace, env)
    wanted = [options.get("index-url", DEFAULT_PYPI_INDEX), *options.get("extra-index-urls", [])]
    wanted = [str(url).rstrip("/") for url in wanted]
    locked = [str(url).rstrip("/") for url in (lock_env.indexes or ())]
    if lock_env.indexes is None:  # an older lock that did not record them: nothing to compare
        return []
    if locked != wanted:
        return [f"the PyPI indexes changed: the lock has [{', '.join(locked)}], the manifest asks for "
                f"[{', '.join(wanted)}]"]
    links = options.get("find-links", [])  # the flat sources too: [{ path = "./links" }]
    if _links(links) != _links(lock_env.find_links or ()):
        return [f"[pypi-options] find-links changed: the lock has {list(lock_env.find_links or ())}, "
                f"the manifest asks for {links}"]
    return []


def _links(links) -> list:
    return [{str(k): str(v).rstrip("/") for k, v in link.items()} if isinstance(link, Mapping) else str(link)
            for link in (links if isinstance(links, (list, tuple)) else [])]


def no_build_reasons(workspace, env: str, lock_env) -> list[str]:
    """``no-build``: a locked source distribution that would have to be built."""
    no_build = pypi_options(workspace, env).get("no-build")
    if not no_build:
        return []
    names = None if no_build is True else {normalize_pypi_name(str(n)) for n in no_build}
    for platform in lock_env.packages:
        for package in lock_env.pypi_packages(platform):
            if names is not None and normalize_pypi_name(package.name) not in names:
                continue
            if package.location.split("?")[0].endswith(_SDIST_SUFFIXES) and not package.editable:
                return [f"the lock holds the source distribution {package.name} {package.version}, "
                        "but pypi-options no-build is set"]
    return []


def _tag_platforms(workspace, env: str, lock, locked_env):
    """For the wheel-tag check: (lock platform name, subdir, virtual package versions of the
    manifest platform it stands for) per locked platform with PyPI packages; the manifest
    platform is the one of that name, else the environment's first of that subdir."""
    entries = workspace.environment_platforms(env)
    for name, packages in locked_env.packages.items():
        if not locked_env.pypi_packages(name):
            continue
        subdir = lock.platform(name).subdir
        entry = name if name in entries else next(
            (e for e in entries if workspace.platform(e).subdir == subdir), None)
        if entry is not None:
            virtual = declared_virtual_packages(workspace.resolve(env, entry))
            yield name, subdir, {r.name: r.version for r in virtual}


# ---- exclude-newer --------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)\s*([A-Za-z]+)")
_UNIT_SECONDS = {
    **dict.fromkeys(("nanoseconds", "nanosecond", "nsec", "ns"), 1e-9),
    **dict.fromkeys(("microseconds", "microsecond", "usec", "us"), 1e-6),
    **dict.fromkeys(("milliseconds", "millisecond", "msec", "ms"), 1e-3),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), 1),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), 60),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), 3600),
    **dict.fromkeys(("days", "day", "d"), 86400),
    **dict.fromkeys(("weeks", "week", "w"), 7 * 86400),
    **dict.fromkeys(("months", "month", "M"), 30.436875 * 86400),  # jiff's average month
    **dict.fromkeys(("years", "year", "y"), 365.2425 * 86400),
}


def parse_cutoff(value: Any, *, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """An ``exclude-newer`` value as an aware UTC datetime: a date (its midnight UTC), an RFC 3339
    timestamp, or a duration before `now` (``7d``, ``1h 30m``). None when it is none of these."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc) if value.tzinfo else None
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.date.fromisoformat(text)
            return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", text):
            head, _, rest = text.replace("t", "T").replace(" ", "T").partition(".")
            zone = re.search(r"([Zz]|[+-]\d{2}:\d{2})$", text).group(1)
            fraction = re.match(r"\d*", rest).group(0)[:6] if rest else ""
            head = re.sub(r"([Zz]|[+-]\d{2}:\d{2})$", "", head)
            stamp = datetime.datetime.fromisoformat(
                head + (f".{fraction.ljust(6, '0')}" if fraction else "") + ("+00:00" if zone in "Zz" else zone))
            return stamp.astimezone(datetime.timezone.utc)
    except ValueError:
        return None
    parts = _DURATION_PART.findall(text)
    if parts and _DURATION_PART.sub("", text).strip() == "" and all(u in _UNIT_SECONDS for _, u in parts):
        seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
        clock = now or datetime.datetime.now(datetime.timezone.utc)
        return clock - datetime.timedelta(seconds=min(seconds, 1e11))
    return None


def exclude_newer_cutoffs(workspace, *, now=None) -> dict[str | None, datetime.datetime | None]:
    """The manifest's ``exclude-newer``: None -> the cut-off for every package, a package name ->
    its own (None: exempt). Empty when the manifest sets none. Read from the manifest text,
    since the workspace model keeps only that the setting is there."""
    table = _workspace_table(workspace)
    raw = table.get("exclude-newer") if table else None
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {name: (None if value is False else parse_cutoff(value, now=now)) for name, value in raw.items()}
    cutoff = parse_cutoff(raw, now=now)
    return {None: cutoff} if cutoff else {}


def _pixi_document(workspace) -> Mapping[str, Any]:
    """The manifest's pixi part as TOML data ([tool.pixi] of a pyproject.toml), as the manifest
    reader parsed it (`Workspace.document`): never read from the file again, so a manifest
    edited in memory (``add``, before it writes) is judged as edited."""
    document = workspace.document
    return document if isinstance(document, dict) else {}


def _workspace_table(workspace) -> Mapping[str, Any] | None:
    document = _pixi_document(workspace)
    for key in ("workspace", "project"):
        if isinstance(document.get(key), dict):
            return document[key]
    return None


def pypi_options(workspace, env: str) -> dict[str, Any]:
    """The ``[pypi-options]`` in force for `env`: the workspace's, then its features' on top."""
    document = _pixi_document(workspace)
    merged: dict[str, Any] = {}
    features = document.get("feature") if isinstance(document.get("feature"), dict) else {}
    for name in workspace.environment(env).feature_names():  # the first feature that sets it wins
        if name == "default":  # [pypi-options], or [workspace.pypi-options] as Pixi also reads it
            table = document.get("pypi-options") or next(
                (document[k].get("pypi-options") for k in ("workspace", "project")
                 if isinstance(document.get(k), dict) and "pypi-options" in document[k]), None)
        else:
            table = (features.get(name) or {}).get("pypi-options") if isinstance(features.get(name), dict) else None
        for key, value in (table or {}).items() if isinstance(table, dict) else ():
            if key == "extra-index-urls" and isinstance(value, list):
                merged[key] = list(merged.get(key, [])) + value
            elif key not in merged:
                merged[key] = value
    return merged


def exclude_newer_reasons(lock_env, cutoffs: Mapping[str | None, datetime.datetime | None]) -> list[str]:
    """A locked package newer than its cut-off (Pixi compares each record's timestamp)."""
    for platform in lock_env.packages:
        for package in lock_env.conda_packages(platform):
            cutoff = cutoffs.get(package.name, cutoffs.get(None))
            stamp = package.record.timestamp
            if cutoff is None or stamp is None:
                continue
            when = datetime.datetime.fromtimestamp(stamp / 1000, datetime.timezone.utc)
            if when > cutoff:
                return [f"the locked {_describe(package)} was built {when:%Y-%m-%dT%H:%M:%SZ}, after the "
                        f"exclude-newer cut-off {cutoff:%Y-%m-%dT%H:%M:%SZ}"]
    return []


# ---- one platform ---------------------------------------------------------------------------------

def match_lock_platform(workspace, entry_name: str, numbered_name: str, lock, locked_env) -> str | None:
    """The lock platform that holds a manifest platform entry, as Pixi finds it: by the entry's
    name, by the name minipixi would give it (``p1``), else by subdir and virtual packages."""
    entry = workspace.platform(entry_name)
    declared = _declared_virtual(entry)
    candidates = [p for p in lock.platforms if p.subdir == entry.subdir] or [lock.platform(entry.subdir)]
    for wanted in (entry_name, numbered_name):
        for platform in candidates:
            if platform.name == wanted:
                return platform.name
    for platform in candidates:
        locked = {v.split("=")[0]: v for v in platform.virtual_packages}
        if not platform.virtual_packages or all(
                _same_virtual(locked.get(name), value) for name, value in declared.items()):
            if platform.name in locked_env.packages or not declared:
                return platform.name
    return None


_VIRTUAL_NAME = {"cuda": "__cuda", "libc": "__glibc", "glibc": "__glibc", "linux": "__linux",
                 "macos": "__osx", "osx": "__osx", "windows": "__win", "win": "__win"}


def matched_platform_names(workspace, lock) -> dict[str, str]:
    """Manifest platform entry -> the name the existing lock gives it (where it has one)."""
    numbered = lock_platform_names(workspace)
    found = {}
    for entry in workspace.platforms:
        for env in workspace.environments:
            locked_env = lock.environments.get(env)
            if locked_env is not None and entry.name in workspace.environment_platforms(env):
                name = match_lock_platform(workspace, entry.name, numbered[entry.name], lock, locked_env)
                if name is not None:
                    found[entry.name] = name
                    break
    return found


def _declared_virtual(entry) -> dict[str, str]:
    """A rich platform entry's declared virtual packages: ``cuda = "12"`` -> ``__cuda: 12``."""
    declared = {}
    for key, value in entry.virtual.items():
        if isinstance(value, Mapping):  # cuda = { driver = "12", arch = "8.0" }, libc = { version = ... }
            value = value.get("driver", value.get("version"))
        if value is not None:
            declared[_VIRTUAL_NAME.get(key, f"__{key}")] = str(value)
    return declared


def _same_virtual(locked: str | None, version: str) -> bool:
    if locked is None:
        return False
    try:
        return Version(locked.split("=")[1]) == Version(version)
    except Exception:  # an unreadable version in a lock: not the same
        return False


def platform_reasons(workspace, env: str, platform: str, lock, locked_env, numbered_name: str,
                     walks: dict | None = None) -> list[str]:
    """Why the locked packages of (`env`, manifest `platform`) no longer fit the manifest.
    What the PyPI walk found is left in `walks` (for `solve_group_reasons`)."""
    resolved = workspace.resolve(env, platform)
    specs = checkable_specs(resolved, workspace)
    name = match_lock_platform(workspace, platform, numbered_name, lock, locked_env)
    if name is None or (name not in locked_env.packages and specs):
        return [f"platform {platform} is not in the lock"]
    changed = definition_reasons(workspace.platform(platform), lock.platform(name))
    if changed:
        return changed
    with_pypi = bool(resolved.pypi_dependencies or locked_env.pypi_packages(name))
    reasons = conda_reasons(locked_env, name, specs, platform, unused_check=not with_pypi)
    # A checkable manifest asks for binaries only (a source spec is refused): a locked source
    # package is one Pixi would build, for a spec that no longer asks for that.
    reasons = reasons or [f"package '{p.name}' is locked as source, but is only required as binary"
                          for p in locked_env.conda_packages(name) if p.is_source][:1]
    if not reasons and with_pypi:
        overrides = dependency_overrides(pypi_options(workspace, env))
        reasons = pypi_reasons(locked_env, name, resolved.pypi_dependencies, platform, resolved.subdir, overrides,
                               version=lock.version)
        walk = walk_pypi(locked_env, name, resolved.pypi_dependencies, specs, resolved.subdir, platform, overrides)
        reasons = reasons or walk.reasons
    elif not reasons:
        walk = PypiWalk(expected={p.name for p in locked_env.conda_packages(name)})
    if not reasons and walks is not None:
        walks[(env, platform)] = walk
    if not reasons:
        records = [p.record for p in locked_env.conda_packages(name)]
        try:
            check_installable(required_virtual_packages(records), declared_virtual_packages(resolved))
        except InstallError as err:
            reasons = [f"the system requirements changed: {err.message}"]
    return reasons


def definition_reasons(entry, locked) -> list[str]:
    """A rich platform entry whose declared virtual packages the lock's platform does not record
    (``cuda = "12.0"`` in the manifest, ``__cuda=11.0`` in the lock): solved for another machine."""
    declared = _declared_virtual(entry)
    if not declared or not locked.virtual_packages:
        return []
    recorded = {v.split("=")[0]: v for v in locked.virtual_packages}
    if all(_same_virtual(recorded.get(name), value) for name, value in declared.items()):
        return []
    wanted = ", ".join(f"{name}={value}" for name, value in declared.items())
    return [f"platform {entry.name} declares [{wanted}] but the lock was solved for "
            f"[{', '.join(locked.virtual_packages)}]"]


def checkable_specs(resolved, workspace=None) -> dict[str, Any]:
    """The manifest's specs for the check: a setting in CHECKABLE_SETTINGS is compared with the
    lock elsewhere, and a conditional dependency (``when = "__cuda>=12"``) counts where its
    condition holds on the platform; any other setting is refused (with its own message)."""
    conditions = _conditions(workspace, resolved) if workspace is not None else {}
    for unsupported in resolved.unsupported:
        if unsupported.setting == "when" and conditions:
            continue
        if unsupported.setting not in CHECKABLE_SETTINGS:
            raise unsupported.error()
    specs = {name: dep.to_matchspec() for name, dep in resolved.dependencies.items()}
    if conditions:
        virtual = declared_virtual_packages(resolved)
        for name, condition in conditions.items():
            wanted = MatchSpec.parse(condition)
            if name in specs and not any(r.name == wanted.name and wanted.matches(r) for r in virtual):
                del specs[name]  # the condition does not hold here: not required
    return specs


def _conditions(workspace, resolved) -> dict[str, str]:
    """Dependency name -> its ``when`` condition, for the dependency tables of the features of
    `resolved` (every platform's, and those of targets whose selector is this subdir)."""
    document = _pixi_document(workspace)
    features = document.get("feature") if isinstance(document.get("feature"), dict) else {}
    found: dict[str, str] = {}
    for feature in resolved.features:
        table = document if feature == "default" else features.get(feature)
        if not isinstance(table, dict):
            continue
        tables = [table.get("dependencies")]
        targets = table.get("target") if isinstance(table.get("target"), dict) else {}
        tables += [(targets.get(key) or {}).get("dependencies") for key in (resolved.subdir, resolved.platform)
                   if isinstance(targets.get(key), dict)]
        for deps in tables:
            for name, spec in (deps or {}).items() if isinstance(deps, dict) else ():
                if isinstance(spec, dict) and isinstance(spec.get("when"), str):
                    found.setdefault(name, spec["when"])
    return found


# --8<-- [start:satisfies]
def conda_reasons(lock_env, platform: str, specs: Mapping[str, Any], shown: str | None = None, *,
                  unused_check: bool = True) -> list[str]:
    """Why the conda packages locked for `platform` no longer fit `specs` ([] when they fit).

    Every spec must be met by its locked record; the locked records must meet each other's
    depends and constrains (virtual packages, ``__*``, are the machine's business); and every
    locked package must be needed, reachable from the specs through depends (`unused_check`:
    not where PyPI packages are involved, since a conda package may stand in for one).
    """
    shown = shown or platform
    reasons = []
    locked = {p.name: p for p in lock_env.conda_packages(platform)}
    for name, spec in specs.items():
        package = locked.get(name)
        if package is None:
            reasons.append(f"{name} is required by the manifest but not locked for {shown}")
        elif not spec.matches(package.record):
            reasons.append(f"locked {_describe(package)} does not satisfy '{spec}' on {shown}")
    present = {name: [package.record] for name, package in locked.items()}
    for package in locked.values():
        reasons.extend(_dependency_reasons(package, present, shown))
    if not reasons and unused_check:
        unused = sorted(set(locked) - {r.name for r in closure([p.record for p in locked.values()], specs)})
        if unused:
            reasons.append(f"more conda packages are locked for {shown} than the environment uses: "
                           f"{', '.join(unused)}")
    return reasons
# --8<-- [end:satisfies]


def lock_satisfies(lock_env, platform: str, specs: Mapping[str, Any],
                   channels: Sequence[str]) -> list[str]:
    """Why the locked `platform` of `lock_env` no longer fits `specs` and `channels` ([] when it
    fits): the channels, the platform, each spec, the locked records' own dependencies. The
    whole of Pixi's rules (options, platforms, unused packages) is `outdated`."""
    reasons = channel_reasons(lock_env, channels)
    if platform not in lock_env.packages:
        return reasons + [f"platform {platform} is not in the lock"]
    return reasons + conda_reasons(lock_env, platform, specs, unused_check=False)




def _describe(package) -> str:
    return f"{package.name} {package.version} {package.build}"


def _dependency_reasons(package, present: Mapping[str, Sequence[Any]], platform: str) -> list[str]:
    """The locked records' own depends and constrains, by the solver's rule (`solver/check.py`):
    virtual packages (``__*``) are left to the platform's check."""
    reasons = []
    for unmet in unmet_dependencies(package.record, present, skip_virtual=True):
        found = f"locked is {_describe(unmet.found)}" if unmet.found else "none is locked"
        if unmet.kind == "depends":
            reasons.append(f"{_describe(package)} depends on '{unmet.spec}' but {found} on {platform}")
        else:
            reasons.append(f"{_describe(package)} constrains '{unmet.spec}' but {found} on {platform}")
    return reasons
