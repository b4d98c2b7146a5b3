"""MatchSpecs: the one-line query language that names a set of package builds.

Every dependency in conda is a MatchSpec: `numpy >=1.26`, `python 3.12.* *_cpython`,
`conda-forge/linux-64::pytorch[build=cuda*]`. The full shape, every part but the name
optional::

    conda-forge/linux-64::pytorch >=2.7 cuda*[build_number='>=300']
    |------------------|  |-----| |---| |---||----------------------|
     channel / subdir      name   version build  [key=value, ...]

A spec is a filter over records: `MatchSpec.parse(text).matches(record)` answers "is this
build acceptable?". The solver parses thousands of `depends` strings, so parsing is cached.

Two parsing modes, as in rattler: *lenient* (the default, what conda accepted for years:
`numpy=1.7` means `1.7.*`, `foo=1.0=py27_0` splits on `=`, `python=*` is fine) and *strict*
(the unambiguous subset: `1.7` alone is an error, asking for `==1.7` or `1.7.*`).
`str(spec)` is conda's canonical form, e.g. `conda-forge::numpy[version='>=1.2',build=py*]`.
Lesson: Episode 2, "Adding dependencies" (what `pixi add "numpy>=1.26"` writes). Read after
`version.py` and `records.py`; read next `solver/`. Ground truth: rattler's
`match_spec/parse.rs` and conda's `models/match_spec.py` (the canonical string).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from minipixi.errors import MatchSpecError, RecordError, VersionError, shorten
from minipixi.records import PACKAGE_EXTENSIONS, parse_package_filename
from minipixi.version import MAX_NUMBER
from minipixi.version_spec import MAX_NESTING, VersionSpec

if TYPE_CHECKING:
    from minipixi.records import PackageRecord

__all__ = [
    "BuildNumberSpec",
    "MatchSpec",
    "compile_string_matcher",
    "string_matches",
    "channel_base_url",
    "channel_display_name",
    "parse_matchspec",
    "parse_nameless_matchspec",
]

#: Where a bare channel name such as "conda-forge" lives.
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"

#: Subdirs a channel may have; "conda-forge/linux-64" is channel + subdir only for these.
KNOWN_SUBDIRS = frozenset(
    """noarch linux-32 linux-64 linux-aarch64 linux-armv6l linux-armv7l linux-ppc64
    linux-ppc64le linux-s390x linux-riscv32 linux-riscv64 linux-loongarch64 osx-64
    osx-arm64 win-32 win-64 win-arm64 emscripten-wasm32 wasi-wasm32 zos-z freebsd-64""".split()
)

#: Keys allowed inside `[...]`.
BRACKET_KEYS = (
    "version", "build", "build_number", "channel", "subdir", "md5", "sha256", "fn",
    "url", "license", "license_family", "track_features", "when",
)

_NAME_OK = re.compile(r"^[A-Za-z0-9_.\-]+$")
_CHANNEL_NAME_OK = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


# ---------------------------------------------------------------------------------------------
# Small matchers: build strings and build numbers
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 12)
def compile_string_matcher(pattern: str) -> re.Pattern:
    """Compile a build-string (or name) pattern: exact text, a `*` glob, or a `^regex$`.

    Only `*` is special in a glob (`py3*_0`); `?` and `[...]` are literal, as in conda.
    Matching ignores case, as rattler does. Raises MatchSpecError for a broken `^regex$`.
    """
    if pattern.startswith("^") and pattern.endswith("$"):
        _check_regex_cost(pattern)
        try:
            return re.compile(pattern, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError) as err:  # deep nesting, a{99999999999}
            raise MatchSpecError(f"invalid regex: {shorten(pattern)}",
                                 hint=f"{err}" if isinstance(err, re.error) else None) from None
    return re.compile(_glob_regex(pattern), re.IGNORECASE | re.DOTALL)


def _glob_regex(pattern: str) -> str:
    """A `*` glob as a regex that cannot backtrack for long.

    The plain translation (``a*b*c`` -> ``a.*b.*c``) tries every way of placing each piece, so
    ``*a*a*a*a*a*a*a*a*!`` takes seconds on a 40-character build string. But for a glob, the
    first place where a middle piece fits is always as good as any later one, so each middle
    piece is found lazily inside an atomic group, ``(?>.*?b)``, that is never re-entered; only
    the last piece, which must end the text, is found by backing up from the end.
    """
    pieces = [re.escape(piece) for piece in pattern.split("*")]
    if len(pieces) == 1:
        return pieces[0]
    middle = "".join(f"(?>.*?{piece})" for piece in pieces[1:-1])
    return f"{pieces[0]}{middle}.*{pieces[-1]}"


MAX_REGEX_LENGTH = 1000


def _check_regex_cost(pattern: str) -> None:
    """Refuse a regex that could take exponential time on a build string (a time bound).

    Python's `re` backtracks, so ``^(a+)+$`` against ``aaaa...b`` tries every split of the
    a's; rattler's Rust regex engine never backtracks. A spec from a stranger's repodata
    must not hang the solver, so a repeated group that itself repeats or alternates
    (``(x+)+``, ``(x*)*``, ``(a|aa)+``) is an error, as are backreferences and lookarounds
    (which rattler lacks).
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise MatchSpecError(f"the regex {shorten(pattern)} is longer than {MAX_REGEX_LENGTH} characters")
    if re.search(r"\\[1-9]|\(\?(?:[=!]|<[=!]|P=)", pattern):
        raise MatchSpecError(f"invalid regex: {shorten(pattern)}",
                             hint="backreferences and lookarounds are not supported (nor by rattler)")
    repeats = []  # one flag per open group: does something inside it repeat (or alternate)?
    position, escaped = 0, False
    while position < len(pattern):
        char = pattern[position]
        following = pattern[position + 1 : position + 2]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":  # a character class: skip to its end (']' first is literal)
            end = pattern.find("]", position + 2 if following == "]" else position + 1)
            position = end if end > 0 else len(pattern)
        elif char == "(":
            repeats.append(False)
        elif char == ")" and repeats:
            inner = repeats.pop()
            if inner and following in ("*", "+", "{"):
                raise MatchSpecError(
                    f"invalid regex: {shorten(pattern)}: a repeated group that repeats inside",
                    hint="nested repetition like (x+)+ or (a|aa)+ can take exponential time")
            if repeats and (inner or following in ("*", "+", "{")):
                repeats[-1] = True
        elif char in "*+{|" and repeats:  # an alternation in a repeated group backtracks too
            repeats[-1] = True
        position += 1


