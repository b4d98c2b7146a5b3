"""The Workspace: a whole manifest, and the questions the rest of minipixi asks it.

`manifest/parse.py` builds one `Workspace` from pixi.toml: its name, channels and platforms, the
features (``default`` holds the top-level tables) and the environments made of them, plus the
warnings the CLI shows and the settings minipixi cannot honour. The nouns it is made of are in
`manifest/model.py`.

Most callers then ask one question: what does environment E need on platform P? The answer,
following Pixi's layering rules, is `manifest/resolve.py`; the methods here (`environment`,
`environment_platforms`, `resolve`) are the short way to ask it. Keeping this class apart from
the nouns lets the resolver build on the nouns and this class build on both, with no module
needing the one after it.

Lesson: Episode 2 ("multi-environment"). Read after `manifest/resolve.py`; read next
`manifest/edit.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from minipixi.manifest.model import DEFAULT_FEATURE, ChannelEntry, Environment, Feature, PlatformEntry, Unsupported
from minipixi.manifest.resolve import ResolvedEnvironment, environment_platforms, get_environment, resolve_environment


@dataclass(frozen=True)
class Workspace:
    """A whole pixi.toml. `features` holds ``default``; `environments` holds ``default``.

    `warnings` are things Pixi would warn about (deprecated tables, unused features...);
    `syntax_warnings` is the part about how the file is written (deprecated or ignored forms),
    which the CLI shows on every command, as Pixi logs its "project-deprecated" warnings. The
    library never prints. Read one with `read_manifest`; ask it questions with
    `resolve`.
    """

    path: Path
    name: str
    channels: tuple[ChannelEntry, ...]
    platforms: tuple[PlatformEntry, ...]
    features: Mapping[str, Feature]
    environments: Mapping[str, Environment]
    version: str | None = None
    authors: tuple[str, ...] = ()
    description: str | None = None
    channel_priority: str = "strict"
    solve_strategy: str = "highest"
    requires_pixi: str | None = None
    unsupported: tuple[Unsupported, ...] = ()  # workspace-wide settings minipixi cannot honour
    legacy_project: bool = False
    warnings: tuple[str, ...] = ()
    syntax_warnings: tuple[str, ...] = ()
    # The pixi part of the TOML as parsed, for the settings the model keeps only as "set"
    # (exclude-newer, pypi-options, conditions: `lock/satisfiability.py`), so no reader needs
    # to open the file again (and a manifest edited in memory is read as edited).
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def root(self) -> Path:
        """The workspace folder (where pixi.toml lives)."""
        return self.path.parent

    @property
    def default_feature(self) -> Feature:
        return self.features[DEFAULT_FEATURE]

    @property
    def uses_pypi(self) -> bool:
        """Does any feature, for any platform, ask for a PyPI dependency?"""
        return any(target.pypi_dependencies for feature in self.features.values()
                   for target in (feature.default, *feature.targets.values()))

    def platform(self, name: str) -> PlatformEntry:
        """The platform entry called `name` (a rich name or a plain subdir); KeyError if none."""
        for entry in self.platforms:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def environment(self, name: str) -> Environment:
        """The environment `name`; raises ManifestError naming the known ones."""
        return get_environment(self, name)

    def environment_platforms(self, name: str) -> tuple[str, ...]:
        return environment_platforms(self, self.environment(name))

    def resolve(self, environment: str, platform: str) -> ResolvedEnvironment:
        """What `environment` needs on `platform`: a `ResolvedEnvironment` (`resolve_environment`)."""
        return resolve_environment(self, environment, platform)
