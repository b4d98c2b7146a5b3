"""Resolution: what does environment E need on platform P?

A manifest says things in layers (features, then targets inside them); the solver wants one flat
answer per (environment, platform). The rules, as Pixi applies them:

- **Features** of an environment are its listed ones, then ``default`` (unless
  ``no-default-feature``). Earlier features are more specific: their tasks win.
- **Platforms**: an environment supports the platforms that *all* its features allow (the
  intersection of the features that set ``platforms``), or the workspace's when none does.
- **Targets** override: inside one feature, ``[target.unix]`` beats the plain table,
  ``[target.linux]`` beats unix, ``[target.linux-64]`` beats linux, and a rich platform's own
  name (``[target.linux-64-cuda]``) beats them all.
- **Dependencies** of different features are combined: both specs must hold. Outside a package
  build, ``host-dependencies`` and ``build-dependencies`` are installed like the others, so they
  join ``dependencies`` here.
- **Channels** of all features are merged, highest ``priority`` first, then in feature order. A
  channel written as a relative path (``./channel``) is relative to the workspace folder, not
  to the folder a command runs in.
- **Settings minipixi cannot honour** (``exclude-newer``, ``solve-strategy = "lowest"``, a git
  dependency...) that apply to the environment are collected in `unsupported`; asking for the
  specs of such an environment (what a solve, the up-to-date check or `list` do) raises the
  first one, naming the key, instead of answering a different question.
- **System requirements**: the highest version of each wins (cuda 12 and 12.4 give 12.4), and a
  rich platform entry's own virtual packages join in. Only those that make sense for the
  platform's subdir become virtual packages (no ``__cuda`` on osx, no ``__glibc`` on win).

Lesson: Episode 2 ("multi-platform, multi-environment") and Episode 5 (system requirements). Read
after `manifest/parse.py`; read next `manifest/workspace.py`, then `solver/`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from minipixi.errors import ManifestError, MinipixiError
from minipixi.manifest.model import (
    DEFAULT_FEATURE, Activation, DependencySpec, Environment, Feature, PlatformEntry,
    PypiDependency, SystemRequirements, Target, Task, Unsupported,
)
from minipixi.version import Version

if TYPE_CHECKING:  # only named in annotations: workspace.py builds on this module
    from minipixi.manifest.workspace import Workspace


@dataclass(frozen=True)
class ResolvedEnvironment:
    """Everything one (environment, platform) pair needs, flattened. `platform` is the entry
    name (``linux-64-cuda``); `subdir` the conda subdir (``linux-64``) to fetch repodata for."""

    environment: str
    platform: str
    subdir: str
    features: tuple[str, ...]
    channels: tuple[str, ...]
    channel_priority: str
    dependencies: Mapping[str, DependencySpec]
    constraints: Mapping[str, DependencySpec]
    pypi_dependencies: Mapping[str, PypiDependency]
    system_requirements: SystemRequirements
    virtual_packages: Mapping[str, str]
    tasks: Mapping[str, Task]
    activation: Activation
    solve_group: str | None = None
    host_dependencies: Mapping[str, DependencySpec] = field(default_factory=dict)
    build_dependencies: Mapping[str, DependencySpec] = field(default_factory=dict)
    solve_strategy: str = "highest"
    unsupported: tuple[Unsupported, ...] = ()

    def require_supported(self) -> None:
        """Raise the first setting of this environment minipixi cannot honour (see the module)."""
        if self.unsupported:
            raise self.unsupported[0].error()

    @cached_property
    def specs(self) -> dict[str, Any]:
        """The dependencies as `MatchSpec`s, by package name (what the solver is asked for).

        Raises ManifestError when the environment uses a setting minipixi cannot honour: the
        specs without it would ask the solver a different question.
        """
        self.require_supported()
        return {name: dep.to_matchspec() for name, dep in self.dependencies.items()}

    @cached_property
    def constraint_specs(self) -> dict[str, Any]:
        self.require_supported()
        return {name: dep.to_matchspec() for name, dep in self.constraints.items()}

    def virtual_package_options(self) -> dict[str, str | None]:
        """Keyword arguments for `virtual_packages.default_virtual_packages(subdir, **options)`."""
        vp = self.virtual_packages
        libc = ("musl", vp["__musl"]) if "__musl" in vp else vp.get("__glibc")
        return {"cuda": vp.get("__cuda"), "libc": libc, "linux": vp.get("__linux"), "macos": vp.get("__osx"),
                "archspec": vp.get("__archspec"), "windows": vp.get("__win")}


# ---- target selection --------------------------------------------------------------------------
def _family(subdir: str) -> str:
    return subdir.split("-", 1)[0]


# --8<-- [start:target-rank]
def target_rank(selector: str, entry: PlatformEntry) -> int | None:
    """How specifically `selector` names `entry` (higher wins), or None if it does not apply."""
    if entry.rich and selector == entry.name and entry.name != entry.subdir:
        return 5  # the rich platform's own name
    if any(ch in selector for ch in "*?[") and fnmatch.fnmatchcase(entry.name, selector):
        return 4  # a glob over platform names, e.g. cuda-*
    if selector == entry.subdir:
        return 3
    if selector in ("linux", "osx", "win") and _family(entry.subdir) == selector:
        return 2
    if selector == "unix" and _family(entry.subdir) in ("linux", "osx"):
        return 1
    return None
# --8<-- [end:target-rank]


def targets_for(feature: Feature, entry: PlatformEntry) -> list[Target]:
    """The feature's tables that apply to `entry`, least specific first (plain table first)."""
    ranked = [(target_rank(sel, entry), target) for sel, target in feature.targets.items()]
    applying = sorted((r, i, t) for i, (r, t) in enumerate(ranked) if r is not None)
    return [feature.default] + [t for _, _, t in applying]


