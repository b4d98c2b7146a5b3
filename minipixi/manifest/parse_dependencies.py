"""Dependency tables: ``numpy = ">=2"`` and its table form, checked where the learner wrote them.

Every ``[dependencies]``, ``[host-dependencies]``, ``[build-dependencies]`` and ``[constraints]``
entry is a package name and a spec: a string (version, then optionally a build: ``"2.* py312*"``)
or a table (``{ version = ">=2", channel = "conda-forge" }``). The spec is read with the real
spec parser (`matchspec.py`), so ``numpy = ">=2,,3"`` is an error on its own line here rather
than a puzzle inside the solver later. ``{ workspace = true }`` takes the spec written in
``[workspace.dependencies]``.

A source dependency (``git``, ``path``, ``url``: pixi-build) or a key minipixi cannot express is
kept as an `Unsupported` setting, raised only when a solve needs that environment.
``[pypi-dependencies]`` are kept as written here; `app/pypi_lock.py` reads them when it locks
(versions, extras, markers, ``index``, and ``url`` / ``path`` to a wheel; forms that need a
build are refused there).

Lesson: Episode 2 ("the manifest"). Read after `manifest/shape.py`; read next
`manifest/parse_tasks.py`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from minipixi.errors import MinipixiError
from minipixi.manifest.model import DependencySpec, PypiDependency, Unsupported
from minipixi.manifest.schema import PACKAGE_NAME, SOURCE_SPEC_KEYS, SPEC_KEYS, UNSUPPORTED_SPEC_KEYS
from minipixi.manifest.shape import ParseContext, check_keys, check_version_spec, expect, quoted
from minipixi.matchspec import MatchSpec


def parse_spec_string(name: str, text: str) -> DependencySpec:
    """``numpy = ">=2"`` (or ``"2.* py312*"``, version then build) as a DependencySpec.

    Raises MinipixiError (MatchSpecError) when the text is not a valid spec.
    """
    text = text.strip()
    spec = MatchSpec.parse(f"{name} {text}")
    version = str(spec.version) if spec.version is not None else None
    if " " not in text and not spec.build:
        version = text  # keep the text exactly as the learner wrote it
    return DependencySpec(name, version=version, build=spec.build, channel=spec.channel)


def parse_dependency(ctx: ParseContext, name: str, value: Any, path: Sequence[Any]) -> DependencySpec:
    """One entry of a ``*dependencies`` / ``constraints`` table."""
    if not PACKAGE_NAME.fullmatch(name):
        raise ctx.error(path, f"{quoted(name)} is not a valid package name",
                        "package names use letters, digits, '.', '-' and '_'")
    expect(ctx, value, (str, dict), path, f"the spec of '{name}'")
    if isinstance(value, str):
        try:
            return parse_spec_string(name, value)
        except MinipixiError as err:
            raise ctx.error(path, f"invalid spec for '{name}': {err.message}",
                            'a spec looks like ">=1.2,<2", "1.2.*" or "*"', at_value=True) from err
    check_keys(ctx, value, SPEC_KEYS, path)
    if "workspace" in value:
        return _workspace_dependency(ctx, name, value, path)
    for key in ("version", "build", "channel", "subdir", "md5", "sha256", "file-name", "license"):
        if key in value:
            expect(ctx, value[key], (str,), tuple(path) + (key,), f"'{key}' of '{name}'")
    if "build-number" in value:
        expect(ctx, value["build-number"], (str, int), tuple(path) + ("build-number",), f"'build-number' of '{name}'")
    if "version" in value:
        check_version_spec(ctx, value["version"], tuple(path) + ("version",), f"'{name}'")
    source = {k: value[k] for k in SOURCE_SPEC_KEYS if k in value}
    return DependencySpec(
        name, version=value.get("version"), build=value.get("build"),
        build_number=None if "build-number" not in value else str(value["build-number"]),
        channel=value.get("channel"), subdir=value.get("subdir"), md5=value.get("md5"),
        sha256=value.get("sha256"), file_name=value.get("file-name"), license=value.get("license"),
        source={k: value[k] for k in value if k not in ("version", "build", "channel")} if source else None,
        refused=_refused_spec(ctx, name, value, path),
    )


def _refused_spec(ctx: ParseContext, name: str, value: Mapping[str, Any], path: Sequence[Any]) -> Unsupported | None:
    """Why minipixi cannot solve this dependency table as written (None when it can)."""
    source = [k for k in SOURCE_SPEC_KEYS if k in value]
    if source:
        return ctx.unsupported_setting(
            tuple(path) + (source[0],), source[0],
            f"'{name}' is a {source[0]} dependency: source/git/path conda dependencies (pixi-build) "
            "are not supported by minipixi",
            f'depend on the package from a channel instead, e.g. {name} = "*", or use pixi itself')
    unknown = [k for k in UNSUPPORTED_SPEC_KEYS if k in value]
    if unknown:
        return ctx.unsupported_setting(
            tuple(path) + (unknown[0],), unknown[0],
            f"'{unknown[0]}' in the spec of '{name}' is not supported by minipixi",
            f"remove '{unknown[0]}' (minipixi would otherwise solve without it), or use pixi itself")
    return None


def _workspace_dependency(ctx: ParseContext, name: str, value: Mapping[str, Any], path: Sequence[Any]) -> DependencySpec:
    """``numpy = { workspace = true }``: the spec written in ``[workspace.dependencies]``."""
    flag_path = tuple(path) + ("workspace",)
    if value["workspace"] is not True:
        raise ctx.error(flag_path, f"'workspace' of '{name}' can only be true",
                        f'write {name} = {{ workspace = true }}, or give the spec itself', at_value=True)
    others = [k for k in value if k != "workspace"]
    if others:
        raise ctx.error(tuple(path) + (others[0],), f"'{name}' takes its spec from [workspace.dependencies] "
                        f"and cannot add '{others[0]}'", f"change the spec of '{name}' in [workspace.dependencies]")
    if name not in ctx.pool:
        raise ctx.error(flag_path, f"'{name}' asks for its spec from the workspace, but [workspace.dependencies] "
                        "has no such entry", f'add {name} = "*" (or a version) to [workspace.dependencies]')
    return ctx.pool[name]


def parse_dependency_table(ctx: ParseContext, table: Any, path: Sequence[Any]) -> dict[str, DependencySpec]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    return {name: parse_dependency(ctx, name, value, tuple(path) + (name,)) for name, value in table.items()}


def parse_pypi_table(ctx: ParseContext, table: Any, path: Sequence[Any]) -> dict[str, PypiDependency]:
    table = expect(ctx, table, (dict,), path, f"[{ctx.table_name(path)}]")
    for name, value in table.items():
        expect(ctx, value, (str, dict), tuple(path) + (name,), f"the PyPI requirement of '{name}'")
    return {name: PypiDependency(name, value) for name, value in table.items()}
