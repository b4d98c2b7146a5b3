"""Reading pixi.toml: TOML text in, a checked `Workspace` out, or an error that points at the text.

The same reader takes Pixi's second format, a Python project's ``pyproject.toml`` whose
``[tool.pixi]`` table is the manifest (`manifest/pyproject.py`: what ``[project]`` adds;
`manifest/find.py`: how minipixi looks for one). A manifest that only describes a package to
build (``[package]``, pixi-build) is refused by name.

Parsing happens in three passes, each small; this module runs them in order (`parse_manifest`),
and each part of the file has its own module:

1. **TOML**: tomlkit turns the text into nested dicts (a syntax error already has a line).
2. **Shape**: walk the dicts table by table (`manifest/shape.py`). Every table has a list of
   allowed keys (`manifest/schema.py`), so a typo becomes "unexpected key 'featur'" with a
   did-you-mean; every value is checked for its type. Dependency specs are checked with
   `MatchSpec` / `VersionSpec` (`manifest/parse_dependencies.py`), so ``numpy = ">=2,,3"``
   fails here, where the learner wrote it, and not later inside the solver. Tasks:
   `manifest/parse_tasks.py`; the [workspace] table and its settings:
   `manifest/parse_settings.py`; channels, platforms and system requirements:
   `manifest/parse_platforms.py`; features, targets and environments:
   `manifest/parse_features.py`.
3. **References**: environments name features that must exist, features name platforms that
   must be declared, tasks depend on tasks that must exist and may not form a cycle, a
   ``[target.X]`` names a platform, a family or a platform entry.

Nothing is silently dropped. A value of the wrong type, a NUL in a name, an ``exclude-newer``
that is not a date, a ``requires-pixi`` that Pixi `PIXI_VERSION` does not meet: errors. A setting
that is valid Pixi but that minipixi cannot honour yet (``exclude-newer``, ``solve-strategy =
"lowest"``, a git dependency, ``[dev]``...) is kept as an `Unsupported` with its place, so the
manifest still loads, and raised when a solve needs it (see `manifest/resolve.py`).

Before all that, the text itself: bytes that are not UTF-8 (`read_manifest_text`), a lone CR
line end, and nesting deeper than ``MAX_NESTING`` (`manifest/locate.py`) are located errors;
a UTF-8 BOM is skipped.

Every error is a `ManifestError` whose `where` is ``pixi.toml:LINE:COL`` and whose `details`
show the line with a caret under the offending key (positions come from ``scan`` in
`manifest/locate.py`, because tomlkit does not keep them), plus a `hint` with the fix.

Lesson: Episode 2 ("the manifest"). Read after `manifest/pyproject.py`; read next
`manifest/resolve.py`. Ground truth: Pixi's manifest schema and the error snapshots of its
pixi_manifest crate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from minipixi.errors import Location, ManifestError, source_excerpt
from minipixi.manifest.find import MANIFEST_NAME, is_pyproject, manifest_in
from minipixi.manifest.locate import MAX_NESTING, decode_utf8, lone_cr, position
from minipixi.manifest.model import DEFAULT_ENVIRONMENT, DEFAULT_FEATURE, Environment, Feature, PlatformEntry
from minipixi.manifest.parse_features import check_environment_features, parse_environment, parse_feature
from minipixi.manifest.parse_platforms import (
    check_feature_platforms, check_target_selectors, parse_channels, parse_platforms,
)
from minipixi.manifest.parse_settings import check_exclude_newer, check_package, check_workspace_fields, workspace_table
from minipixi.manifest.parse_tasks import check_task_references
from minipixi.manifest.pyproject import add_python_project, pixi_part_of_pyproject, python_metadata
from minipixi.manifest.schema import FEATURE_KEYS, TOP_LEVEL_KEYS
from minipixi.manifest.shape import ParseContext, check_keys, dotted, expect, quoted
from minipixi.manifest.workspace import Workspace


# --8<-- [start:parse]
def parse_manifest(text: str, path: Path | str = MANIFEST_NAME) -> Workspace:
    """Parse and check the text of a pixi.toml; raise ManifestError pointing at the problem."""
    path = Path(path)
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark is not part of the TOML
    _check_line_ends(text, path)
    ctx = ParseContext(text, path)
    doc = parse_toml(ctx)
    python_project = None
    if is_pyproject(path):
        doc, python_project = pixi_part_of_pyproject(ctx, doc)
    _refuse_nul(ctx, doc)
    check_keys(ctx, doc, TOP_LEVEL_KEYS, ())
    key, ws = workspace_table(ctx, doc)
    check_workspace_fields(ctx, key, ws)
    check_package(ctx, doc)
    platforms = parse_platforms(ctx, ws.get("platforms", []), (key, "platforms"))
    channels = parse_channels(ctx, ws["channels"], (key, "channels"))
    for cutoff in ("exclude-newer", "pypi-exclude-newer"):
        if cutoff in doc:
            check_exclude_newer(ctx, doc[cutoff], (cutoff,), cutoff)
    workspace_unsupported = tuple(ctx.unsupported)
    ctx.unsupported.clear()
    top = {k: v for k, v in doc.items() if k in FEATURE_KEYS}
    features = {DEFAULT_FEATURE: parse_feature(ctx, DEFAULT_FEATURE, top, ())}
    features.update(_parse_named_features(ctx, doc.get("feature", {})))
    from_python = add_python_project(ctx, python_project, features) if python_project is not None else set()
    environments = _parse_environments(ctx, doc.get("environments", {}), features)
    check_feature_platforms(ctx, features, platforms)
    check_task_references(ctx, features)
    _collect_warnings(ctx, doc, features, environments, platforms, quiet=from_python)
    meta = python_metadata(ctx, python_project) if python_project is not None else {}
    return Workspace(
        path=path, name=ws.get("name") or meta.get("name") or path.resolve().parent.name, channels=channels,
        platforms=platforms, features=features, environments=environments,
        version=ws.get("version", meta.get("version")), authors=tuple(ws.get("authors", meta.get("authors", ()))),
        description=ws.get("description", meta.get("description")),
        channel_priority=ws.get("channel-priority", "strict"), solve_strategy=ws.get("solve-strategy", "highest"),
        requires_pixi=ws.get("requires-pixi"), unsupported=workspace_unsupported,
        legacy_project=key == "project", warnings=tuple(ctx.warnings),
        syntax_warnings=tuple(ctx.syntax_warnings), document=doc,
    )
# --8<-- [end:parse]


def _check_line_ends(text: str, path: Path) -> None:
    """TOML line ends are LF or CRLF; a lone CR (old Mac style) is refused where it is."""
    offset = lone_cr(text)
    if offset is not None:
        line, column = position(text, offset)
        raise ManifestError(
            f"{path.name} has a carriage return (CR) without a line feed on line {line}",
            where=Location(str(path), line, column),
            hint="TOML lines end with LF or CRLF: save the file with Unix (LF) or Windows (CRLF) line endings",
        )


def parse_toml(ctx: ParseContext) -> dict[str, Any]:
    try:
        return tomlkit.parse(ctx.text).unwrap()
    except RecursionError:  # a tomlkit without its own nesting limit
        raise ManifestError(f"{ctx.path.name} is nested too deeply", where=Location(str(ctx.path)),
                            hint=f"TOML arrays and tables may nest at most {MAX_NESTING} levels here") from None
    except ParseError as err:
        line, col = getattr(err, "line", 1), max(getattr(err, "col", 1), 1)
        message = str(err).split(" at line ")[0]
        if ctx.map.duplicates:  # tomlkit reports a duplicate table where the next one starts
            raise _duplicate_key(ctx) from err
        raise ManifestError(
            f"{ctx.path.name} is not valid TOML: {message}",
            where=Location(str(ctx.path), line, col),
            hint="check the quotes, brackets and '=' signs on this line",
            details=source_excerpt(ctx.text, line, col),
        ) from err
    except TOMLKitError as err:  # e.g. a key defined twice in one table
        if ctx.map.duplicates:
            raise _duplicate_key(ctx) from err
        raise ManifestError(f"{ctx.path.name} is not valid TOML: {err}", where=Location(str(ctx.path)),
                            hint="check for keys or tables defined twice") from err


def _refuse_nul(ctx: ParseContext, doc: Mapping[str, Any]) -> None:
    """No key or string may hold a NUL (``\\u0000``): names become paths, values reach processes.

    ``[tool]`` belongs to other tools and is not looked at. The walk keeps its own stack.
    """
    hint = "remove the \\u0000 escape: names and values in pixi.toml may not contain NUL"
    stack: list[tuple[tuple, Any]] = [((), {k: v for k, v in doc.items() if k != "tool"})]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\0" in value:
            raise ctx.error(path, f"the value of '{dotted(path)}' contains a NUL character", hint, at_value=True)
        if isinstance(value, dict):
            for key, item in value.items():
                if "\0" in key:
                    place = f"in [{dotted(path)}]" if path else "at the top level"
                    raise ctx.error(path + (key,), f"the key {quoted(key)} {place} contains a NUL character", hint)
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack += [(path + (i,), item) for i, item in enumerate(value)]


def _duplicate_key(ctx: ParseContext) -> ManifestError:
    path = ctx.map.duplicates[0]
    first = ctx.map.spans.get(path)
    where = f" (first defined on line {first.line})" if first else ""
    return ctx.error(path + ("<duplicate>",), f"'{'.'.join(map(str, path))}' is defined twice{where}",
                     "keep one definition and merge the other into it")


def _parse_named_features(ctx: ParseContext, table: Any) -> dict[str, Feature]:
    features = {}
    for name, value in expect(ctx, table, (dict,), ("feature",), "[feature]").items():
        if name == DEFAULT_FEATURE:
            raise ctx.error(("feature", name), "the feature 'default' is reserved and cannot be redefined",
                            "tables at the top level of the manifest are the default feature; write them there")
        features[name] = parse_feature(ctx, name, value, ("feature", name))
    return features


def _parse_environments(ctx: ParseContext, table: Any, features: dict[str, Feature]) -> dict[str, Environment]:
    environments: dict[str, Environment] = {}
    for name, value in expect(ctx, table, (dict,), ("environments",), "[environments]").items():
        env, inline = parse_environment(ctx, name, value, ("environments", name))
        if inline is not None:
            features[inline.name] = inline
        check_environment_features(ctx, env, features, ("environments", name))
        environments[name] = env
    environments.setdefault(DEFAULT_ENVIRONMENT, Environment(DEFAULT_ENVIRONMENT))
    return environments


def _collect_warnings(ctx: ParseContext, doc: Mapping[str, Any], features: Mapping[str, Feature],
                      environments: Mapping[str, Environment], platforms: Sequence[PlatformEntry],
                      quiet: set[str] = frozenset()) -> None:
    used = {f for env in environments.values() for f in env.feature_names()}
    for name in features:
        if name not in used and name not in quiet:  # a pyproject's extras need not be used
            ctx.warnings.append(f"the feature '{name}' is defined but not used in any environment; "
                                f"add it to one with `minipixi workspace environment add NAME --feature {name}`")
    if "system-requirements" in doc or any(
        not f.system_requirements.is_empty() for n, f in features.items() if n != DEFAULT_FEATURE
    ):
        ctx.warn_syntax("[system-requirements] is deprecated in favor of virtual packages on `platforms` "
                            "entries; `minipixi workspace migrate` rewrites them")
    check_target_selectors(ctx, features, platforms)


def read_manifest(path: Path | str) -> Workspace:
    """Read and check the manifest at `path`: a pixi.toml or pyproject.toml, or a folder holding one."""
    path = Path(path)
    if path.is_dir():
        path = manifest_in(path) or path / MANIFEST_NAME
    return parse_manifest(read_manifest_text(path), path)


def read_manifest_text(path: Path) -> str:
    """The text of the manifest at `path`, exactly as written (line ends and a BOM kept).

    Bytes that are not UTF-8 are an error at their line and column, not a crash.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` to create it") from err
    except OSError as err:
        raise ManifestError(f"cannot read {path}: {err.strerror or err}", where=str(path),
                            hint="check that the path is a readable file") from err
    return decode_utf8(data, str(path), ManifestError)
