"""The manifest: read, check, resolve and edit pixi.toml, the file learners write first.

pixi.toml is declarative: it says *what* a workspace needs (channels, platforms, dependency
specs, tasks, environments made of features), never *how* to get it. This package turns that
text into data the rest of minipixi can use, and changes the text for commands like `add`.
Its modules, in reading order:

- the nouns: `manifest/model.py` (Feature, Environment, PlatformEntry, Task, ...);
- reading: `manifest/locate.py` (where each key sits in the text, so errors can point at it),
  `manifest/find.py` (which file is the manifest), `manifest/schema.py` (the allowed keys),
  `manifest/shape.py` (the checks and their located errors), then one module per part of the
  file: `manifest/parse_dependencies.py`, `manifest/parse_tasks.py`,
  `manifest/parse_settings.py`, `manifest/parse_platforms.py`, `manifest/parse_features.py`,
  `manifest/pyproject.py`, and `manifest/parse.py`, which puts them together: text -> checked
  Workspace, or a ManifestError with file:line:col, a caret and a hint;
- answering: `manifest/resolve.py` ((environment, platform) -> ResolvedEnvironment, following
  Pixi's rules) and `manifest/workspace.py` (the Workspace that asks it);
- editing, keeping comments and formatting (tomlkit), validated before an atomic write:
  `manifest/edit.py` (the steps every edit shares), `manifest/specs.py`, `manifest/pins.py`,
  `manifest/edit_dependencies.py`, `manifest/edit_tasks.py`, `manifest/edit_workspace.py`,
  `manifest/migrate.py`, `manifest/init.py` (with `manifest/machine.py`) and
  `manifest/environment_yml.py`.

Lesson: Episode 2 ("the manifest", "tasks", "multi-platform", "multi-environment") and Episode 5
(system requirements and rich platform entries). Read after `matchspec.py`; read next `solver/`.
Ground truth: Pixi's manifest schema and the pixi_manifest crate's error snapshots.
"""

from minipixi.manifest.find import MANIFEST_NAME, find_manifest
from minipixi.manifest.model import (
    DEFAULT_ENVIRONMENT, DEFAULT_FEATURE, KNOWN_PLATFORMS, Activation, ChannelEntry,
    DependencySpec, DependsOn, Environment, Feature, PlatformEntry, PypiDependency,
    SystemRequirements, Target, Task, TaskArg,
)
from minipixi.manifest.parse import parse_manifest, read_manifest
from minipixi.manifest.resolve import ResolvedEnvironment, require_conda_only, resolve_environment
from minipixi.manifest.workspace import Workspace

__all__ = [
    "DEFAULT_ENVIRONMENT", "DEFAULT_FEATURE", "KNOWN_PLATFORMS", "MANIFEST_NAME", "Activation",
    "ChannelEntry", "DependencySpec", "DependsOn", "Environment", "Feature", "PlatformEntry",
    "PypiDependency", "ResolvedEnvironment", "SystemRequirements", "Target", "Task", "TaskArg",
    "Workspace", "find_manifest", "parse_manifest", "read_manifest", "require_conda_only",
    "resolve_environment",
]