def string_matches(pattern: str, text: str) -> bool:
    """Does `text` match the build-string pattern `pattern` (see `compile_string_matcher`)?"""
    return compile_string_matcher(pattern).fullmatch(text) is not None


_BUILD_NUMBER = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*(\d+)\s*$")


@dataclass(frozen=True)
class BuildNumberSpec:
    """A build number constraint: `3` (meaning `==3`), `>=3`, `<3`, `!=0` ..."""

    operator: str
    number: int

    @classmethod
    def parse(cls, text: str) -> BuildNumberSpec:
        found = _BUILD_NUMBER.match(text)
        if not found:
            raise MatchSpecError(
                f"invalid build number spec: '{shorten(text)}'",
                hint="write a number, optionally after one of >=, >, <=, <, ==, !=",
            )
        operator = found.group(1) or "=="
        digits = found.group(2)
        if len(digits.lstrip("0")) > len(str(MAX_NUMBER)) or int(digits) > MAX_NUMBER:
            raise MatchSpecError(f"the build number {shorten(digits)} is too large (at most {MAX_NUMBER})")
        return cls("==" if operator == "=" else operator, int(digits))

    def matches(self, number: int) -> bool:
        return _COMPARE[self.operator](number, self.number)

    def __str__(self) -> str:
        return f"{self.operator}{self.number}"


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


# ---------------------------------------------------------------------------------------------
# The MatchSpec value
# ---------------------------------------------------------------------------------------------


