"""Conda versions and version specs: how `1.2rc1 < 1.2 < 1.2.post1` and what `>=1.2,<2|3.*` means.

Two types live here. `Version` parses a conda version literal (CEP 33) and orders it the way
conda and rattler do; `VersionSpec` parses the version part of a MatchSpec (CEP 29) and answers
`matches(version)`. Both are immutable values. This is the readable reference: the numba batch
kernel in `version_kernel.py` must give exactly the same answers, and its tests check that.
Lesson: Episode 2, "Versions and specs" (under the hood). Read first; read next `matchspec.py`.
Ground truth: rattler's `rattler_conda_version` crate (`version/parse.rs`, `version/mod.rs`,
`version_spec/parse.rs`), itself checked against conda's `VersionOrder`.

How a version is read (``1!2.0rc1-3+local.1`` as the example)::

    1!          epoch: a number before '!' (missing means 0), compared first
    2.0rc1-3    segments, split on '.', '-' or '_' ('-' and '_' may not both appear)
    +local.1    the local part, compared only when everything before it is equal

Each segment is split into components: runs of digits become numbers, runs of letters become
lower-case strings. A segment that starts with letters gets an implicit leading 0, so ``rc1``
reads as ``0 rc 1``. Components compare by kind first::

    dev  <  '_' (a trailing underscore or dash)  <  other strings  <  numbers  <  post

and a missing component counts as the number 0, so ``1.1 == 1.1.0`` and ``1.1.dev1 < 1.1``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Union

from minipixi.errors import VersionError, shorten

__all__ = [
    "Version",
    "VersionSpec",
    "AnyVersion",
    "Constraint",
    "Group",
    "parse_version",
    "component_sort_key",
    "same_spelling_equal",
    "underscore_style",
]

# The largest number rattler accepts in a component (it stores them as u64).
MAX_NUMBER = 2**64 - 1

# How deep parentheses may nest in a version spec. Real specs use one level; the bound keeps a
# hostile spec of 3,000 '(' from exhausting Python's stack (a RecursionError, not our error).
MAX_NESTING = 64

# The common shape: [epoch!]segments[+segments], segments of letters and digits joined by one
# separator each. Everything else (an openssl tail like 1.0.1_, every error) takes the reader.
_SEGMENTS = r"[0-9A-Za-z]+(?:[-._][0-9A-Za-z]+)*"
_COMMON = re.compile(rf"(?:([0-9]{{1,19}})!)?({_SEGMENTS})(?:\+({_SEGMENTS}))?")
_SEPARATOR = re.compile(r"([-._])")
_RUN = re.compile(r"[0-9]+|[A-Za-z]+")

# One token is a run of ASCII digits, a run of ASCII letters, or any other single character.
_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|[^0-9A-Za-z]", re.S)

Component = Union[int, str]
"""A number, a lower-case string, or one of the special strings 'dev', 'post', '_' and '-'."""


class _ParseProblem(Exception):
    """Internal: why a version literal is malformed (turned into a VersionError by callers)."""


# --8<-- [start:component-order]
# Kind ranks: dev < '_' < other strings < numbers < post. 'dev' and 'post' are special only when
# they are a whole run of letters ('devel' is an ordinary string); '_' and '-' stand for a
# trailing underscore or dash (the openssl convention: 1.0.1_ sorts before 1.0.1a). The two
# sort as equals, but a prefix test (1.0.1-.* against 1.0.1_) tells them apart, as rattler does.
_DEV, _UNDERSCORE, _STRING, _NUMBER, _POST = range(5)


def component_sort_key(component: Component) -> tuple:
    """Sort key of one component: (kind rank, value). Equal keys mean equal components."""
    if isinstance(component, int):
        return (_NUMBER, component)
    if component == "dev":
        return (_DEV,)
    if component == "post":
        return (_POST,)
    if component == "_" or component == "-":
        return (_UNDERSCORE,)
    return (_STRING, component)
# --8<-- [end:component-order]


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
            raise _ParseProblem(
                "cannot use both underscores and dashes as version segment separators"
            )


def _number(digits: str, what: str = "number") -> int:
    """A run of digits as an int, at most MAX_NUMBER. The length is checked before `int()`:
    Python refuses to convert more than 4,300 digits (a ValueError, not our error), and a
    number longer than 20 digits cannot fit anyway."""
    if len(digits.lstrip("0")) > len(str(MAX_NUMBER)) or int(digits) > MAX_NUMBER:
        raise _ParseProblem(f"the {what} {shorten(digits)} is too large (at most {MAX_NUMBER})")
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
        raise _ParseProblem("expected a version component e.g. `2` or `rc`")
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
            raise _ParseProblem("the version string contains too many version segments")
        reader.pos += 1
        local = _read_part(reader)
    return _Parsed(epoch, has_epoch, main, local)


# --------------------------------------------------------------------------------------------
# Ordering: one sort key per version
# --------------------------------------------------------------------------------------------

# --8<-- [start:padding-key]
# A version compares as if every segment, and the list of segments, went on forever with zeros:
# 1.1 is 1.1.0.0..., and 1.0a reads 1.0a0... So a plain tuple of components would be wrong (a
# shorter tuple sorts first, but '1.0a' < '1.0' because 'a' < 0). Instead each item that is not
# zero is written as (sign, zeros before it, its key): an item below zero is smaller the sooner
# it comes, an item above zero is larger the sooner it comes, and a final 0 says "only zeros
# from here on", which sits between the two. Written one after another, these compare exactly
# like the zero-padded lists. For the components of one segment (a number's key is (3, n),
# a string's (2, s)):
#
#     [1, 0, 'a']  ->  (1, 0, 3, 1,   -1, 1, 2, 'a',   0)
#     [1]          ->  (1, 0, 3, 1,   0)         at the fifth place -1 < 0, so [1, 0, 'a'] < [1]
#
# Segments are then keyed the same way, with a segment's key as its item, and the version key
# is the epoch followed by the keys of both parts. All of it is one flat tuple (quick to compare
# and hash): every item starts with its sign and has a fixed shape after it, so two keys line up
# item by item until they first differ.
def _padded_key(item_keys: list[tuple[int, tuple]]) -> tuple:
    """Key of a zero-padded sequence; `item_keys` are (sign, key) pairs, sign in -1/0/1."""
    out: list = []
    zeros = 0
    for sign, key in item_keys:
        if sign == 0:
            zeros += 1
            continue
        out += (sign, zeros if sign < 0 else -zeros)
        out += key
        zeros = 0
    out.append(0)
    return tuple(out)
# --8<-- [end:padding-key]


def _component_item(component: Component) -> tuple[int, tuple]:
    key = component_sort_key(component)
    if key[0] == _NUMBER:
        return (1 if component else 0), key
    return (1 if key[0] == _POST else -1), key


@functools.lru_cache(maxsize=1 << 14)
def _segment_item(components: tuple[Component, ...]) -> tuple[int, tuple]:
    """(sign, key) of one segment; cached, since segments like (0,) and (1,) recur endlessly."""
    key = _padded_key([_component_item(c) for c in components])
    return key[0], key


_NO_SEGMENTS_KEY = _padded_key([])


def _part_key(segments: tuple[tuple[Component, ...], ...]) -> tuple:
    if not segments:  # most versions have no local part
        return _NO_SEGMENTS_KEY
    return _padded_key([_segment_item(s) for s in segments])


# --------------------------------------------------------------------------------------------
# Version
# --------------------------------------------------------------------------------------------


def _starts_with(
    version: tuple[tuple[Component, ...], ...], prefix: tuple[tuple[Component, ...], ...]
) -> bool:
    """Does `version` begin with `prefix`, segment by segment? (rattler's rule, zeros implied).

    ``1.2.3`` starts with ``1.2``; ``1.2`` starts with ``1.2.0``; ``1.2a`` starts with ``1.2``
    (the last prefix segment may be continued), but ``1.2a.3`` does not start with ``1.2.3``.
    """
    extra_before = False
    for index, wanted in enumerate(prefix):
        if index >= len(version):
            if any(c != 0 for c in wanted):
                return False
            continue
        if extra_before:
            return False
        have = version[index]
        if have[: len(wanted)] != wanted[: len(have)]:
            return False
        if len(have) > len(wanted):
            extra_before = True
        elif any(c != 0 for c in wanted[len(have) :]):
            return False
    return True


class Version:
    """A conda version: parsed once, immutable, hashable, totally ordered.

    ``Version("1.2rc1")`` raises VersionError for malformed text. ``str(v)`` is the text as
    written; `canonical` is rattler's normalised spelling (lower case, no leading zeros).
    ``==`` is conda's equality (``1.1 == 1.1.0``, ``1.0RC1 == 1.0rc1``); hashing agrees with it.
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
        set_slot(self, "_key", (epoch,) + _part_key(main) + _part_key(local))
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
        """The prefix test behind ``1.2.*``: same epoch, segments (and local part) begin alike."""
        return (
            self._epoch == other._epoch
            and _starts_with(self._main, other._main)
            and _starts_with(self._local, other._local)
        )

    def compatible_with(self, other: Version) -> bool:
        """The test behind ``~=1.2.3``: ``>= 1.2.3`` and still starting with ``1.2``."""
        return (
            self >= other
            and self._epoch == other._epoch
            and _starts_with(self._main, other._main[:-1])
            and _starts_with(self._local, other._local)
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


def underscore_style(version: Version) -> str:
    """'_' or '-' when the version has openssl-style trailing components (1.0.1_), else ''.

    A version never mixes the two (the parser refuses it), and such a component always ends
    its segment, so looking at segment ends is enough.
    """
    for segment in version.components + version.local:
        if segment[-1] == "_" or segment[-1] == "-":
            return segment[-1]
    return ""


def same_spelling_equal(a: Version, b: Version) -> bool:
    """``==`` as a spec means it: equal, and a trailing '-' is not a trailing '_' (rattler).

    Ordering treats ``1.0.1-`` and ``1.0.1_`` as equal, but ``==1.0.1-`` does not match
    ``1.0.1_``, just as the prefix test ``1.0.1-.*`` does not.
    """
    return a == b and underscore_style(a) == underscore_style(b)


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

    Raises VersionError that quotes `text` and says what is wrong.
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
    except _ParseProblem as err:
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
    except _ParseProblem:
        return None  # a number too large: the reader reports it
    if local_text and len(main) > 127:
        return None
    has_epoch = epoch is not None
    return Version._build(
        text, int(epoch) if has_epoch else 0, has_epoch, main, local, (main_layout, local_layout)
    )
# --8<-- [end:fast-path]


def _parse_version_prefix(text: str) -> tuple[Version, str]:
    """Parse the longest version at the start of `text`; return it and the unread rest."""
    if not text:
        raise _ParseProblem("empty string")
    reader = _Reader(text)
    parsed = _read_version(reader)
    rest = reader.rest()
    return Version._from_parsed(text[: len(text) - len(rest)], parsed), rest


# --------------------------------------------------------------------------------------------
# VersionSpec: a small expression language over versions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnyVersion:
    """``*``: every version matches."""

    def matches(self, version: Version) -> bool:
        return True

    def render(self, parent: str | None = None) -> str:
        return "*"


# --8<-- [start:constraint]
# op -> (how it is written, test). 'startswith' is both `=1.2` and `1.2.*`; '~=' is compatible.
_OPERATORS = {
    "==": ("==", lambda v, bound: same_spelling_equal(v, bound)),
    "!=": ("!=", lambda v, bound: not same_spelling_equal(v, bound)),
    ">": (">", lambda v, bound: v > bound),
    ">=": (">=", lambda v, bound: v >= bound),
    "<": ("<", lambda v, bound: v < bound),
    "<=": ("<=", lambda v, bound: v <= bound),
    "startswith": ("", lambda v, bound: v.startswith(bound)),
    "not-startswith": ("!=", lambda v, bound: not v.startswith(bound)),
    "~=": ("~=", lambda v, bound: v.compatible_with(bound)),
}


@dataclass(frozen=True)
class Constraint:
    """One comparison of a candidate version against a bound, e.g. ``>=1.2`` or ``1.2.*``."""

    op: str
    version: Version

    def matches(self, version: Version) -> bool:
        return _OPERATORS[self.op][1](version, self.version)

    def render(self, parent: str | None = None) -> str:
        written, _ = _OPERATORS[self.op]
        if self.op in ("startswith", "not-startswith"):
            return f"{written}{self.version.canonical}.*"
        return f"{written}{self.version.canonical}"
# --8<-- [end:constraint]


@dataclass(frozen=True)
class Group:
    """``a,b`` (op 'and': all must match) or ``a|b`` (op 'or': one must match)."""

    op: str
    items: tuple

    def matches(self, version: Version) -> bool:
        if self.op == "and":
            return all(item.matches(version) for item in self.items)
        return any(item.matches(version) for item in self.items)

    def render(self, parent: str | None = None) -> str:
        text = ("," if self.op == "and" else "|").join(i.render(self.op) for i in self.items)
        # ',' binds tighter than '|', so an or-group inside an and-group needs parentheses.
        return f"({text})" if self.op == "or" and parent == "and" else text


SpecNode = Union[AnyVersion, Constraint, Group]


class VersionSpec:
    """The version part of a MatchSpec, e.g. ``>=1.2,<2|3.*``.

    ``VersionSpec(text)`` parses leniently, as rattler does by default (``1.2`` means ``==1.2``,
    ``>=1.2.*`` means ``>=1.2``); ``strict=True`` rejects those ambiguous forms. Raises
    VersionError. `root` is the parsed tree; ``str(spec)`` is rattler's canonical text.
    """

    __slots__ = ("_text", "root", "_canonical")

    def __init__(self, text: str, *, strict: bool = False) -> None:
        if not isinstance(text, str):
            raise VersionError(f"a version spec must be text, not {type(text).__name__}")
        root = _parse_spec_cached(text, strict)
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "_canonical", root.render())

    def __setattr__(self, name, value):
        raise AttributeError("VersionSpec is immutable")

    def matches(self, version: Version | str) -> bool:
        """Does `version` (a Version or its text) satisfy this spec?"""
        if isinstance(version, str):
            version = parse_version(version)
        return self.root.matches(version)

    @property
    def text(self) -> str:
        """The spec as written."""
        return self._text

    def __str__(self) -> str:
        return self._canonical

    def __repr__(self) -> str:
        return f"VersionSpec({self._canonical!r})"

    def __eq__(self, other):
        if not isinstance(other, VersionSpec):
            return NotImplemented
        return self._canonical == other._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)

    def __reduce__(self):
        return (VersionSpec, (self._text,))


