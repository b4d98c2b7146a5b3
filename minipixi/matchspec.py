"""MatchSpecs: the one-line query language that names a set of package builds.

Every dependency in conda is a MatchSpec: `numpy >=1.26`, `python 3.12.* *_cpython`,
`conda-forge/linux-64::pytorch[build=cuda*]`. A spec is a filter over records:
`MatchSpec.parse(text).matches(record)` answers "is this build acceptable?". The solver parses
thousands of `depends` strings, so parsing is cached.

This module is the value: its fields, what it matches, and conda's canonical string
(`str(spec)`, e.g. `conda-forge::numpy[version='>=1.2',build=py*]`). Reading the text is
`matchspec_parse.py`; build-string and build-number patterns are `build_match.py`.

>>> from minipixi.records import PackageRecord
>>> record = PackageRecord(name="numpy", version="1.26.4", build="py312h1_0")
>>> spec = MatchSpec.parse("numpy >=1.26,<2 py312*")
>>> spec.matches(record), MatchSpec.parse("numpy 2.*").matches(record)
(True, False)
>>> str(spec)
"numpy[version='>=1.26,<2',build=py312*]"

Lesson: Episode 2, "Adding dependencies" (what `pixi add "numpy>=1.26"` writes). Read after
`build_match.py`; read next `matchspec_parse.py`, then `solver/`. Ground truth: rattler's
`match_spec/mod.rs` and conda's models/match_spec.py (the canonical string).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from minipixi.build_match import BuildNumberSpec, string_matches
from minipixi.errors import MatchSpecError, RecordError, VersionError
from minipixi.matchspec_parse import channel_base_url, check_name, parse_fields, spec_error
from minipixi.version_spec import VersionSpec

if TYPE_CHECKING:
    from minipixi.records import PackageRecord

__all__ = ["MatchSpec", "parse_matchspec", "parse_nameless_matchspec", "render_matchspec"]


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
        return replace(self, name=check_name(name, name, glob_ok=False))

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

    The grammar is `matchspec_parse.parse_fields`; any problem becomes one MatchSpecError that
    quotes the whole spec:

    >>> spec = parse_matchspec("numpy=1.7")  # lenient: conda's "starts with 1.7"
    >>> spec.name, str(spec.version), str(spec)
    ('numpy', '1.7.*', 'numpy=1.7')
    >>> parse_matchspec("numpy 1.7", strict=True)
    Traceback (most recent call last):
    ...
    minipixi.errors.MatchSpecError: invalid match spec 'numpy 1.7': invalid version spec '1.7': missing range specifier for '1.7'. Did you mean '==1.7' or '1.7.*'?
    """
    try:
        return MatchSpec(**parse_fields(text, strict=strict, nameless=False))
    except (MatchSpecError, VersionError, RecordError) as err:
        raise spec_error(text, err) from err


@functools.lru_cache(maxsize=1 << 12)
def parse_nameless_matchspec(text: str, *, strict: bool = False) -> MatchSpec:
    """Parse a spec without a name: `>=1.2`, `1.2.* py*`, `conda-forge::[build=cuda*]`.

    >>> spec = parse_nameless_matchspec(">=1.2 py*")
    >>> spec.name, str(spec.version), spec.build
    (None, '>=1.2', 'py*')
    """
    try:
        return MatchSpec(**parse_fields(text, strict=strict, nameless=True))
    except (MatchSpecError, VersionError, RecordError) as err:
        raise spec_error(text, err) from err


# ---------------------------------------------------------------------------------------------
# Rendering: conda's canonical string
# ---------------------------------------------------------------------------------------------


# --8<-- [start:render]
def render_matchspec(spec: MatchSpec) -> str:
    """conda's canonical form: `channel/subdir::name==1.2=py_0`, the rest in brackets.

    A simple version goes right after the name (`=1.2` for "starts with 1.2", `==1.2`
    exact, `!=1.2`, `~=1.2`); anything with `<`, `>`, `,` or `|` goes in brackets, quoted.
    The build follows `=` only after an exact version and when it is not a glob.

    >>> [str(parse_matchspec(text)) for text in ("numpy 1.2.*", "numpy ==1.2 py_0", "numpy >=1.2,<2 py*")]
    ['numpy=1.2', 'numpy==1.2=py_0', "numpy[version='>=1.2,<2',build=py*]"]
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
