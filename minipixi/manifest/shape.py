"""The shape pass: every table has its allowed keys, every value its type, every error a place.

After tomlkit has turned the text into nested dicts, the parser walks them table by table with
the small checks here. `ParseContext` carries what every check needs: the text, the key
positions that `manifest/locate.py` found (tomlkit does not keep them), the warnings collected
so far, and the settings minipixi cannot honour. `ParseContext.error` makes a `ManifestError`
whose `where` is ``pixi.toml:LINE:COL`` and whose `details` show the line with a caret under
the key (or its value), so every check reads as "if wrong: raise ctx.error(path, what, fix)".

`check_keys` compares a table with its allowed keys (`manifest/schema.py`) and suggests the
closest one (`did_you_mean`); `expect` checks a value's type and says what to write instead.

Lesson: Episode 2 ("the manifest"). Read after `manifest/schema.py`; read next
`manifest/parse_dependencies.py`. `app/global_tools.py` reuses these checks for its own file.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from minipixi.errors import Location, ManifestError, MinipixiError, shorten, source_excerpt
from minipixi.manifest.locate import SourceMap, scan
from minipixi.manifest.model import DEFAULT_FEATURE, DependencySpec, Feature, Unsupported
from minipixi.manifest.schema import ENV_VAR_NAME, FEATURE_NAME, REQUIREMENT_VERSION
from minipixi.version_spec import VersionSpec


class ParseContext:
    """The text being parsed, its key positions, and the warnings collected so far."""

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.map: SourceMap = scan(text)
        self.warnings: list[str] = []
        self.syntax_warnings: list[str] = []  # the subset about how the file is written
        self.pool: dict[str, DependencySpec] = {}  # [workspace.dependencies], for { workspace = true }
        self.unsupported: list[Unsupported] = []  # settings of the current feature minipixi cannot honour
        #: Key paths in messages are relative to this: ``("tool", "pixi")`` in a pyproject.toml.
        self.prefix: tuple = ()

    def table_name(self, key_path: Sequence[Any]) -> str:
        """How a message names the table at `key_path` (``tool.pixi.dependencies`` in a pyproject)."""
        return dotted(self.prefix + tuple(key_path))

    def warn_syntax(self, message: str) -> None:
        """A warning about a deprecated or ignored form in the file (the CLI shows these)."""
        self.warnings.append(message)
        self.syntax_warnings.append(message)

    def error(self, key_path: Sequence[Any], message: str, hint: str | None = None,
              *, at_value: bool = False) -> ManifestError:
        """A ManifestError located at `key_path` (at its value with `at_value`), a path below
        `prefix`; `error_at` takes a path from the top of the file."""
        return self.error_at(self.prefix + tuple(key_path), message, hint, at_value=at_value)

    def error_at(self, key_path: Sequence[Any], message: str, hint: str | None = None,
                 *, at_value: bool = False) -> ManifestError:
        span = self.map.value_span(key_path) if at_value else self.map.find(key_path)
        if span is None:
            return ManifestError(message, where=Location(str(self.path)), hint=hint)
        return ManifestError(
            message,
            where=Location(str(self.path), span.line, span.column),
            hint=hint,
            details=source_excerpt(self.text, span.line, span.column, span.width),
        )

    def unsupported_setting(self, key_path: Sequence[Any], setting: str, message: str, hint: str,
                            feature: str | None = None, selector: str | None = None) -> Unsupported:
        """An `Unsupported` located at `key_path`: raised when a solve needs the setting."""
        err = self.error(key_path, message, hint)
        return Unsupported(setting, message, err.where, err.details, hint, feature, selector)


def dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "the top level"


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest of `choices` to `word`, if any is close enough to be a likely typo.

    Platform names all look alike (win-64 / linux-64), so callers ask for a closer match there.
    """
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def check_keys(ctx: ParseContext, table: Mapping[str, Any], allowed: Sequence[str], path: Sequence[Any]) -> None:
    """Raise for the first key of `table` that is not in `allowed`, suggesting the closest one."""
    for key in table:
        if key in allowed:
            continue
        guess = did_you_mean(key, allowed)
        where = f"[{ctx.table_name(path)}]" if path or ctx.prefix else ctx.path.name
        hint = f"did you mean '{guess}'?" if guess else "expected one of: " + ", ".join(allowed)
        raise ctx.error(tuple(path) + (key,), f"unexpected key '{key}' in {where}", hint)