def _overlay(targets: Iterable[Target], attribute: str) -> dict[str, Any]:
    """Merge one mapping attribute over `targets`; later (more specific) entries replace."""
    merged: dict[str, Any] = {}
    for target in targets:
        merged.update(getattr(target, attribute))
    return merged


# ---- environments and platforms ----------------------------------------------------------------
def get_environment(workspace: Workspace, name: str) -> Environment:
    try:
        return workspace.environments[name]
    except KeyError:
        known = ", ".join(sorted(workspace.environments))
        raise ManifestError(f"there is no environment '{name}' in {workspace.path}",
                            hint=f"environments defined here: {known}; add one with "
                            f"`minipixi workspace environment add {name} --feature FEATURE`") from None


def environment_features(workspace: Workspace, env: Environment) -> list[Feature]:
    return [workspace.features[name] for name in env.feature_names()]


def environment_platforms(workspace: Workspace, env: Environment) -> tuple[str, ...]:
    """The platform names `env` supports, in the workspace's order."""
    allowed = [p.name for p in workspace.platforms]
    if env.platforms is not None:
        return tuple(p for p in allowed if p in env.platforms)
    for feature in environment_features(workspace, env):
        if feature.platforms is not None:
            allowed = [p for p in allowed if p in feature.platforms]
    return tuple(allowed)


def _platform_entry(workspace: Workspace, env: Environment, platform: str) -> PlatformEntry:
    """The entry `platform` names (a rich name, or a subdir that only one entry uses)."""
    supported = environment_platforms(workspace, env)
    entries = [workspace.platform(name) for name in supported]
    matches = [e for e in entries if e.name == platform] or [e for e in entries if e.subdir == platform]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(e.name for e in matches)
        raise ManifestError(f"'{platform}' is ambiguous in environment '{env.name}': it could be {names}",
                            hint="name the platform entry you mean")
    raise ManifestError(
        f"environment '{env.name}' does not support the platform '{platform}'",
        hint=("it supports: " + ", ".join(supported)) if supported else
        "it supports no platform: its features' `platforms` lists have nothing in common",
    )


# ---- channels, specs, system requirements ------------------------------------------------------
def environment_channels(workspace: Workspace, features: list[Feature]) -> tuple[str, ...]:
    """Channel names, highest priority first; equal priorities keep feature order (default last).

    A relative path channel comes back as the ``file://`` URL of that folder in the workspace.
    """
    entries = []
    for feature in features:
        channels = workspace.channels if feature.name == DEFAULT_FEATURE else (feature.channels or ())
        entries.extend(channels)
    if all(f.name != DEFAULT_FEATURE for f in features):
        entries.extend(workspace.channels)  # no-default-feature still solves with the workspace's channels
    ordered = sorted(enumerate(entries), key=lambda pair: (-pair[1].priority, pair[0]))
    result: list[str] = []
    for _, entry in ordered:
        channel = workspace_channel(workspace, entry.channel)
        if channel not in result:
            result.append(channel)
    return tuple(result)


def workspace_channel(workspace: Workspace, channel: str | None) -> str | None:
    """`channel`, or for a relative path (``./chan``, ``../chan``) the file URL of that folder
    under the workspace root: the manifest means its own neighbour, wherever a command runs."""
    relative = channel is not None and (channel in (".", "..") or channel.startswith(("./", "../", ".\\", "..\\")))
    if not relative:
        return channel
    from minipixi.channel.names import channel_base_url  # lazy: only path channels need it

    return channel_base_url(str(workspace.root.absolute() / channel))