@functools.lru_cache(maxsize=1 << 14)
def _parse_spec_cached(text: str, strict: bool) -> SpecNode:
    try:
        return _SpecParser(text.strip(), strict).parse()
    except _ParseProblem as err:
        raise VersionError(
            f"invalid version spec '{shorten(text)}': {err}",
            hint="a version spec looks like >=1.2,<2 or 1.2.* or ==1.2.3|>=2; "
            "',' means and, '|' means or",
        ) from None


def _is_star_glob(rest: str) -> bool:
    """'*', '.*', '.*.*', ...: a glob that means "anything after this"."""
    if rest == "*":
        return True
    while rest.endswith(".*"):
        rest = rest[:-2]
    return rest == ""


def _is_repeated_glob(rest: str) -> bool:
    """'.*.*' or '.*.': the odd `mkl 2023.*.*` spelling found in real repodata."""
    rest = rest[:-1] if rest.endswith(".") else rest
    if not rest:
        return False
    while rest.endswith(".*"):
        rest = rest[:-2]
    return rest == ""


_OPERATOR_CHARS = "=!<>~"
_TEXT_OPERATORS = {"==": "==", "!=": "!=", "<=": "<=", ">=": ">=", "<": "<", ">": ">",
                   "=": "startswith", "~=": "~="}


