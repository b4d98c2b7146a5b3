"""The nouns of pixi.toml, as plain frozen dataclasses.

A workspace is a set of **features** (bundles of dependencies, tasks, channels, platforms and
system requirements) and **environments** (named lists of features). Everything written at the
top level of pixi.toml (``[dependencies]``, ``[tasks]``, ...) is the feature named ``default``,
which every environment includes unless it says ``no-default-feature = true``.

Inside a feature, ``[target.SELECTOR.*]`` tables hold what applies to some platforms only; the
selector is a platform (``linux-64``), a family (``unix``, ``linux``, ``osx``, ``win``), the name
of a rich platform entry (``linux-64-cuda``) or a glob over those names (``cuda-*``).

These classes only hold data. `manifest/parse.py` builds them from TOML (and checks them),
`manifest/resolve.py` answers "what does environment E on platform P need?", the `Workspace`
that holds them all is `manifest/workspace.py`, and `manifest/edit.py` changes the TOML text.

Lesson: Episode 2 ("the manifest", "multi-environment") and Episode 5 (platform entries). The
first module of `manifest/`; read next `manifest/locate.py`. Ground truth: Pixi's manifest
schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from minipixi.errors import ManifestError
from minipixi.matchspec import MatchSpec

DEFAULT_FEATURE = "default"
DEFAULT_ENVIRONMENT = "default"

#: The conda subdirs Pixi knows (from its manifest schema).
KNOWN_PLATFORMS = (
    "emscripten-wasm32", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-ppc64", "linux-ppc64le", "linux-riscv32", "linux-riscv64", "linux-s390x", "noarch",
    "osx-64", "osx-arm64", "unknown", "wasi-wasm32", "win-32", "win-64", "win-arm64", "zos-z",
)

#: Target selectors that name a family of platforms rather than one platform.
SELECTORS = ("unix", "linux", "osx", "win")

#: Virtual-package keys of a rich platform entry, in the order we write them.
PLATFORM_VIRTUAL_KEYS = ("cuda", "glibc", "linux", "macos", "windows", "archspec")


@dataclass(frozen=True)
class Unsupported:
    """A setting the manifest uses that minipixi cannot honour (yet), and where it is written.

    Reading such a manifest works (`task list`, `shell-hook` of an installed environment...);
    solving an environment the setting applies to raises `error()`, because an answer that
    ignored it would be wrong (``solve-strategy = "lowest"`` answered with the highest versions).
    `feature`/`selector` say where it applies (None: the whole workspace / every platform).
    """

    setting: str
    message: str
    where: Any = None  # a minipixi.errors.Location
    details: str | None = None
    hint: str | None = None
    feature: str | None = None
    selector: str | None = None

    def error(self):
        return ManifestError(self.message, where=self.where, details=self.details, hint=self.hint)


@dataclass(frozen=True)
class DependencySpec:
    """One conda dependency as written: ``numpy = ">=2"`` or ``numpy = {version=, build=, ...}``.

    `version` is the version-spec text (None means any version). Source dependencies (``path``,
    ``git``, ``url``) keep their table in `source`; minipixi does not build from source, so
    such a spec (or one with a key minipixi cannot express, like ``when``) carries `refused`,
    which stops a solve instead of asking for the channel package of the same name.
    """

    name: str
    version: str | None = None
    build: str | None = None
    build_number: str | None = None
    channel: str | None = None
    subdir: str | None = None
    md5: str | None = None
    sha256: str | None = None
    file_name: str | None = None
    license: str | None = None
    source: Mapping[str, Any] | None = None
    refused: Unsupported | None = field(default=None, compare=False, repr=False)

    def matchspec_text(self) -> str:
        """The conda MatchSpec string for this dependency, e.g. ``pytorch >=2.7 cuda*``."""
        head = f"{self.channel}::{self.name}" if self.channel else self.name
        version = self.version or "*"
        parts = [head]
        if version != "*" or self.build:
            parts.append(version.replace(" ", ""))
        if self.build:
            parts.append(self.build)
        brackets = [
            f"{key}={value}"
            for key, value in (
                ("build_number", self.build_number), ("subdir", self.subdir), ("md5", self.md5),
                ("sha256", self.sha256), ("fn", self.file_name), ("license", self.license),
            )
            if value is not None
        ]
        text = " ".join(parts)
        return text + (f"[{','.join(brackets)}]" if brackets else "")

    def to_matchspec(self):
        """This dependency as a `minipixi.matchspec.MatchSpec` (raises MatchSpecError)."""
        return MatchSpec.parse(self.matchspec_text())


@dataclass(frozen=True)
class PypiDependency:
    """A ``[pypi-dependencies]`` entry, kept as written (read by `pypi/` when the lock resolves it)."""

    name: str
    requirement: Any


@dataclass(frozen=True)
class TaskArg:
    """A declared task argument: ``args = ["x", {arg = "y", default = "1"}]``."""

    arg: str
    default: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DependsOn:
    """One entry of ``depends-on``: a task name, optionally with arguments and an environment."""

    task: str
    args: tuple[Any, ...] = ()
    environment: str | None = None


@dataclass(frozen=True)
class Task:
    """A task. `cmd` is None for a task that only gathers its `depends_on` (the lesson's start)."""

    name: str
    cmd: str | tuple[str, ...] | None = None
    depends_on: tuple[DependsOn, ...] = ()
    description: str | None = None
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[TaskArg, ...] = ()
    clean_env: bool = False
    default_environment: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activation:
    """``[activation]``: scripts to source and variables to set when entering an environment."""

    scripts: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SystemRequirements:
    """The legacy ``[system-requirements]`` table: minimum versions the machine must have.

    Each becomes a virtual package the solver may rely on: cuda -> ``__cuda``, libc ->
    ``__glibc`` (or ``__musl``), linux -> ``__linux``, macos -> ``__osx``, archspec ->
    ``__archspec``. All fields are version strings (or None).
    """

    cuda: str | None = None
    libc_family: str | None = None
    libc: str | None = None
    linux: str | None = None
    macos: str | None = None
    archspec: str | None = None

    def is_empty(self) -> bool:
        return self == SystemRequirements()


@dataclass(frozen=True)
class ChannelEntry:
    """A channel as listed in ``channels``; a higher `priority` is searched first."""

    channel: str
    priority: int = 0


@dataclass(frozen=True)
class PlatformEntry:
    """One item of ``workspace.platforms``.

    A plain string ``"linux-64"`` is an entry whose `name` and `subdir` are both linux-64. A rich
    entry ``{name = "linux-64-cuda", platform = "linux-64", cuda = "12"}`` also declares virtual
    packages the machines of that platform are guaranteed to have (`virtual`: key -> version,
    keys from PLATFORM_VIRTUAL_KEYS). This is how current Pixi replaces [system-requirements].
    """

    name: str
    subdir: str
    virtual: Mapping[str, str] = field(default_factory=dict)
    rich: bool = False
    named: bool = True


@dataclass(frozen=True)
class Target:
    """What a feature says for one selector (or, with selector None, for every platform)."""

    selector: str | None = None
    dependencies: Mapping[str, DependencySpec] = field(default_factory=dict)
    host_dependencies: Mapping[str, DependencySpec] = field(default_factory=dict)
    build_dependencies: Mapping[str, DependencySpec] = field(default_factory=dict)
    constraints: Mapping[str, DependencySpec] = field(default_factory=dict)
    pypi_dependencies: Mapping[str, PypiDependency] = field(default_factory=dict)
    tasks: Mapping[str, Task] = field(default_factory=dict)
    activation: Activation | None = None


@dataclass(frozen=True)
class Feature:
    """A named bundle. None for `platforms`/`channels`/`channel_priority` means "not set here"."""

    name: str
    platforms: tuple[str, ...] | None = None
    channels: tuple[ChannelEntry, ...] | None = None
    channel_priority: str | None = None
    solve_strategy: str | None = None
    unsupported: tuple[Unsupported, ...] = ()  # settings here minipixi cannot honour
    system_requirements: SystemRequirements = field(default_factory=SystemRequirements)
    default: Target = field(default_factory=Target)
    targets: Mapping[str, Target] = field(default_factory=dict)


@dataclass(frozen=True)
class Environment:
    """A named list of features; environments in one `solve_group` are solved together."""

    name: str
    features: tuple[str, ...] = ()
    solve_group: str | None = None
    no_default_feature: bool = False
    platforms: tuple[str, ...] | None = None

    def feature_names(self) -> tuple[str, ...]:
        """The features in priority order: the listed ones first, then ``default`` (if used)."""
        if self.no_default_feature or DEFAULT_FEATURE in self.features:
            return self.features
        return self.features + (DEFAULT_FEATURE,)