def combine_specs(first: DependencySpec, second: DependencySpec) -> DependencySpec:
    """Both specs must hold: versions are joined with ',' (and), other fields must agree."""
    if first == second:
        return first
    versions = [v for v in (first.version, second.version) if v and v != "*"]
    version = ",".join(dict.fromkeys(versions)) if versions else (first.version or second.version)
    for attribute in ("build", "channel", "subdir"):
        a, b = getattr(first, attribute), getattr(second, attribute)
        if a and b and a != b:
            raise ManifestError(f"two features ask for different {attribute}s of '{first.name}': '{a}' and '{b}'",
                                hint="keep the spec of this package in one feature only")
    return DependencySpec(first.name, version=version, build=first.build or second.build,
                          channel=first.channel or second.channel, subdir=first.subdir or second.subdir,
                          build_number=first.build_number or second.build_number,
                          md5=first.md5 or second.md5, sha256=first.sha256 or second.sha256,
                          file_name=first.file_name or second.file_name, license=first.license or second.license,
                          source=first.source or second.source, refused=first.refused or second.refused)


def _combined(per_feature: list[dict[str, DependencySpec]]) -> dict[str, DependencySpec]:
    result: dict[str, DependencySpec] = {}
    for deps in per_feature:
        for name, spec in deps.items():
            result[name] = combine_specs(result[name], spec) if name in result else spec
    return result


def _version_key(text: str) -> Any:
    try:
        return Version(text)
    except MinipixiError:  # not a conda version: compare its numbers
        return tuple(int(p) if p.isdigit() else 0 for p in text.replace("-", ".").split("."))


