"""Conda versions: how `1.2rc1 < 1.2 < 1.2.post1`, read from text into a comparable value.

`Version` parses a conda version literal (CEP 33) and orders it the way conda and rattler do.
It is an immutable value: parsed once (`parse_version` caches), hashable, totally ordered. This
module reads the text; `version_order.py` holds the rules that order what was read, and
`version_spec.py` the little language of ``>=1.2,<2|3.*`` built on top. This is the readable
reference: the numba batch kernel in `version_kernel.py` must give exactly the same answers,
and its tests check that.
Lesson: Episode 2, "Versions and specs" (under the hood). The first of the core types (after
`cli.py` and `app/`, which use them); read next `version_order.py`. Ground truth: rattler's
`rattler_conda_version` crate (`version/parse.rs`, `version/mod.rs`), itself checked against
conda's `VersionOrder`.

How a version is read (``1!2.0rc1-3+local.1`` as the example)::

    1!          epoch: a number before '!' (missing means 0), compared first
    2.0rc1-3    segments, split on '.', '-' or '_' ('-' and '_' may not both appear)
    +local.1    the local part, compared only when everything before it is equal

Each segment is split into components: runs of digits become numbers, runs of letters become
lower-case strings. A segment that starts with letters gets an implicit leading 0, so ``rc1``
reads as ``0 rc 1``:

>>> v = parse_version("1!2.0rc1-3+local.1")
>>> v.epoch, v.components, v.local
(1, ((2,), (0, 'rc', 1), (3,)), ((0, 'local'), (1,)))

Components compare by kind first (dev < '_' < strings < numbers < post) and a missing component
counts as the number 0 (see `version_order.py`):

>>> parse_version("1.1") == parse_version("1.1.0"), parse_version("1.1.dev1") < parse_version("1.1")
(True, True)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from minipixi.errors import VersionError, shorten
from minipixi.version_order import Component, part_key, starts_with

__all__ = [
    "MAX_NUMBER",
    "ParseProblem",
    "Version",
    "parse_version",
    "parse_version_prefix",
]

# The largest number rattler accepts in a component (it stores them as u64).
MAX_NUMBER = 2**64 - 1


# The common shape: [epoch!]segments[+segments], segments of letters and digits joined by one
# separator each. Everything else (an openssl tail like 1.0.1_, every error) takes the reader.
_SEGMENTS = r"[0-9A-Za-z]+(?:[-._][0-9A-Za-z]+)*"
_COMMON = re.compile(rf"(?:([0-9]{{1,19}})!)?({_SEGMENTS})(?:\+({_SEGMENTS}))?")
_SEPARATOR = re.compile(r"([-._])")
_RUN = re.compile(r"[0-9]+|[A-Za-z]+")

# One token is a run of ASCII digits, a run of ASCII letters, or any other single character.
_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|[^0-9A-Za-z]", re.S)


class ParseProblem(Exception):
    """Why a version literal is malformed: turned into a VersionError that quotes the whole text
    by `parse_version`, or by `version_spec.py` for a version inside a spec."""


# --------------------------------------------------------------------------------------------
# Parsing a version literal
# --------------------------------------------------------------------------------------------


class _Reader:
    """Tokens of one version literal, a cursor, and the one separator style ('-' or '_') seen."""

    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        self.pos = 0
        self.dash_or_underscore: str | None = None

    def peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def rest(self) -> str:
        return "".join(self.tokens[self.pos :])

    def note_separator(self, char: str) -> None:
        """Remember '-' or '_'; a version may use one of them, never both."""
        if char == ".":
            return
        if self.dash_or_underscore is None:
            self.dash_or_underscore = char
        elif self.dash_or_underscore != char:
            raise ParseProblem(
                "cannot use both underscores and dashes as version segment separators"
            )


def _number(digits: str, what: str = "number") -> int:
    """A run of digits as an int, at most MAX_NUMBER. The length is checked before `int()`:
    Python refuses to convert more than 4,300 digits (a ValueError, not our error), and a
    number longer than 20 digits cannot fit anyway."""
    if len(digits.lstrip("0")) > len(str(MAX_NUMBER)) or int(digits) > MAX_NUMBER:
        raise ParseProblem(f"the {what} {shorten(digits)} is too large (at most {MAX_NUMBER})")
    return int(digits)


def _to_component(token: str) -> Component:
    return _number(token) if token[0].isdigit() else token.lower()


def _read_segment(reader: _Reader) -> tuple[bool, list[Component]] | None:
    """Read one segment: (has implicit leading 0, components), or None if there is none."""
    components: list[Component] = []
    while (token := reader.peek()) and token[0].isalnum() and token.isascii():
        components.append(_to_component(token))
        reader.pos += 1
    if not components:
        return None
    implicit_zero = not isinstance(components[0], int)
    return implicit_zero, ([0] + components if implicit_zero else components)


def _read_part(reader: _Reader) -> list[tuple[str, bool, list[Component]]]:
    """Read segments joined by '.', '-' or '_': a list of (separator before, implicit 0, comps).

    A separator that is not followed by another segment is the openssl convention: ``1.0.1_``
    or ``1.0.1-`` add a '_' component to the last segment, and ``1__`` / ``1._`` add a segment
    holding only '_'. A lone trailing '.' is left unread (the caller reports it).
    """
    first = _read_segment(reader)
    if first is None:
        raise ParseProblem("expected a version component e.g. `2` or `rc`")
    segments = [("", *first)]
    while (separator := reader.peek()) in (".", "-", "_"):
        reader.note_separator(separator)
        reader.pos += 1
        segment = _read_segment(reader)
        if segment is not None:
            segments.append((separator, *segment))
            continue
        following = reader.peek()
        if following in ("-", "_"):
            reader.note_separator(following)
            reader.pos += 1
            segments.append((separator, True, [0, following]))
        elif separator in ("-", "_"):
            segments[-1][2].append(separator)
        else:
            reader.pos -= 1
        break
    return segments


@dataclass(frozen=True)
class _Parsed:
    """What the grammar found; `Version` adds the ordering key on top."""

    epoch: int
    has_epoch: bool
    main: list
    local: list


def _read_version(reader: _Reader) -> _Parsed:
    """Read ``[epoch!]segments[+local]`` from the reader; the rest is left for the caller."""
    epoch, has_epoch = 0, False
    tokens = reader.tokens
    if len(tokens) >= 2 and tokens[0][0].isdigit() and tokens[0].isascii() and tokens[1] == "!":
        epoch, has_epoch = _number(tokens[0], "epoch"), True
        reader.pos = 2
    main = _read_part(reader)
    local: list = []
    if reader.peek() == "+":
        if len(main) > 127:
            raise ParseProblem("the version string contains too many version segments")
        reader.pos += 1
        local = _read_part(reader)
    return _Parsed(epoch, has_epoch, main, local)



# --------------------------------------------------------------------------------------------
# Version
# --------------------------------------------------------------------------------------------


class Version:
    """A conda version: parsed once, immutable, hashable, totally ordered.

    ``Version("1.2rc1")`` raises VersionError for malformed text. ``str(v)`` is the text as
    written; `canonical` is rattler's normalised spelling (lower case, no leading zeros).
    ``==`` is conda's equality (``1.1 == 1.1.0``, ``1.0RC1 == 1.0rc1``); hashing agrees with it.

    >>> v = Version("1!2.0RC1+local.7")
    >>> v.epoch, v.components, v.local
    (1, ((2,), (0, 'rc', 1)), ((0, 'local'), (7,)))
    >>> str(v), v.canonical
    ('1!2.0RC1+local.7', '1!2.0rc1+local.7')
    >>> Version("1.1") == Version("1.1.0"), len({Version("1.1"), Version("1.1.0")})
    (True, 1)
    >>> Version("1.2rc1") < Version("1.2") < Version("1.2.post1")
    True
    """

    __slots__ = ("_text", "_epoch", "_has_epoch", "_main", "_local", "_layout", "_key")

    def __new__(cls, text: str) -> Version:
        return text if isinstance(text, Version) else parse_version(text)

    @classmethod
    def _from_parsed(cls, text: str, parsed: _Parsed) -> Version:
        main = tuple(tuple(comps) for _, _, comps in parsed.main)
        local = tuple(tuple(comps) for _, _, comps in parsed.local)
        layout = (
            tuple((sep, implicit) for sep, implicit, _ in parsed.main),
            tuple((sep, implicit) for sep, implicit, _ in parsed.local),
        )
        return cls._build(text, parsed.epoch, parsed.has_epoch, main, local, layout)

    @classmethod
    def _build(cls, text, epoch, has_epoch, main, local, layout) -> Version:
        self = object.__new__(cls)
        set_slot = object.__setattr__
        set_slot(self, "_text", text)
        set_slot(self, "_epoch", epoch)
        set_slot(self, "_has_epoch", has_epoch)
        set_slot(self, "_main", main)
        set_slot(self, "_local", local)
        set_slot(self, "_layout", layout)
        set_slot(self, "_key", (epoch,) + part_key(main) + part_key(local))
        return self

    def __setattr__(self, name, value):
        raise AttributeError("Version is immutable")

    def __reduce__(self):
        return (Version, (self._text,))

    # -- what it holds -------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        """The epoch (0 when none was written)."""
        return self._epoch

    @property
    def components(self) -> tuple[tuple[Component, ...], ...]:
        """Segments before '+', each a tuple of components, implicit leading 0s included."""
        return self._main

    @property
    def local(self) -> tuple[tuple[Component, ...], ...]:
        """Segments of the local part after '+' (empty when there is none)."""
        return self._local

    @property
    def is_dev(self) -> bool:
        """True when a 'dev' component appears before the local part."""
        return any("dev" in segment for segment in self._main)

    @property
    def sort_key(self) -> tuple:
        """The tuple that orders versions: equal keys exactly when the versions are equal."""
        return self._key

    @property
    def canonical(self) -> str:
        """The normalised spelling rattler prints: ``1.0RC1`` -> ``1.0rc1``, ``07`` -> ``7``."""
        main_layout, local_layout = self._layout
        text = f"{self._epoch}!" if self._has_epoch else ""
        text += _render_part(self._main, main_layout)
        if self._local:
            text += "+" + _render_part(self._local, local_layout)
        return text

    # -- questions -----------------------------------------------------------------------------
    def startswith(self, other: Version) -> bool:
        """The prefix test behind ``1.2.*``: same epoch, segments (and local part) begin alike.

        >>> Version("1.2.3").startswith(Version("1.2")), Version("1.20").startswith(Version("1.2"))
        (True, False)
        """
        return (
            self._epoch == other._epoch
            and starts_with(self._main, other._main)
            and starts_with(self._local, other._local)
        )

    def compatible_with(self, other: Version) -> bool:
        """The test behind ``~=1.2.3``: ``>= 1.2.3`` and still starting with ``1.2``.

        >>> [Version(t).compatible_with(Version("1.2.3")) for t in ("1.2.2", "1.2.9", "1.3")]
        [False, True, False]
        """
        return (
            self >= other
            and self._epoch == other._epoch
            and starts_with(self._main, other._main[:-1])
            and starts_with(self._local, other._local)
        )

    # -- order ---------------------------------------------------------------------------------
    def __eq__(self, other):
        return self._key == other._key if isinstance(other, Version) else NotImplemented

    def __ne__(self, other):
        return self._key != other._key if isinstance(other, Version) else NotImplemented

    def __lt__(self, other):
        return self._key < other._key if isinstance(other, Version) else NotImplemented

    def __le__(self, other):
        return self._key <= other._key if isinstance(other, Version) else NotImplemented

    def __gt__(self, other):
        return self._key > other._key if isinstance(other, Version) else NotImplemented

    def __ge__(self, other):
        return self._key >= other._key if isinstance(other, Version) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Version({self._text!r})"


def _render_part(segments, layout) -> str:
    pieces = []
    for components, (separator, implicit) in zip(segments, layout):
        shown = components[1:] if implicit else components
        pieces.append(separator + "".join(map(str, shown)))
    return "".join(pieces)


def _version_problem(text: str, reason: str) -> VersionError:
    return VersionError(
        f"invalid version '{shorten(text)}': {reason}",
        hint="a conda version looks like 1.2.3, 2.0rc1, 1!2.0 or 1.2+local: digits and "
        "letters in segments separated by '.', '_' or '-'",
    )


@functools.lru_cache(maxsize=1 << 16)
def parse_version(text: str) -> Version:
    """Parse a conda version literal (cached: the solver parses the same strings many times).

    Raises VersionError that quotes `text` and says what is wrong:

    >>> parse_version("2.0rc1").components
    ((2,), (0, 'rc', 1))
    >>> parse_version("1.0-2_3")
    Traceback (most recent call last):
    ...
    minipixi.errors.VersionError: invalid version '1.0-2_3': cannot use both underscores and dashes as version segment separators
    """
    if not isinstance(text, str):
        raise VersionError(f"a version must be text, not {type(text).__name__}: {shorten(repr(text))}")
    if not text:
        raise _version_problem(text, "empty string")
    fast = _parse_common(text)
    if fast is not None:
        return fast
    reader = _Reader(text)
    try:
        parsed = _read_version(reader)
    except ParseProblem as err:
        raise _version_problem(text, str(err)) from None
    if reader.pos < len(reader.tokens):
        rest = reader.rest()
        raise _version_problem(
            text,
            "encountered more characters but expected none "
            f"({rest[0]!r} at position {len(text) - len(rest) + 1})",
        )
    return Version._from_parsed(text, parsed)


# --8<-- [start:fast-path]
@functools.lru_cache(maxsize=1 << 14)
def _segment(text: str) -> tuple[bool, tuple[Component, ...]]:
    """'rc1' -> (True, (0, 'rc', 1)): cached, as the same segments recur in every channel."""
    components = tuple(_to_component(run) for run in _RUN.findall(text))
    implicit_zero = not isinstance(components[0], int)
    return implicit_zero, ((0,) + components if implicit_zero else components)


def _split_part(text: str) -> tuple[tuple, tuple]:
    """'2.rc1' -> (((2,), (0, 'rc', 1)), (('', False), ('.', True))) for a well-formed part.

    The layout pairs say which separator came before each segment and whether its leading 0
    is implicit; they are only needed to print the canonical spelling.
    """
    pieces = _SEPARATOR.split(text)  # segment, separator, segment, ...
    segments, layout = [], []
    for index in range(0, len(pieces), 2):
        implicit, components = _segment(pieces[index])
        segments.append(components)
        layout.append((pieces[index - 1] if index else "", implicit))
    return tuple(segments), tuple(layout)


def _parse_common(text: str) -> Version | None:
    """The fast path for well-formed common shapes, or None to let the reader decide."""
    match = _COMMON.fullmatch(text)
    if match is None or ("-" in text and "_" in text):
        return None
    epoch, main_text, local_text = match.groups()
    try:
        main, main_layout = _split_part(main_text)
        local, local_layout = _split_part(local_text) if local_text else ((), ())
    except ParseProblem:
        return None  # a number too large: the reader reports it
    if local_text and len(main) > 127:
        return None
    has_epoch = epoch is not None
    return Version._build(
        text, int(epoch) if has_epoch else 0, has_epoch, main, local, (main_layout, local_layout)
    )
# --8<-- [end:fast-path]


def parse_version_prefix(text: str) -> tuple[Version, str]:
    """Parse the longest version at the start of `text`; return it and the unread rest (a spec's
    glob or operator tail, for `version_spec.py` to read). Raises ParseProblem.

    >>> parse_version_prefix("1.2.*")
    (Version('1.2'), '.*')
    """
    if not text:
        raise ParseProblem("empty string")
    reader = _Reader(text)
    parsed = _read_version(reader)
    rest = reader.rest()
    return Version._from_parsed(text[: len(text) - len(rest)], parsed), rest
