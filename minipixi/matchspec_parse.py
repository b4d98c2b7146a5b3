"""Reading a MatchSpec: the grammar that turns `conda-forge::numpy >=1.26 py3*` into fields.

`matchspec.py` holds the value and what it matches; this module only reads text. One spec,
every part but the name optional::

    conda-forge/linux-64::pytorch >=2.7 cuda*[build_number='>=300']
    |------------------|  |-----| |---| |---||----------------------|
     channel / subdir      name   version build  [key=value, ...]

`parse_fields` returns the fields as a dict (`matchspec.py` builds the MatchSpec and caches
it). Two modes, as in rattler: *lenient* (what conda accepted for years: ``numpy=1.7`` means
``1.7.*``, ``foo=1.0=py27_0`` splits on ``=``) and *strict* (``1.7`` alone is an error).
Channels, URLs and paths written in a spec are read here too (`parse_channel_and_subdir`,
`channel_base_url`, `path_to_file_url`).
Lesson: Episode 2, "Adding dependencies". Read after `matchspec.py`; read next `solver/`.
Ground truth: rattler's `match_spec/parse.rs` and conda's models/match_spec.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PureWindowsPath
from urllib.parse import quote

from minipixi.build_match import BuildNumberSpec, compile_string_matcher
from minipixi.errors import MatchSpecError, RecordError, VersionError, shorten
from minipixi.records import PACKAGE_EXTENSIONS, parse_package_filename
from minipixi.version_spec import MAX_NESTING, VersionSpec

__all__ = [
    "BRACKET_KEYS",
    "DEFAULT_CHANNEL_ALIAS",
    "KNOWN_SUBDIRS",
    "channel_base_url",
    "channel_display_name",
    "check_name",
    "parse_bracket_items",
    "parse_channel_and_subdir",
    "parse_fields",
    "path_to_file_url",
    "spec_error",
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


def spec_error(text: str, err: Exception) -> MatchSpecError:
    """Wrap any parse problem into one MatchSpecError that quotes the spec."""
    reason = getattr(err, "message", str(err))
    return MatchSpecError(
        f"invalid match spec '{shorten(text)}': {reason}",
        hint=getattr(err, "hint", None)
        or "a spec reads like 'numpy >=1.26', 'python 3.12.* *_cpython' or "
        "'conda-forge::pytorch[build=cuda*]'",
    )



def parse_fields(text: str, *, strict: bool, nameless: bool) -> dict[str, object]:
    """The MatchSpec fields written in `text`, as keyword arguments for `MatchSpec`.

    The steps follow conda's `_parse_spec_str`: strip a `# comment`; take off the `[...]`
    part; a URL or path to a package file is a spec by itself; split `channel::` and
    `namespace:` off the front; read the name; split what is left into version and build.
    Values in brackets win over the same values written outside them (strict: an error).
    Errors come out unwrapped (`spec_error` wraps them).

    >>> fields = parse_fields("conda-forge/linux-64::numpy >=1.26 py3*[md5=" + "A" * 32 + "]",
    ...                       strict=False, nameless=False)
    >>> {key: str(value) for key, value in fields.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'channel': 'conda-forge', 'subdir': 'linux-64', 'name': 'numpy', 'version': '>=1.26',
     'build': 'py3*', 'md5': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
    """
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


def _merge(outside: dict, inside: dict, *, strict: bool) -> dict[str, object]:
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
    return merged


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
        try:  # a condition is itself a spec; check it now
            parse_fields(value, strict=strict, nameless=False)
        except (MatchSpecError, VersionError, RecordError) as err:
            raise spec_error(value, err) from err
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
    return check_name(found.group(), text, glob_ok=not strict), text[found.end():].strip()


def check_name(name: str, spec_text: str, *, glob_ok: bool) -> str:
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

    >>> parse_channel_and_subdir("conda-forge/linux-64"), parse_channel_and_subdir("conda-forge/label/x")
    (('conda-forge', 'linux-64'), ('conda-forge/label/x', None))
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

    >>> channel_base_url("conda-forge"), channel_base_url("https://c.example/p/conda/")
    ('https://conda.anaconda.org/conda-forge', 'https://c.example/p/conda')
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
    `channel/names.py` uses it too, so that a spec's `./channel::name` and the records read from
    `./channel` name the same URL."""
    if _WINDOWS_DRIVE.match(path):
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe=_URL_PATH_SAFE)
    absolute = os.path.normpath(Path(os.path.expanduser(path)).absolute())
    return "file://" + quote(absolute.replace(os.sep, "/"), safe=_URL_PATH_SAFE)


def _spec_from_url(text: str, *, nameless: bool) -> dict[str, object]:
    """A spec that is a URL or path to one package file: name from the file name, plus the url."""
    url = _normalize_url(text)
    file_name = url.rsplit("/", 1)[-1]
    if not file_name.endswith(PACKAGE_EXTENSIONS):
        raise MatchSpecError("missing package name", hint="a URL spec must point at a .conda or .tar.bz2 file")
    name = None if nameless else parse_package_filename(file_name).name.lower()
    return {"name": name, "url": url}