def _highest(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return b if _version_key(b) > _version_key(a) else a


def merge_system_requirements(items: Iterable[SystemRequirements]) -> SystemRequirements:
    """The highest of each requirement wins; two different archspecs or libc families clash."""
    result = SystemRequirements()
    for req in items:
        for attribute in ("archspec", "libc_family"):
            a, b = getattr(result, attribute), getattr(req, attribute)
            if a and b and a != b:
                raise ManifestError(f"cannot combine system requirements: {attribute} '{a}' and '{b}'",
                                    hint="use features with compatible system requirements in one environment")
        result = SystemRequirements(
            cuda=_highest(result.cuda, req.cuda), libc_family=result.libc_family or req.libc_family,
            libc=_highest(result.libc, req.libc), linux=_highest(result.linux, req.linux),
            macos=_highest(result.macos, req.macos), archspec=result.archspec or req.archspec,
        )
    return result


def platform_requirements(entry: PlatformEntry) -> SystemRequirements:
    v = entry.virtual
    return SystemRequirements(cuda=v.get("cuda"), libc_family="glibc" if "glibc" in v else None,
                              libc=v.get("glibc"), linux=v.get("linux"), macos=v.get("macos"),
                              archspec=v.get("archspec"))


def applicable_virtual_packages(req: SystemRequirements, subdir: str) -> dict[str, str]:
    """The virtual packages `req` asks for that exist on `subdir` (``__cuda`` not on osx)."""
    family = _family(subdir)
    candidates = {
        "__cuda": req.cuda if family in ("linux", "win") else None,
        f"__{req.libc_family or 'glibc'}": req.libc if family == "linux" else None,
        "__linux": req.linux if family == "linux" else None,
        "__osx": req.macos if family == "osx" else None,
        "__archspec": req.archspec,
    }
    return {name: version for name, version in candidates.items() if version}


# ---- the answer ----------------------------------------------------------------------------
# --8<-- [start:resolve]
def resolve_environment(workspace: Workspace, environment: str, platform: str) -> ResolvedEnvironment:
    """Flatten `environment` for `platform` (a platform name or subdir); see the module rules.

    Raises ManifestError (located at the manifest) for an unknown environment or platform, and
    for features whose specs or system requirements cannot be combined.
    """
    try:
        return _resolve(workspace, environment, platform)
    except ManifestError as err:
        if err.where is None:
            err.where = str(workspace.path)
        raise


def _resolve(workspace: Workspace, environment: str, platform: str) -> ResolvedEnvironment:
    env = get_environment(workspace, environment)
    entry = _platform_entry(workspace, env, platform)
    features = environment_features(workspace, env)
    layers = [targets_for(feature, entry) for feature in features]
    requirements = merge_system_requirements(
        [f.system_requirements for f in features] + [platform_requirements(entry)])
    kinds = ("dependencies", "host_dependencies", "build_dependencies")
    dependencies = _with_channels(workspace, _combined([_overlay(ts, kind) for kind in kinds for ts in layers]))
    constraints = _with_channels(workspace, _combined([_overlay(ts, "constraints") for ts in layers]))
    return ResolvedEnvironment(
        environment=env.name, platform=entry.name, subdir=entry.subdir, features=env.feature_names(),
        channels=environment_channels(workspace, features),
        channel_priority=next((f.channel_priority for f in features if f.channel_priority), workspace.channel_priority),
        dependencies=dependencies, constraints=constraints,
        pypi_dependencies={k: v for ts in reversed(layers) for k, v in _overlay(ts, "pypi_dependencies").items()},
        system_requirements=requirements,
        virtual_packages=_with_windows(applicable_virtual_packages(requirements, entry.subdir), entry),
        tasks={k: v for ts in reversed(layers) for k, v in _overlay(ts, "tasks").items()},
        activation=_activation(layers),
        solve_group=env.solve_group,
        host_dependencies=_combined([_overlay(ts, "host_dependencies") for ts in layers]),
        build_dependencies=_combined([_overlay(ts, "build_dependencies") for ts in layers]),
        solve_strategy=next((f.solve_strategy for f in features if f.solve_strategy), workspace.solve_strategy),
        unsupported=_unsupported(workspace, features, entry, dependencies, constraints),
    )
# --8<-- [end:resolve]


def _with_channels(workspace: Workspace, specs: dict[str, DependencySpec]) -> dict[str, DependencySpec]:
    """Specs whose ``channel`` is a relative path get the folder under the workspace root."""
    return {name: replace(spec, channel=workspace_channel(workspace, spec.channel)) if spec.channel else spec
            for name, spec in specs.items()}


def _unsupported(workspace: Workspace, features: list[Feature], entry: PlatformEntry,
                 *spec_tables: Mapping[str, DependencySpec]) -> tuple[Unsupported, ...]:
    """The settings minipixi cannot honour that apply to these features on `entry`."""
    found = list(workspace.unsupported)
    for feature in features:
        found += [u for u in feature.unsupported if u.selector is None or target_rank(u.selector, entry) is not None]
    found += [spec.refused for table in spec_tables for spec in table.values() if spec.refused is not None]
    return tuple(found)


def _with_windows(packages: dict[str, str], entry: PlatformEntry) -> dict[str, str]:
    """A rich win entry may declare ``windows = "10"`` (there is no system requirement for it)."""
    if "windows" in entry.virtual and _family(entry.subdir) == "win":
        return {**packages, "__win": entry.virtual["windows"]}
    return packages


def _activation(layers: list[list[Target]]) -> Activation:
    """Scripts in order (default feature first), variables merged (more specific wins)."""
    scripts: list[str] = []
    env: dict[str, str] = {}
    for targets in reversed(layers):
        for target in targets:
            if target.activation is not None:
                scripts.extend(s for s in target.activation.scripts if s not in scripts)
                env.update(target.activation.env)
    return Activation(tuple(scripts), env)


def require_conda_only(resolved: ResolvedEnvironment, workspace: Workspace) -> None:
    """Raise a clear ManifestError if the environment needs PyPI packages (not solvable yet),
    or uses another setting minipixi cannot honour (`ResolvedEnvironment.require_supported`)."""
    resolved.require_supported()
    if resolved.pypi_dependencies:
        names = ", ".join(sorted(resolved.pypi_dependencies))
        raise ManifestError(
            f"PyPI dependencies are not supported by minipixi yet: environment '{resolved.environment}' "
            f"has pypi-dependencies ({names}), which minipixi cannot solve yet",
            where=str(workspace.path),
            hint="use the conda packages of the same name in [dependencies] instead, "
            "or solve this workspace with pixi itself",
        )


def list_tasks(workspace: Workspace, environment: str | None = None) -> dict[str, Task]:
    """Every task name -> task, for one environment (all its platforms) or the whole workspace."""
    tasks: dict[str, Task] = {}
    envs = [workspace.environment(environment)] if environment else list(workspace.environments.values())
    for env in envs:
        for platform in environment_platforms(workspace, env) or [None]:
            for name in reversed(env.feature_names()):
                feature = workspace.features[name]
                layers = targets_for(feature, workspace.platform(platform)) if platform else [feature.default]
                for target in layers:
                    tasks.update(target.tasks)
    return dict(sorted(tasks.items()))