def type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


def expect(ctx: ParseContext, value: Any, kinds: tuple[type, ...], path: Sequence[Any], what: str,
           *, empty_ok: bool = False) -> Any:
    """Return `value` if it is one of `kinds`, else raise "expected ..., found ..."."""
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        if isinstance(value, str) and not value.strip() and str in kinds and not empty_ok:
            raise ctx.error(path, f"{what} may not be empty", at_value=True)
        return value
    wanted = " or ".join(type_name(k()) if k is not bool else "boolean" for k in kinds)
    example = {str: '"text"', list: '["a", "b"]', dict: "{ key = \"value\" }", bool: "true"}.get(kinds[0], "")
    raise ctx.error(path, f"{what}: expected {wanted}, found {type_name(value)}",
                    f"write {'an' if wanted[0] in 'aeiou' else 'a'} {wanted} here, e.g. {example}" if example else None,
                    at_value=True)


def expect_str_list(ctx: ParseContext, value: Any, path: Sequence[Any], what: str) -> tuple[str, ...]:
    items = expect(ctx, value, (list,), path, what)
    return tuple(expect(ctx, item, (str,), tuple(path) + (i,), what) for i, item in enumerate(items))


def version_text(ctx: ParseContext, value: Any, path: Sequence[Any], what: str) -> str:
    """A system version written as a string or a bare number (``cuda = 12``): numbers and dots.

    A conda version may hold letters (``1.0a1``), but the version of a driver, a libc or an OS
    never does, so ``cuda = "abc"`` is refused here rather than becoming ``__cuda=abc``.
    """
    text = str(expect(ctx, value, (str, int, float), path, what))
    if not REQUIREMENT_VERSION.fullmatch(text):
        raise ctx.error(path, f"invalid version '{shorten(text)}' for {what}",
                        "write numbers separated by dots, e.g. \"12\", \"12.4\" or \"2.28\"", at_value=True)
    return text


def check_version_spec(ctx: ParseContext, text: str, path: Sequence[Any], what: str) -> None:
    try:
        VersionSpec(text)
    except MinipixiError as err:
        raise ctx.error(path, f"invalid version spec for {what}: {err.message}",
                        'a version spec looks like ">=1.2,<2", "1.2.*" or "*"', at_value=True) from err


def check_choice(ctx: ParseContext, value: Any, choices: Sequence[str], path: Sequence[Any], what: str) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ctx.error(path, f"{shorten(repr(value))} is not a valid {what}", "expected one of: " + ", ".join(choices),
                        at_value=True)


def quoted(name: str) -> str:
    """A name as an error quotes it: control characters (NUL...) escaped, long names shortened."""
    return shorten(repr(name)) if not FEATURE_NAME.fullmatch(name or "x") else f"'{shorten(name)}'"


def check_env_var_name(ctx: ParseContext, name: str, path: Sequence[Any]) -> None:
    """An environment variable name must be an identifier: it is written into shell code."""
    if not ENV_VAR_NAME.fullmatch(name):
        raise ctx.error(path, f"{quoted(name)} is not a valid environment variable name",
                        "use letters, digits and '_', not starting with a digit (e.g. MY_VAR)")


def feature_path(feature: Feature) -> tuple:
    if feature.name == DEFAULT_FEATURE:
        return ()
    if feature.name.startswith("environment:"):
        return ("environments", feature.name.split(":", 1)[1])
    return ("feature", feature.name)


def display_name(name: str) -> str:
    return name.split(":", 1)[1] if name.startswith("environment:") else name