# --8<-- [start:matchspec]
@dataclass(frozen=True, eq=False)
class MatchSpec:
    """A parsed spec. Every field left as None places no constraint.

    `name` is None only for a *nameless* spec (the right-hand side of a pixi.toml
    dependency table, `numpy = ">=1.26"`). `channel` is the channel as written ("conda-forge",
    a URL or a path); use `channel_base_url` to compare channels.
    """

    name: str | None
    version: VersionSpec | None = None
    build: str | None = None  # exact, `*` glob or `^regex$` (see `string_matches`)
    build_number: BuildNumberSpec | None = None
    channel: str | None = None
    subdir: str | None = None
    namespace: str | None = None
    md5: str | None = None
    sha256: str | None = None
    fn: str | None = None
    url: str | None = None
    license: str | None = None
    license_family: str | None = None
    track_features: tuple[str, ...] | None = None
    condition: str | None = None  # `[when="__linux"]`: the dependency applies only then
    # --8<-- [end:matchspec]

    @staticmethod
    def parse(text: str, *, strict: bool = False) -> MatchSpec:
        """Parse `text` (cached). Raises MatchSpecError quoting the text."""
        return parse_matchspec(text, strict=strict)

    @staticmethod
    def parse_nameless(text: str, *, strict: bool = False) -> MatchSpec:
        """Parse a spec without a package name, e.g. `>=1.2 py*` or `[version='1.*']`."""
        return parse_nameless_matchspec(text, strict=strict)

    def with_name(self, name: str) -> MatchSpec:
        """This spec with a package name (turns a nameless spec into a full one)."""
        return replace(self, name=_check_name(name, name, glob_ok=False))

    # --8<-- [start:matches]
    def matches(self, record: PackageRecord) -> bool:
        """Is `record` one of the builds this spec asks for?

        Channel, subdir, file name and url are compared only when the record knows its own
        (a bare record from an index.json has no channel). `track_features` asks for a
        subset, as in rattler. `condition` is not about the record: the solver decides
        whether a conditional dependency applies at all.
        """
        if self.name is not None and not _name_matches(self.name, record.name):
            return False
        if self.version is not None and not self.version.matches(record.parsed_version):
            return False
        if self.build is not None and not string_matches(self.build, record.build):
            return False
        if self.build_number is not None and not self.build_number.matches(record.build_number):
            return False
        return self._hashes_match(record) and self._origin_matches(record) and (
            self._metadata_matches(record)
        )
    # --8<-- [end:matches]

    def _hashes_match(self, record: PackageRecord) -> bool:
        if self.md5 is not None and (record.md5 or "").lower() != self.md5:
            return False
        return self.sha256 is None or (record.sha256 or "").lower() == self.sha256

    def _origin_matches(self, record: PackageRecord) -> bool:
        """Channel, subdir, fn and url, each checked only when the record carries it."""
        if self.channel is not None and record.channel:
            if channel_base_url(self.channel) != channel_base_url(record.channel):
                return False
        if self.subdir is not None and record.subdir and self.subdir != record.subdir:
            return False
        if self.fn is not None and record.fn and self.fn != record.fn:
            return False
        return self.url is None or not record.url or self.url == record.url

    def _metadata_matches(self, record: PackageRecord) -> bool:
        if self.license is not None and self.license != record.license:
            return False
        if self.license_family is not None and self.license_family != record.license_family:
            return False
        wanted = self.track_features or ()
        return all(feature in record.track_features for feature in wanted)

    def _key(self) -> tuple:
        """What equality compares: every field, with a version of `*` counted as no version."""
        version = None if self.version is None or str(self.version) == "*" else self.version
        return tuple(getattr(self, name) for name in _FIELD_NAMES) + (version,)

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, MatchSpec) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return render_matchspec(self)

    def __repr__(self) -> str:
        return f"MatchSpec({str(self)!r})"


_FIELD_NAMES = tuple(name for name in MatchSpec.__dataclass_fields__ if name != "version")


def _name_matches(pattern: str, name: str) -> bool:
    if "*" not in pattern:
        return pattern == name.lower()
    return string_matches(pattern, name)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 15)
