"""The schema of pixi.toml, as data: which keys each table may hold, and what a name may be.

Pixi publishes a JSON schema for its manifest; minipixi keeps the part it checks as plain tuples
and patterns, one per kind of table, so a reader can see at a glance what ``[feature.X]`` or a
task table accepts. The shape pass (`manifest/shape.py`) turns a key that is not listed into
"unexpected key 'featur'" with a did-you-mean, so a typo fails where it was written.

Some listed keys are valid Pixi that minipixi cannot honour (``exclude-newer``, a git source,
``[dev]``): they are accepted here and kept as an `Unsupported` setting (`manifest/model.py`) by
the parser, never silently ignored.

Lesson: Episode 2 ("the manifest"). Read after `manifest/find.py`; read next
`manifest/shape.py`. Ground truth: Pixi's manifest schema.
"""

from __future__ import annotations

import re

from minipixi.manifest.model import PLATFORM_VIRTUAL_KEYS


#: Where the pixi part of a pyproject.toml sits: every key path of the manifest is under it.
PYPROJECT_PREFIX = ("tool", "pixi")
#: The pixi-build message: a ``[package]`` manifest describes a package to build, not a workspace.
PACKAGE_BUILD_UNSUPPORTED = "building packages ([package], pixi build) is not supported by minipixi"

# --8<-- [start:allowed-keys]
TOP_LEVEL_KEYS = (
    "$schema", "workspace", "project", "package", "target", "dependencies", "host-dependencies",
    "build-dependencies", "constraints", "exclude-newer", "pypi-dependencies",
    "pypi-exclude-newer", "dev", "activation", "tasks", "feature", "environments",
    "pypi-options", "system-requirements", "tool",
)
WORKSPACE_KEYS = (
    "name", "version", "description", "authors", "channels", "platforms", "channel-priority",
    "requires-pixi", "license", "license-file", "readme", "homepage", "repository",
    "documentation", "conda-pypi-map", "preview", "pypi-options", "solve-strategy",
    "exclude-newer", "build-variants", "build-variants-files", "dependencies", "target",
    "s3-options",
)
TARGET_KEYS = (
    "dependencies", "host-dependencies", "build-dependencies", "constraints",
    "pypi-dependencies", "dev", "activation", "tasks",
)
FEATURE_KEYS = TARGET_KEYS + (
    "platforms", "channels", "channel-priority", "solve-strategy", "system-requirements",
    "target", "pypi-options",
)
ENVIRONMENT_KEYS = (
    "features", "solve-group", "no-default-feature", "platforms", "channels",
    "channel-priority", "solve-strategy", "target", "dependencies", "pypi-dependencies",
    "constraints", "dev", "activation", "tasks", "pypi-options",
)
TASK_KEYS = (
    "cmd", "inputs", "outputs", "depends-on", "depends_on", "cwd", "env",
    "default-environment", "description", "clean-env", "args",
)
SPEC_KEYS = (
    "version", "build", "build-number", "channel", "subdir", "md5", "sha256", "file-name",
    "license", "license-family", "track-features", "url", "path", "git", "branch", "tag",
    "rev", "subdirectory", "lfs", "extras", "flags", "package", "when", "workspace",
)
SYSTEM_REQUIREMENT_KEYS = ("macos", "linux", "cuda", "libc", "archspec", "unix")
PLATFORM_ENTRY_KEYS = ("name", "platform", "osx") + PLATFORM_VIRTUAL_KEYS
PACKAGE_KEYS = (
    "name", "version", "description", "authors", "license", "license-file", "readme",
    "homepage", "repository", "documentation", "build", "host-dependencies",
    "build-dependencies", "run-dependencies", "run-constraints", "run-exports",
    "extra-dependencies", "publish", "target",
)
#: What a ``[package.target.SELECTOR]`` table may hold.
PACKAGE_TARGET_KEYS = ("build-dependencies", "host-dependencies", "run-dependencies", "run-constraints",
                       "run-exports", "extra-dependencies", "build")
# --8<-- [end:allowed-keys]

ENVIRONMENT_NAME = re.compile(r"^[a-z\d\-]+$")
PLATFORM_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$|^[a-zA-Z]$")
TASK_NAME = re.compile(r"^[^\s\$\x00-\x1f\x7f]+$")
FEATURE_NAME = re.compile(r"^[^\x00-\x1f\x7f]+$")
ARG_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z\d_]*$")
PACKAGE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A system requirement or virtual package version: numbers and dots (``12``, ``2.28``).
REQUIREMENT_VERSION = re.compile(r"^\d{1,9}(\.\d{1,9}){0,5}$")
SOLVE_STRATEGIES = ("highest", "lowest", "lowest-direct")
CHANNEL_PRIORITIES = ("strict", "flexible", "disabled")
#: Keys of a conda dependency table that minipixi cannot express in a MatchSpec (yet); the
#: git keys (branch, tag, ...) mean nothing without a git source.
UNSUPPORTED_SPEC_KEYS = ("when", "track-features", "license-family", "extras", "flags", "branch", "tag",
                         "rev", "subdirectory", "lfs", "package")
#: Keys that make a conda dependency a source (or direct-URL) dependency.
SOURCE_SPEC_KEYS = ("git", "path", "url")
TARGET_GLOB = re.compile(r"^[A-Za-z0-9*?-]+$")
