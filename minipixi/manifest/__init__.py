"""The manifest: read, check, resolve and edit pixi.toml, the file learners write first.

pixi.toml is declarative: it says *what* a workspace needs (channels, platforms, dependency
specs, tasks, environments made of features), never *how* to get it. This package turns that
text into data the rest of minipixi can use, and changes the text for commands like `add`:

- `model.py`: the nouns (Workspace, Feature, Environment, PlatformEntry, Task, ...);
- `locate.py`: where each key sits in the text, so errors can point at it;
- `parse.py`: text -> checked Workspace, or a ManifestError with file:line:col, a caret, a hint;
- `resolve.py`: (environment, platform) -> ResolvedEnvironment, following Pixi's rules;
- `edit.py`: init / add / remove / task / platform / environment edits that keep comments and
  formatting (tomlkit), validated before an atomic write.

Lesson: Episode 2 ("the manifest", "tasks", "multi-platform", "multi-environment") and Episode 5
(system requirements and rich platform entries). Read first; read next `matchspec.py` and
`solver.py`. Ground truth: Pixi's manifest schema and the pixi_manifest crate's error snapshots.
"""

from minipixi.manifest.model import (
    DEFAULT_ENVIRONMENT, DEFAULT_FEATURE, KNOWN_PLATFORMS, Activation, ChannelEntry,
    DependencySpec, DependsOn, Environment, Feature, PlatformEntry, PypiDependency,
    SystemRequirements, Target, Task, TaskArg, Workspace,
)
from minipixi.manifest.parse import MANIFEST_NAME, find_manifest, parse_manifest, read_manifest
from minipixi.manifest.resolve import ResolvedEnvironment, require_conda_only, resolve_environment

__all__ = [
    "DEFAULT_ENVIRONMENT", "DEFAULT_FEATURE", "KNOWN_PLATFORMS", "MANIFEST_NAME", "Activation",
    "ChannelEntry", "DependencySpec", "DependsOn", "Environment", "Feature", "PlatformEntry",
    "PypiDependency", "ResolvedEnvironment", "SystemRequirements", "Target", "Task", "TaskArg",
    "Workspace", "find_manifest", "parse_manifest", "read_manifest", "require_conda_only",
    "resolve_environment",
]