def parse_matchspec(text: str, *, strict: bool = False) -> MatchSpec:
    """Parse a full MatchSpec (with a package name). Cached: specs repeat a lot in repodata.

    The steps follow conda's `_parse_spec_str`: strip a `# comment`; take off the `[...]`
    part; a URL or path to a package file is a spec by itself; split `channel::` and
    `namespace:` off the front; read the name; split what is left into version and build.
    Values in brackets win over the same values written outside them (strict: an error).
    """
    try:
        return _parse(text, strict=strict, nameless=False)
    except (MatchSpecError, VersionError, RecordError) as err:
        raise _spec_error(text, err) from err


@functools.lru_cache(maxsize=1 << 12)
def parse_nameless_matchspec(text: str, *, strict: bool = False) -> MatchSpec:
    """Parse a spec without a name: `>=1.2`, `1.2.* py*`, `conda-forge::[build=cuda*]`."""
    try:
        return _parse(text, strict=strict, nameless=True)
    except (MatchSpecError, VersionError, RecordError) as err:
        raise _spec_error(text, err) from err


def _spec_error(text: str, err: Exception) -> MatchSpecError:
    """Wrap any parse problem into one MatchSpecError that quotes the spec."""
    reason = getattr(err, "message", str(err))
    return MatchSpecError(
        f"invalid match spec '{shorten(text)}': {reason}",
        hint=getattr(err, "hint", None)
        or "a spec reads like 'numpy >=1.26', 'python 3.12.* *_cpython' or "
        "'conda-forge::pytorch[build=cuda*]'",
    )


def _parse(text: str, *, strict: bool, nameless: bool) -> MatchSpec:
    """The parse steps (see `parse_matchspec`); errors come out unwrapped."""
    rest = text.split("#", 1)[0].strip()
    if not strict:
        rest = re.sub(r"(\])\s*\([^()]*\)$", r"\1", rest)  # conda's "(target=..., optional)"
    rest, brackets = _split_brackets(rest)
    values = _bracket_values(brackets, strict=strict)
    if "url" not in values and "::" not in rest and _looks_like_url_or_path(rest):
        return _spec_from_url(rest, nameless=nameless)
    rest, namespace, channel_text = _split_channel(rest)
    outside: dict[str, object] = {"namespace": namespace}
    if channel_text is not None:
        outside["channel"], outside["subdir"] = parse_channel_and_subdir(channel_text)
    if not nameless:
        name, rest = _split_name(rest, strict=strict)
        outside["name"] = name
    if rest:
        outside.update(_version_and_build(rest, strict=strict))
    return _merge(outside, values, strict=strict)


def _merge(outside: dict, inside: dict, *, strict: bool) -> MatchSpec:
    """Combine the values written outside the brackets with those inside them."""
    if strict:
        for key in ("version", "build"):
            if outside.get(key) is not None and inside.get(key) is not None:
                raise MatchSpecError(f"found multiple values for: {key}")
    merged = {key: value for key, value in outside.items() if value is not None}
    merged.update({key: value for key, value in inside.items() if value is not None})
    merged.setdefault("name", None)
    if merged.get("channel") == "*":  # "*/linux-64::numpy": any channel, that subdir
        del merged["channel"]
    return MatchSpec(**merged)


def _split_brackets(text: str) -> tuple[str, str | None]:
    """`numpy >=1[build=py*]` -> (`numpy >=1`, `build=py*`). The bracket part must come last."""
    start = text.find("[")
    if start < 0:
        return text, None
    if not text.endswith("]"):
        raise MatchSpecError("invalid bracket", hint="the [key=value, ...] part must end the spec")
    return text[:start].strip(), text[start + 1 : -1]


_BRACKET_ITEM = re.compile(
    r"""\s*([A-Za-z0-9_\-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s,'"\]\[]+)\s*(?:,|\s|$)"""
)