class _SpecParser:
    """Recursive descent over a version spec. Grammar (',' binds tighter than '|')::

        spec   := and ( '|' and )*
        and    := term ( ',' term )*
        term   := '(' spec ')' | '*' | '*.*' | [operator] version [glob]

    Spaces are allowed around ',', '|' and inside parentheses. Regular expressions
    (``^1.2.*$``), which conda once accepted, are rejected as rattler does. Each '(' costs a
    few Python stack frames, so nesting deeper than MAX_NESTING is an error, not a crash.
    """

    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.pos = 0
        self.strict = strict
        self.depth = 0  # open parentheses around the current term (bounded: no RecursionError)

    def parse(self) -> SpecNode:
        if "$" in self.text or "^" in self.text:
            raise _ParseProblem("regex constraints are not supported")
        if not self.text:
            raise _ParseProblem("empty version spec")
        node = self._or_group()
        if self.pos != len(self.text):
            raise _ParseProblem(f"unexpected {shorten(self.text[self.pos:])!r}")
        return node

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _accept(self, char: str) -> bool:
        """Consume optional spaces, `char`, optional spaces; or consume nothing."""
        start = self.pos
        self._skip_spaces()
        if self.text.startswith(char, self.pos):
            self.pos += 1
            self._skip_spaces()
            return True
        self.pos = start
        return False

    def _or_group(self) -> SpecNode:
        items = [self._and_group()]
        while self._accept("|"):
            items.append(self._and_group())
        return _flatten("or", items)

    def _and_group(self) -> SpecNode:
        items = [self._term()]
        while self._accept(","):
            items.append(self._term())
        return _flatten("and", items)

    def _term(self) -> SpecNode:
        if self._accept("("):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise _ParseProblem(f"parentheses nested more than {MAX_NESTING} deep")
            node = self._or_group()
            if not self._accept(")"):
                raise _ParseProblem(f"missing ')' in {shorten(self.text)!r}")
            self.depth -= 1
            return node
        if self.text.startswith("*", self.pos):
            self.pos += 3 if self.text.startswith("*.*", self.pos) else 1
            return AnyVersion()
        return self._constraint()

    def _read_while(self, allowed) -> str:
        start = self.pos
        while self.pos < len(self.text) and allowed(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def _constraint(self) -> SpecNode:
        op_text = self._read_while(lambda c: c in _OPERATOR_CHARS)
        if op_text and op_text not in _TEXT_OPERATORS:
            raise _ParseProblem(f"invalid operator '{shorten(op_text)}'")
        op = _TEXT_OPERATORS.get(op_text)
        word = self._read_while(lambda c: c.isalnum() or c in "!-_.*+")
        if not word:
            raise _ParseProblem(f"expected a version at position {self.pos + 1}")
        if word == "*":
            return self._star_with_operator(op_text)
        if "+" in word and (local := self._glob_with_local(op, op_text, word)) is not None:
            return local
        return self._versioned(op, op_text, word)

    def _star_with_operator(self, op_text: str) -> SpecNode:
        """``>=*`` and friends exist in the wild; the harmless ones mean any version."""
        if self.strict or op_text not in ("==", ">=", "<=", "~=", "="):
            raise _ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        return AnyVersion()

    def _glob_with_local(self, op, op_text: str, word: str) -> SpecNode | None:
        """``3.4.*+aws``: a glob before a local part, compared as ``3.4+aws``."""
        release, local = word[: word.index("+")], word[word.index("+") :]
        if not release.endswith("*"):
            return None
        base = release[:-2] if release.endswith(".*") else release[:-1]
        try:
            version, rest = _parse_version_prefix(base + local)
        except _ParseProblem:
            return None
        if rest:
            return None
        if op == "!=":
            return Constraint("not-startswith", version)
        if op is None:
            return Constraint("startswith", version)
        if self.strict:
            raise _ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        return Constraint(">=" if op in (">=", ">") else op, version)

    def _versioned(self, op, op_text: str, word: str) -> SpecNode:
        version, rest = _parse_version_prefix(word)
        if rest == "":
            if op is None and self.strict:
                raise _ParseProblem(
                    f"missing range specifier for '{shorten(word)}'. Did you mean '=={shorten(word)}' or "
                    f"'{shorten(word)}.*'?"
                )
            return Constraint(op or "==", version)
        if op in (">=", ">") and not self.strict and _is_star_glob(rest):
            return Constraint(">=", version)
        if rest in ("*", ".*") and op == "!=":
            return Constraint("not-startswith", version)
        if op is not None and not self.strict and _is_star_glob(rest):
            return Constraint(op, version)
        if rest in ("*", ".*") and op is None:
            return Constraint("startswith", version)
        if op is None and not self.strict and _is_repeated_glob(rest):
            return Constraint("startswith", version)
        if rest in ("*", ".*"):
            raise _ParseProblem(f"'*' is incompatible with '{op_text}' operator")
        if "*" in word:
            raise _ParseProblem("regex constraints are not supported ('*' only at the end)")
        raise _ParseProblem(f"invalid version '{shorten(word)}': unexpected {rest[0]!r}")


def _flatten(op: str, items: list[SpecNode]) -> SpecNode:
    """One item stays itself; nested groups of the same kind merge: (a,b),c -> a,b,c."""
    if len(items) == 1:
        return items[0]
    merged: list[SpecNode] = []
    for item in items:
        merged.extend(item.items if isinstance(item, Group) and item.op == op else [item])
    return Group(op, tuple(merged))
