"""Errors: what went wrong, where, and how to fix it.

Every failure a user can cause (a typo in pixi.toml, a spec that matches nothing, a corrupt
download) is raised as a `MinipixiError`. It carries its context as data:

- ``message``: what is wrong, one sentence;
- ``where``: the file, with a line/column or a TOML key path when known;
- ``hint``: the fix, phrased as something the user can do;
- ``details``: optional extra lines (a source excerpt with a caret, a conflict explanation).

The library never prints. `cli.py` renders an error exactly once, in the shape Pixi uses::

    error: unknown key 'featur' in pixi.toml
      --> pixi.toml:8:2
       |
     8 | [featur.cuda]
       |  ^^^^^^
    help: did you mean 'feature'?

Subclasses name the stage that failed, and keep their own data as attributes (a hash mismatch
keeps the url, expected and actual digests), like rattler's typed errors and resolvelib's
exceptions that carry causes instead of prose.

Lesson: every episode's error messages. Read after `records.py`; read next `files.py`, and
`cli.py` for the one place an error is rendered.
"""

from __future__ import annotations

import re


class Location:
    """A place in a file: 1-based line and column, both optional.

    (A plain class rather than a dataclass: `dataclasses` costs start-up time, and every
    command imports this module.)
    """

    __slots__ = ("path", "line", "column")

    def __init__(self, path: str, line: int | None = None, column: int | None = None) -> None:
        self.path, self.line, self.column = path, line, column

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and (self.path, self.line, self.column) == (
            other.path, other.line, other.column)

    def __hash__(self) -> int:
        return hash((self.path, self.line, self.column))

    def __repr__(self) -> str:
        return f"Location({self.path!r}, {self.line!r}, {self.column!r})"

    def __str__(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


# --8<-- [start:error]
class MinipixiError(Exception):
    """Base of every error a user can cause. Rendered once, by the CLI."""

    def __init__(
        self,
        message: str,
        *,
        where: Location | str | None = None,
        hint: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        """Pickle as "a bare instance of this class, plus its attributes".

        Errors cross process boundaries (packages are extracted in worker processes), and
        `Exception`'s own pickling calls `cls(*args)`, which fails for subclasses whose
        `__init__` takes other arguments (HashMismatchError takes keywords only).
        """
        return _rebuild_error, (type(self), self.__dict__)

    def render(self) -> str:
        """The full user-facing text: error line, location, details, help line.

        No line is longer than MAX_LINE: a message that quotes a hostile value whole (a
        5,000-digit version) keeps its two ends and says how long it was.
        """
        lines = [f"error: {self.message}"]
        if self.where is not None:
            lines.append(f"  --> {self.where}")
        if self.details:
            lines.extend(self.details.rstrip("\n").splitlines())
        if self.hint:
            lines.append(f"help: {self.hint}")
        return "\n".join(shorten(line, MAX_LINE) for line in lines)
# --8<-- [end:error]


def _rebuild_error(cls: type[MinipixiError], state: dict) -> MinipixiError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error


def source_excerpt(text: str, line: int, column: int, width: int = 1) -> str:
    """Show line `line` of `text` with a caret under `column` (both 1-based), Pixi style.

    A long line is cut to a window around the column (with '...' where it was cut), and the
    caret to the window, so a hostile one-line file still gives a short excerpt.
    """
    src_lines = text.splitlines() or [""]
    line = max(1, min(line, len(src_lines)))
    number = str(line)
    pad = " " * len(number)
    source, column, width = src_lines[line - 1], max(column, 1), max(width, 1)
    if len(source) > EXCERPT_WIDTH:
        start = max(0, min(column - 1 - EXCERPT_WIDTH // 4, len(source) - EXCERPT_WIDTH))
        shown = source[start : start + EXCERPT_WIDTH]
        prefix = "..." if start else ""
        suffix = "..." if len(source) > start + EXCERPT_WIDTH else ""
        column = column - start + len(prefix)
        width = min(width, len(prefix) + len(shown) - column + 1)
        source = prefix + shown + suffix
    caret = " " * (column - 1) + "^" * max(width, 1)
    return "\n".join(
        [f" {pad} |", f" {number} | {source}", f" {pad} | {caret}"]
    )


# The longest line an error prints, and the widest source excerpt it shows.
MAX_LINE = 600
EXCERPT_WIDTH = 100


def shorten(text: str, limit: int = 80) -> str:
    """`text` as an error message quotes it: whole when short, else its two ends and its length.

    A hostile input (a 5,000-digit version, a spec of 3,000 parentheses) must still give a
    one-line error that names the value, not a screenful of it.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}...{text[-10:]} ({len(text)} characters)"


class VersionError(MinipixiError):
    """A version string or a version spec that cannot be parsed."""


class MatchSpecError(MinipixiError):
    """A MatchSpec string that cannot be parsed."""


class RecordError(MinipixiError):
    """A repodata record or package filename that does not have the expected shape."""


class ManifestError(MinipixiError):
    """pixi.toml is invalid, or an edit of it cannot be made."""


class ChannelError(MinipixiError):
    """A channel cannot be reached, or its repodata is corrupt."""


class SolveError(MinipixiError):
    """No set of records satisfies the specs. `details` holds the explanation."""


class LockError(MinipixiError):
    """pixi.lock cannot be read, or is out of date where it must not be."""


class ExtractError(MinipixiError):
    """A package archive is corrupt, unsafe, or does not match its hash."""


class InstallError(MinipixiError):
    """A prefix cannot be created or updated."""


class ActivationError(MinipixiError):
    """An environment cannot be activated, or a task cannot run."""


class ExportError(MinipixiError):
    """An export or a generated deployment file cannot be produced."""


class GradeError(MinipixiError):
    """An exercise or a submission cannot be graded."""


def toml_error_position(err: Exception) -> tuple[str, int | None, int | None]:
    """Split a TOML parser error into (message, line, column).

    Python 3.11's tomllib and tomlkit put the position only in the text:
    ``"Expected ']' ... (at line 2, column 3)"``.
    """
    text = str(err)
    found = re.search(r"\s*\(?at line (\d+), column (\d+)\)?\s*$", text)
    if not found:
        return text, getattr(err, "lineno", None), getattr(err, "colno", None)
    return text[: found.start()], int(found.group(1)), int(found.group(2))