def parse_bracket_items(body: str) -> list[tuple[str, str]]:
    """`version='>=1,<2', build=py*` -> [("version", ">=1,<2"), ("build", "py*")].

    Items are separated by commas or spaces (conda accepts `[version=1.10 build=py38_0]`);
    a value with spaces or commas in it must be quoted.
    """
    items, position = [], 0
    while position < len(body.rstrip()):
        found = _BRACKET_ITEM.match(body, position)
        if not found or found.end() == position:
            raise MatchSpecError(
                "invalid bracket", hint="write [key=value, ...]; quote values with spaces or commas"
            )
        key, value = found.group(1), found.group(2)
        if value[:1] in "'\"":
            value = value[1:-1]
        items.append((key, value))
        position = found.end()
    return items


def _bracket_values(body: str | None, *, strict: bool) -> dict[str, object]:
    """Turn the bracket items into typed values, checking keys (and duplicates when strict)."""
    if body is None:
        return {}
    items = parse_bracket_items(body)
    keys = [key for key, _value in items]
    for key in keys:
        if key not in BRACKET_KEYS and (strict or key != "name"):
            raise MatchSpecError(
                f"invalid bracket key: {key}", hint=f"known keys: {', '.join(BRACKET_KEYS)}"
            )
        if strict and keys.count(key) > 1:
            raise MatchSpecError(f"found multiple values for: {key}")
    values: dict[str, object] = {}
    for key, value in items:
        if key == "name":
            continue  # conda ignores a name in brackets; the name before them wins
        for field_name, field_value in _bracket_value(key, value, strict=strict).items():
            if key == "channel" and field_name == "subdir" and "subdir" in values:
                continue  # an explicit subdir=... wins over one inside channel=...
            values[field_name] = field_value
    return values


def _bracket_value(key: str, value: str, *, strict: bool) -> dict[str, object]:
    """One `key=value` item, parsed into the MatchSpec field(s) it sets."""
    if key == "version":
        return {"version": VersionSpec(value, strict=strict)}
    if key == "build":
        compile_string_matcher(value)  # fail early on a broken regex
        return {"build": value}
    if key == "build_number":
        return {"build_number": BuildNumberSpec.parse(value)}
    if key in ("md5", "sha256"):
        return {key: _parse_digest(key, value)}
    if key == "channel":
        channel, subdir = parse_channel_and_subdir(value)
        return {"channel": channel, "subdir": subdir} if subdir else {"channel": channel}
    if key == "url":
        return {"url": _normalize_url(value)}
    if key == "track_features":
        return {"track_features": tuple(re.split(r"[\s,]+", value.strip()))}
    if key == "when":
        parse_matchspec(value, strict=strict)  # a condition is itself a spec; check it now
        return {"condition": value}
    return {key: value}  # subdir, fn, license, license_family: plain text


def _parse_digest(key: str, value: str) -> str:
    length = 32 if key == "md5" else 64
    if len(value) != length or not _HEX.match(value):
        raise MatchSpecError(
            "unable to parse hash digest from hex",
            hint=f"{key} is {length} hexadecimal characters",
        )
    return value.lower()


def _split_channel(text: str) -> tuple[str, str | None, str | None]:
    """`conda-forge::numpy` -> (`numpy`, None, `conda-forge`); `ch:ns:numpy` has a namespace.

    Splits from the right, so the colon of `https://` stays in the channel.
    """
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return text, None, None
    namespace = parts[-2].strip() or None
    channel = parts[0] if len(parts) == 3 else None
    return parts[-1], namespace, channel


_NAME_PART = re.compile(r"[^\s<>=!~]+")


def _split_name(text: str, *, strict: bool) -> tuple[str, str]:
    """`numpy>=1.2 py*` -> (`numpy`, `>=1.2 py*`): the name ends at a space or an operator."""
    text = text.strip()
    found = _NAME_PART.match(text)
    if found is None:
        raise MatchSpecError("missing package name", hint="a spec starts with the package name")
    return _check_name(found.group(), text, glob_ok=not strict), text[found.end():].strip()


def _check_name(name: str, spec_text: str, *, glob_ok: bool) -> str:
    """Validate a package name and return it lower-cased (conda names are lower case)."""
    if "*" in name and not glob_ok:
        raise MatchSpecError(
            f"'{name}' looks like a glob, but only exact package names are allowed here",
            hint="strict specs name one package; drop the '*' or parse leniently",
        )
    plain = name.replace("*", "") if glob_ok else name
    if plain and not _NAME_OK.match(plain):
        bad = sorted({c for c in plain if not re.match(r"[A-Za-z0-9_.\-]", c)})
        raise MatchSpecError(
            f"'{name}' is not a valid package name: it has invalid characters "
            f"({' '.join(bad)})",
            hint="package names can only contain 0-9, a-z, A-Z, -, _, or .",
        )
    if re.search(r"\.\.|--|^[.\-]", plain) and "*" not in name:
        raise MatchSpecError(
            f"'{name}' is an invalid package name",
            hint="a name may not start with '.' or '-' or repeat them ('..', '--')",
        )
    return name.lower()


# --8<-- [start:version-build]
def _version_and_build(text: str, *, strict: bool) -> dict[str, object]:
    """Split `>=1.0 , <2 py34_0` or `1.0=py27_0` into a VersionSpec and a build matcher."""
    if text == "=" and not strict:
        return {}  # conda reads "numpy=" as plain "numpy"
    end = _scan_version_group(text, 0)
    version_text, build_text = text[:end], text[end:]
    if strict:
        build_text = build_text.strip()
        if re.search(r"[^A-Za-z0-9_*]", build_text):
            raise MatchSpecError(
                f"the build string '{build_text}' is not valid, it can only contain "
                "alphanumeric characters and underscores"
            )
    elif build_text[:1] in (" ", "="):
        build_text = build_text[1:]  # one space or '=' separates version and build
    build_text = build_text.strip() or None
    version_text = re.sub(r"\s+", "", version_text)
    if not strict:
        version_text = _strip_equals(version_text, build_text)
    if build_text is not None:
        compile_string_matcher(build_text)  # fail early on a broken regex
    return {"version": VersionSpec(version_text, strict=strict), "build": build_text}
# --8<-- [end:version-build]


def _scan_version_group(text: str, position: int, depth: int = 0) -> int:
    """Index just past the version part: constraints joined by ',' or '|', maybe in parentheses.

    A constraint is an optional operator and a run of version characters; the version part
    ends at the first gap (space or '=') that is not followed by ',' or '|'. Parentheses may
    nest MAX_NESTING deep, as in a version spec (deeper would exhaust Python's stack).
    """
    if depth > MAX_NESTING:
        raise MatchSpecError(f"parentheses nested more than {MAX_NESTING} deep",
                             hint="a version spec needs at most a level or two of parentheses")
    while True:
        position = _skip_spaces(text, position)
        if text.startswith("(", position):
            position = _scan_version_group(text, position + 1, depth + 1)
            if not text.startswith(")", position):
                raise MatchSpecError(f"unable to parse version spec: {shorten(text)}")
            position += 1
        else:
            position = _scan_constraint(text, position)
        after = _skip_spaces(text, position)
        if not text.startswith((",", "|"), after):
            return position
        position = after + 1


# An optional operator, optional spaces, then a run of version characters (a glob included).
_CONSTRAINT = re.compile(r"(?:>=|<=|~=|==|!=|=|<|>)?\s*[^\s,|()<>=~]+")


def _scan_constraint(text: str, position: int) -> int:
    found = _CONSTRAINT.match(text, position)
    if found is None:
        raise MatchSpecError(f"unable to parse version spec: {shorten(text)}")
    return found.end()


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _strip_equals(version: str, build: str | None) -> str:
    """Lenient mode's legacy reading of a leading '=' (conda's, kept by rattler).

    `==1.2` with no build means `1.2` (an exact version); `=1.2` means `1.2*` (starts with),
    but `=1.2=py_0` means exactly `1.2` with build `py_0`. Groups (`=1.2,<2`) are left alone.
    """
    if not version.startswith("="):
        return version
    if version.startswith("==") and build is None:
        return version[2:]
    without = version[1:]
    if any(char in without for char in "=,|"):
        return version
    if build is None and not without.endswith("*"):
        return without + "*"
    return without


# ---------------------------------------------------------------------------------------------
# Channels, URLs and paths
# ---------------------------------------------------------------------------------------------


def parse_channel_and_subdir(text: str) -> tuple[str, str | None]:
    """`conda-forge/linux-64` -> (`conda-forge`, `linux-64`); `conda-forge/label/x` stays whole.

    Raises MatchSpecError ("invalid channel") for text that is neither a channel name, a URL
    nor a path.
    """
    text = text.strip().rstrip("/")
    channel, subdir = text, None
    head, _, tail = text.rpartition("/")
    if head and tail in KNOWN_SUBDIRS:
        channel, subdir = head, tail
    if not (channel == "*" or _URL_SCHEME.match(channel) or _is_path(channel)
            or _CHANNEL_NAME_OK.match(channel)):
        raise MatchSpecError("invalid channel", hint=f"'{channel}' is not a channel name, URL or path")
    return channel, subdir


def _is_path(text: str) -> bool:
    return (
        text.startswith(("/", "./", "../", "~/"))
        or text in (".", "..", "~")
        or _WINDOWS_DRIVE.match(text) is not None
    )


def channel_base_url(channel: str) -> str:
    """The URL a channel's subdirs live under, without a trailing slash.

    `conda-forge` -> `https://conda.anaconda.org/conda-forge`; a URL stays as it is; a path
    becomes a `file://` URL (relative paths against the current directory).
    """
    channel = channel.rstrip("/")
    if _URL_SCHEME.match(channel):
        return channel
    if _is_path(channel):
        return path_to_file_url(channel).rstrip("/")
    return f"{DEFAULT_CHANNEL_ALIAS}/{channel}"


def channel_display_name(channel: str) -> str:
    """A channel's short name: `conda-forge`; the URL path for a URL (`p/conda`); a path as written."""
    channel = channel.rstrip("/")
    found = _URL_SCHEME.match(channel)
    if found and not channel.startswith("file://"):
        after_scheme = channel[found.end():]
        return after_scheme.partition("/")[2]
    return channel


def _looks_like_url_or_path(text: str) -> bool:
    """A URL or a path to a package file (not a `https://host/channel:ns:name` spec)."""
    if text.endswith(PACKAGE_EXTENSIONS):
        return bool(_URL_SCHEME.match(text)) or _is_path(text)
    found = _URL_SCHEME.match(text) or _WINDOWS_DRIVE.match(text)
    if found:
        return ":" not in text[found.end():]
    return _is_path(text) and ":" not in text


def _normalize_url(text: str) -> str:
    """A URL as it is; an absolute path (POSIX or Windows) as a `file://` URL."""
    if _URL_SCHEME.match(text):
        return text
    if _is_path(text):
        return path_to_file_url(text)
    raise MatchSpecError("invalid package path or url", hint=f"'{text}' is neither a URL nor a path")


# What a path keeps as it is in a file:// URL; the rest is percent-encoded, as rattler (Rust's
# url crate) does: spaces, control and non-ASCII characters, and " # % < > ? ` { }.
_URL_PATH_SAFE = "/!$&'()*+,:;=@[\\]^|"


def path_to_file_url(path: str) -> str:
    """A local path as a `file://` URL, the way rattler writes one: made absolute, with `.` and
    `..` folded as text (symlinks are not followed), special characters percent-encoded.
    `channel.py` uses it too, so that a spec's `./channel::name` and the records read from
    `./channel` name the same URL."""
    if _WINDOWS_DRIVE.match(path):
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe=_URL_PATH_SAFE)
    absolute = os.path.normpath(Path(os.path.expanduser(path)).absolute())
    return "file://" + quote(absolute.replace(os.sep, "/"), safe=_URL_PATH_SAFE)


def _spec_from_url(text: str, *, nameless: bool) -> MatchSpec:
    """A spec that is a URL or path to one package file: name from the file name, plus the url."""
    url = _normalize_url(text)
    file_name = url.rsplit("/", 1)[-1]
    if not file_name.endswith(PACKAGE_EXTENSIONS):
        raise MatchSpecError("missing package name", hint="a URL spec must point at a .conda or .tar.bz2 file")
    name = None if nameless else parse_package_filename(file_name).name.lower()
    return MatchSpec(name=name, url=url)


# ---------------------------------------------------------------------------------------------
# Rendering: conda's canonical string
# ---------------------------------------------------------------------------------------------


# --8<-- [start:render]
def render_matchspec(spec: MatchSpec) -> str:
    """conda's canonical form: `channel/subdir::name==1.2=py_0`, the rest in brackets.

    A simple version goes right after the name (`=1.2` for "starts with 1.2", `==1.2`
    exact, `!=1.2`, `~=1.2`); anything with `<`, `>`, `,` or `|` goes in brackets, quoted.
    The build follows `=` only after an exact version and when it is not a glob.
    """
    front, brackets = _render_origin(spec)
    front.append(spec.name or "")  # a nameless spec is written without one: `>=1.2[build=py*]`
    version_exact = _render_version(spec, front, brackets)
    if spec.build is not None:
        build = spec.build
        if any(char in build for char in "><$^|,"):
            brackets.append(f"build='{build}'")
        elif version_exact and "*" not in build:
            front.append(f"={build}")
        else:
            brackets.append(f"build={build}")
    brackets.extend(_render_other_fields(spec))
    text = "".join(front)
    return f"{text}[{','.join(brackets)}]" if brackets else text
# --8<-- [end:render]


def _render_origin(spec: MatchSpec) -> tuple[list[str], list[str]]:
    """The `channel/subdir:namespace:` prefix, or `subdir=` in brackets when there is no channel."""
    front: list[str] = []
    brackets: list[str] = []
    if spec.channel is not None:
        front.append(spec.channel + (f"/{spec.subdir}" if spec.subdir else ""))
    elif spec.subdir is not None:
        brackets.append(f"subdir={spec.subdir}")
    if spec.namespace is not None:
        front.append(f":{spec.namespace}:" if front else f"{spec.namespace}:")
    elif front:
        front.append("::")
    return front, brackets


def _render_version(spec: MatchSpec, front: list[str], brackets: list[str]) -> bool:
    """Append the version where conda puts it; return True when it pins one exact version."""
    if spec.version is None or str(spec.version) == "*":
        return False  # "any version" is not written at all
    version = spec.version.text.replace(" ", "")
    if any(char in version for char in "><$^|,()"):
        brackets.append(f"version='{version}'")
    elif version.startswith("=") and not version.startswith("=="):
        front.append("=" + version[1:].removesuffix("*").removesuffix("."))  # "=1.2.*": 1.2.*
    elif version.startswith(("!=", "~=")):
        if spec.build is not None:
            brackets.append(f"version='{version}'")
        else:
            front.append(version)
    elif version.endswith(".*"):
        front.append("=" + version[:-2])
    elif version.endswith("*"):
        front.append("=" + version[:-1])
    else:
        front.append(version if version.startswith("==") else "==" + version)
        return True
    return False


def _render_other_fields(spec: MatchSpec) -> list[str]:
    """`key=value` items for the fields that have no place outside the brackets."""
    items = []
    if spec.build_number is not None:
        number = spec.build_number
        text = str(number.number) if number.operator == "==" else str(number)
        items.append(f"build_number={_quote(text)}")
    values = {
        "track_features": " ".join(spec.track_features) if spec.track_features else None,
        "url": spec.url if spec.channel is None else None,
        "md5": spec.md5,
        "sha256": spec.sha256,
        "license": spec.license,
        "license_family": spec.license_family,
        "fn": spec.fn if spec.url is None else None,
        "when": spec.condition,
    }
    for key, value in values.items():
        if value is not None:
            items.append(f"{key}={_quote(value)}")
    return items


def _quote(value: str) -> str:
    if any(char in value for char in "='\""):
        return f'"{value}"'
    if any(char in value for char in " ,[]"):
        return f"'{value}'"
    return value
