"""Package records: one line of a channel's index, as a Python value.

A channel publishes, per platform (`subdir`), a `repodata.json` that lists every package file
it holds. Each entry is a *record*: the name, version and build of the package, the build
number, what it depends on (`depends`), what it restricts without pulling in (`constrains`),
its checksums and size, and a few flags (`noarch`, `track_features`). The solver reads only
records, never package files, so everything it knows about a package is in this class.

Reads and writes the JSON shape of one record (`from_repodata` / `to_repodata`), and splits a
package file name `name-version-build.conda` into its three parts.

A record is written by strangers, and some of its fields become paths: `name-version-build` is
the package's folder in the cache and its `conda-meta/<name-version-build>.json`, `fn` (or the
last part of `url`) is the downloaded archive's name, `subdir` a folder of the channel, and
`python_site_packages_path` the folder `noarch: python` files go to. So every record is checked
when it is read (`check_record_paths`, called by `from_repodata` and by the lock reader): each
of those is one plain name (or, for the site-packages path, a relative path that stays inside)
by the one rule of `files.py`. A refusal names the record, the field and the value.
Lesson: Episode 4, "What is inside a conda package" (the `info/index.json` section: a record
is that file plus the checksums of the archive). Read after `version_kernel.py`; read next
`build_match.py`, then `matchspec.py`. Ground truth: rattler_conda_types (`repo_data/mod.rs`,
`PackageRecord`).

>>> record = PackageRecord.from_repodata("numpy-2.1.0-py313h1_0.conda", {
...     "name": "numpy", "version": "2.1.0", "build": "py313h1_0", "build_number": 0,
...     "depends": ["python >=3.13,<3.14.0a0", "libblas >=3.9"], "timestamp": 1725000000,
... }, channel="conda-forge", subdir="linux-64")
>>> print(record), record.dist_name, record.timestamp
numpy 2.1.0 py313h1_0
(None, 'numpy-2.1.0-py313h1_0', 1725000000000)
>>> record.parsed_version > PackageRecord("numpy", "2.1.0rc1", "0").parsed_version
True
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import Any, Mapping

from minipixi.errors import RecordError, shorten
from minipixi.files import MAX_NAME_BYTES, UnsafePathError, check_component, check_relative, url_problem
from minipixi.version import Version, parse_version

#: Package file suffixes a channel may serve, newest format first.
PACKAGE_EXTENSIONS = (".conda", ".tar.bz2")

#: Timestamps above this are milliseconds: in seconds it would be after the year 9999.
#: Old repodata wrote seconds, newer writes milliseconds; rattler tells them apart the same way.
_MAX_SECONDS_TIMESTAMP = 253_402_300_799


# --8<-- [start:record]
@dataclass(frozen=True)
class PackageRecord:
    """One package build, as a channel's repodata describes it.

    Immutable and hashable, so records can be set members and dict keys (the solver keeps
    sets of candidates). `version` stays the text as written; `parsed_version` is the
    comparable `Version`, parsed once per distinct text (`parse_version` caches it).
    """

    name: str
    version: str
    build: str
    build_number: int = 0
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    subdir: str = ""
    noarch: str | None = None  # "python", "generic", or None for an arch-specific build
    track_features: tuple[str, ...] = ()
    timestamp: int | None = None  # milliseconds since the epoch
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    license: str | None = None
    license_family: str | None = None
    fn: str = ""  # the package file name, e.g. "numpy-2.1.0-py313h1_0.conda"
    url: str | None = None
    channel: str | None = None  # where it came from: a channel name or base URL
    features: str | None = None  # legacy conda 'features' (not track_features)
    # Fields that real repodata carries; optional, kept so that a record round-trips.
    arch: str | None = None
    platform: str | None = None
    legacy_bz2_md5: str | None = None
    legacy_bz2_size: int | None = None
    python_site_packages_path: str | None = None
    # --8<-- [end:record]

    @property
    def parsed_version(self) -> Version:
        """The version as a comparable `Version`. `parse_version` caches by text, so every
        build of one version shares one value (and, unlike a per-record cached_property,
        no lock is taken: shards are decoded in several threads at once)."""
        return parse_version(self.version)

    @property
    def dist_name(self) -> str:
        """`name-version-build`, the name of the package file without its extension.

        >>> PackageRecord("python-dateutil", "2.9.0", "pyhd8ed1ab_0").dist_name
        'python-dateutil-2.9.0-pyhd8ed1ab_0'
        """
        return f"{self.name}-{self.version}-{self.build}"

    def __str__(self) -> str:
        return f"{self.name} {self.version} {self.build}"

    @classmethod
    def from_repodata(
        cls,
        fn: str,
        data: Mapping[str, Any],
        *,
        channel: str | None = None,
        subdir: str | None = None,
        base_url: str | None = None,
    ) -> PackageRecord:
        """Build a record from one entry of `repodata.json` (`fn` is its key there).

        `subdir` fills in a record that does not name its own; `base_url` (the folder
        that holds the package files) gives the record its `url` when the entry has none.
        `md5` and `sha256` become hex text if they came as raw bytes (as in a shard, see
        ``shards.py``). Raises RecordError when name, version or build is missing or has the
        wrong type, when a number is not an integer, when `depends`/`constrains` are not lists of
        strings, a checksum is neither text nor bytes, a field kept as text is not text (a list
        would make the record unhashable) or the entry's own `url` is not one; a timestamp or
        `track_features` of an impossible type raises what Python raises for it (ValueError,
        TypeError, OverflowError), which `channel/repodata.records_from_entries` words for the user.
        """
        # A solve builds thousands of records, so the entry's own fields are laid over the
        # defaults in one step, and only the fields that need it are then checked or turned
        # into their record form (the usual shape of each, an int, a plain string, nothing at
        # all, is taken as it is; anything else goes through the function that checks it).
        values = {**_FIELD_DEFAULTS, **data}
        if len(values) != len(_FIELD_DEFAULTS):  # the entry has keys a record does not keep
            values = {key: values[key] for key in _FIELD_DEFAULTS}
        name, version, build = values["name"], values["version"], values["build"]
        if not (type(name) is str and name and type(version) is str and version
                and type(build) is str and build):
            key = next(key for key in ("name", "version", "build")
                       if not isinstance(values[key], str) or not values[key])
            raise RecordError(
                f"repodata record '{fn}' has no valid '{key}'",
                hint="each record needs string 'name', 'version' and 'build' fields",
            )
        values["fn"] = fn  # the entry's key names the file, whatever the entry says
        url = values["url"]
        if url is None and base_url is not None:
            values["url"] = f"{base_url.rstrip('/')}/{fn}"
        elif type(url) is str:  # rare: most entries leave the url to their channel
            _check_url(fn, url)
        if channel is not None:
            values["channel"] = channel
        if not values["subdir"]:
            values["subdir"] = subdir or ""
        md5, sha256 = values["md5"], values["sha256"]
        if type(md5) is bytes:  # a shard's raw hash
            values["md5"] = md5.hex()
        elif md5 is not None and type(md5) is not str:
            raise _broken_entry(fn, f"has 'md5' = {shorten(repr(md5))}, which is not a checksum")
        if type(sha256) is bytes:
            values["sha256"] = sha256.hex()
        elif sha256 is not None and type(sha256) is not str:
            raise _broken_entry(fn, f"has 'sha256' = {shorten(repr(sha256))}, which is not a checksum")
        depends, constrains = values["depends"], values["constrains"]
        if depends and (type(depends) not in _SPEC_LISTS or not all(map(_is_text, depends))):
            raise _broken_entry(fn, "has a 'depends' that is not a list of strings")
        if constrains and (type(constrains) not in _SPEC_LISTS or not all(map(_is_text, constrains))):
            raise _broken_entry(fn, "has a 'constrains' that is not a list of strings")
        values["depends"] = tuple(depends) if depends else ()  # (a tuple stays itself)
        values["constrains"] = tuple(constrains) if constrains else ()
        if type(values["build_number"]) is not int:
            values["build_number"] = _int_field(fn, data, "build_number", default=0)
        size, noarch = values["size"], values["noarch"]
        if size is not None and type(size) is not int:
            values["size"] = _int_field(fn, data, "size", default=None)
        if noarch is not None and (type(noarch) is not str or not noarch):
            values["noarch"] = _normalize_noarch(noarch)
        track_features, timestamp = values["track_features"], values["timestamp"]
        values["track_features"] = parse_track_features(track_features) if track_features else ()
        if timestamp is not None:
            values["timestamp"] = normalize_timestamp(timestamp)
        if not values["features"]:
            values["features"] = None
        if not _taken_fields_are_plain(values):
            _refuse_odd_field(fn, values)
        record = _new_record(cls, values)
        return check_record_paths(record, source=f"repodata record '{fn}'")

    def to_repodata(self) -> dict[str, Any]:
        """The record as a `repodata.json` entry: keys in alphabetical order, as channels write them.

        Empty optional fields are left out; `depends` is always written. `fn`, `url` and
        `channel` are not part of the entry (the file name is the entry's key).

        >>> PackageRecord("zlib", "1.3.1", "h4ab18f5_1", subdir="linux-64", md5="ab12").to_repodata()
        {'build': 'h4ab18f5_1', 'build_number': 0, 'depends': [], 'md5': 'ab12', 'name': 'zlib', 'subdir': 'linux-64', 'version': '1.3.1'}
        """
        out: dict[str, Any] = {}
        for field in fields(self):
            if field.name in _NOT_IN_REPODATA:
                continue
            value = getattr(self, field.name)
            if field.name == "track_features":
                value = " ".join(value) if value else None
            elif field.name in ("depends", "constrains"):
                value = list(value) if (value or field.name == "depends") else None
            if value is not None and value != "":
                out[field.name] = value
        return dict(sorted(out.items()))


    def depends_on(self, name: str) -> bool:
        """Does one of `depends` name the package `name` (``__cuda >=12``, ``__cuda>=12``)?

        Only the leading name of each spec is read; a full MatchSpec parse is not needed to
        know which package a dependency is about.

        >>> record = PackageRecord("pytorch", "2.7.0", "cuda126_0", depends=("__cuda>=12", "python 3.12.*"))
        >>> record.depends_on("__cuda"), record.depends_on("python"), record.depends_on("py")
        (True, True, False)
        """
        return any(_SPEC_NAME.match(dep).group(0) == name for dep in self.depends)


#: The package name at the start of a dependency spec: up to a space, an operator or a bracket.
_SPEC_NAME = re.compile(r"[^\s<>=!~\[]*")
_NOT_IN_REPODATA = frozenset({"fn", "url", "channel"})


#: Every field of a record and its default (None for the three that have none), in the class's
#: order: the base that `from_repodata` lays an entry over.
_FIELD_DEFAULTS: dict[str, Any] = {
    field.name: None if field.default is MISSING else field.default for field in fields(PackageRecord)
}


def _new_record(cls: type[PackageRecord], values: dict[str, Any]) -> PackageRecord:
    """``cls(**values)``, for `values` that name every field, four times faster.

    A frozen dataclass's ``__init__`` sets its 24 fields one by one through
    ``object.__setattr__``; a solve reads some 15,000 records, so the instance takes `values`
    (freshly built by its one caller, `from_repodata`) as its ``__dict__`` instead. The result
    is the same value (equal, same hash); ``tests/unit/test_records.py`` checks that the
    caller names exactly the dataclass's fields.
    """
    record = object.__new__(cls)
    object.__setattr__(record, "__dict__", values)
    return record


# --8<-- [start:paths]
class UnsafeRecordError(UnsafePathError, RecordError):
    """A record field that becomes a path is not a plain name. `field` says which one, so that
    a reader can point at it (the lock reader turns it into a located error)."""

    def __init__(self, field: str, message: str, *, where=None, hint: str | None = None):
        super().__init__(message, where=where, hint=hint)
        self.field = field


def url_basename(url: str) -> str:
    """The last part of a package URL: the archive's file name when a record has no `fn`."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def check_record_paths(record: PackageRecord, *, source: str = "record",
                       where: str | None = None) -> PackageRecord:
    """Return `record` if every field that becomes a path is safe to join to its folder.

    `name`, `version`, `build` (together the cache folder and the conda-meta file name),
    `subdir`, `fn` and the last part of `url` (the archive's name in the cache) must each be
    one file name: no separator, no ``..``, no NUL, not absolute. `python_site_packages_path`
    may have several parts but must stay inside the environment. Raises UnsafeRecordError,
    whose message starts with `source` (e.g. "repodata record 'numpy-2.1.0-0.conda'").

    This runs for every record read from repodata, so the usual case takes one step: the
    joined `name-version-build` (the file name is that plus an extension, and the URL ends in
    the file name); only when something is refused are the fields checked one by one, to name
    the one at fault.

    >>> check_record_paths(PackageRecord("evil", "1.0", "0", fn="../../bin/sh"), source="a test")
    Traceback (most recent call last):
    ...
    minipixi.records.UnsafeRecordError: a test: unsafe `fn` '../../bin/sh': it climbs out of its folder with '..'
    """
    fn, url, dist_name = record.fn, record.url, record.dist_name
    if ((_is_plain_name(dist_name) or _is_file_name(dist_name))
            and ".." not in (record.name, record.version, record.build)
            and (not fn or _is_archive_of(fn, dist_name) or _is_file_name(fn))
            and (not record.subdir or record.subdir in _SAFE_SUBDIRS or _is_file_name(record.subdir))
            and (not url or (fn and url.endswith("/" + fn)) or url_basename(url) == fn
                 or _is_file_name(url_basename(url)))
            and record.python_site_packages_path is None):
        if record.subdir and record.subdir not in _SAFE_SUBDIRS and len(_SAFE_SUBDIRS) < 64:
            _SAFE_SUBDIRS.add(record.subdir)
        return record
    fields_to_check = [("name", record.name, check_component),
                       ("version", record.version, check_component),
                       ("build", record.build, check_component)]
    fields_to_check += [(key, value, check_component) for key, value in
                        (("subdir", record.subdir), ("fn", fn)) if value]
    if url:
        fields_to_check.append(("url", url_basename(url), check_component))
    if record.python_site_packages_path is not None:
        fields_to_check.append(("python_site_packages_path", record.python_site_packages_path,
                                check_relative))
    for key, value, check in fields_to_check:
        what = f"`{key}` {url!r}, whose file name" if key == "url" else f"`{key}`"
        try:
            check(value, what=what, where=where)
        except UnsafePathError as err:
            raise UnsafeRecordError(key, f"{source}: {err.message}", where=err.where,
                                    hint=err.hint) from None
    return record


_SAFE_SUBDIRS: set[str] = set()  # subdirs already checked: every record of a channel has one


def _is_archive_of(fn: str, dist_name: str) -> bool:
    """Is `fn` the archive of `dist_name` (``numpy-2.1-0`` + ``.conda``)? Then it is as safe
    a file name as `dist_name`: an extension adds no separator, NUL or drive."""
    return fn.startswith(dist_name) and fn[len(dist_name):] in PACKAGE_EXTENSIONS


#: Names made only of these characters, and no longer than a file name may be, are ones
#: `check_component` accepts, unless they are "." or ".." (no separator, NUL or drive colon).
#: Testing a name against this pattern first is what makes checking every record of a solve
#: cheap; anything else takes the full check, which also says what is wrong.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.+!=~-]{1,%d}" % MAX_NAME_BYTES)


def _is_plain_name(value: str) -> bool:
    return _PLAIN_NAME.fullmatch(value) is not None and value not in (".", "..")


def _is_file_name(value: str) -> bool:
    try:
        check_component(value, what="name")
    except UnsafePathError:
        return False
    return True


# --8<-- [end:paths]


def _int_field(fn: str, data: Mapping[str, Any], key: str, *, default: int | None) -> int | None:
    """Read an integer field; a bool or a string there is a broken index, not a number.
    ``null`` is the field left out (so a ``build_number`` of null is 0)."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _broken_entry(fn, f"has '{key}' = {shorten(repr(value))}, which is not an integer")


def _broken_entry(fn: str, what: str) -> RecordError:
    """The one error for a repodata entry that is not what a channel should send: ``repodata
    record '<fn>' <what>``, telling the user whose file is broken."""
    return RecordError(f"repodata record '{fn}' {what}",
                       hint="the channel's repodata is malformed; report it to the channel")


#: ``depends`` and ``constrains`` arrive as a JSON list or a msgpack tuple of spec texts.
_SPEC_LISTS = frozenset({list, tuple})
#: ``isinstance(x, str)`` as a function `map` calls without a Python frame per item.
_is_text = str.__instancecheck__


_TEXT_OR_NONE = frozenset({str, type(None)})
_INT_OR_NONE = frozenset({int, type(None)})
#: The fields a record takes as they come (`url`, `channel` and those it only keeps to write
#: them back), with the types each may have.
_TAKEN_AS_IS = {key: _TEXT_OR_NONE for key in ("url", "channel", "license", "license_family",
                                                 "features", "arch", "platform", "legacy_bz2_md5")}
_TAKEN_AS_IS["legacy_bz2_size"] = _INT_OR_NONE


def _taken_fields_are_plain(values: dict[str, Any]) -> bool:
    """Are the `_TAKEN_AS_IS` fields of `values` of their types? A record is hashed (it is a set
    member), downloaded from its url and written to the lock, so a list or a map there would
    fail far from the channel that sent it. The table written out as one expression, no loop:
    it runs for every record a solve reads (tests/unit/test_records.py checks the two agree)."""
    return (type(values["url"]) in _TEXT_OR_NONE and type(values["channel"]) in _TEXT_OR_NONE
            and type(values["license"]) in _TEXT_OR_NONE and type(values["license_family"]) in _TEXT_OR_NONE
            and type(values["features"]) in _TEXT_OR_NONE and type(values["arch"]) in _TEXT_OR_NONE
            and type(values["platform"]) in _TEXT_OR_NONE and type(values["legacy_bz2_md5"]) in _TEXT_OR_NONE
            and type(values["legacy_bz2_size"]) in _INT_OR_NONE)


def _refuse_odd_field(fn: str, values: dict[str, Any]) -> None:
    """Raise RecordError naming the first `_TAKEN_AS_IS` field of a type it may not have."""
    for key, allowed in _TAKEN_AS_IS.items():
        if type(values[key]) not in allowed:
            kind = "a whole number" if allowed is _INT_OR_NONE else "text"
            raise _broken_entry(fn, f"has '{key}' = {shorten(repr(values[key]))}, which is not {kind}")


def _check_url(fn: str, url: str) -> None:
    """An entry's own `url` must be one the URL parser reads (it is downloaded later)."""
    problem = url_problem(url)
    if problem:
        raise _broken_entry(fn, f"has the url {shorten(repr(url))}, which is not a valid URL ({problem})")


def _normalize_noarch(value: Any) -> str | None:
    """`noarch` is "python" or "generic"; very old indexes wrote `true` for generic."""
    if value is True:
        return "generic"
    if not value:
        return None
    return str(value)


def parse_track_features(value: Any) -> tuple[str, ...]:
    """Split `track_features` into a tuple of names.

    Repodata writes it as one string separated by spaces or commas ("cuda92",
    "foo,bar", "a b"), sometimes as a list, and often as "" for none.

    >>> parse_track_features("foo,bar"), parse_track_features(["a", ""]), parse_track_features("")
    (('foo', 'bar'), ('a',), ())
    """
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(part for part in re.split(r"[\s,]+", value) if part)
    return tuple(str(part) for part in value if part)


def normalize_timestamp(value: int | float | None) -> int | None:
    """A repodata timestamp in milliseconds, whether it was written in seconds or milliseconds.

    >>> normalize_timestamp(1725000000), normalize_timestamp(1725000000123)
    (1725000000000, 1725000000123)
    """
    if value is None:
        return None
    value = int(value)
    return value if value > _MAX_SECONDS_TIMESTAMP else value * 1000


# --8<-- [start:filename]
@dataclass(frozen=True)
class PackageFilename:
    """The parts of a package file name: `name-version-build` plus the archive extension."""

    name: str
    version: str
    build: str
    extension: str  # ".conda" or ".tar.bz2"


def parse_package_filename(fn: str) -> PackageFilename:
    """Split `numpy-2.1.0-py313h1_0.conda` into name, version, build and extension.

    Names may contain dashes (`python-dateutil`), but versions and builds never do, so the
    last two dashes are the separators. Raises RecordError for any other shape.

    >>> parse_package_filename("python-dateutil-2.9.0-pyhd8ed1ab_0.tar.bz2")
    PackageFilename(name='python-dateutil', version='2.9.0', build='pyhd8ed1ab_0', extension='.tar.bz2')
    >>> parse_package_filename("numpy.conda")
    Traceback (most recent call last):
    ...
    minipixi.errors.RecordError: 'numpy.conda' is not of the form name-version-build.conda
    """
    extension = next((ext for ext in PACKAGE_EXTENSIONS if fn.endswith(ext)), None)
    if extension is None:
        raise RecordError(
            f"'{fn}' is not a package file name",
            hint="package files end in .conda or .tar.bz2",
        )
    parts = fn[: -len(extension)].rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        raise RecordError(
            f"'{fn}' is not of the form name-version-build{extension}",
            hint="e.g. numpy-2.1.0-py313h1_0.conda",
        )
    return PackageFilename(parts[0], parts[1], parts[2], extension)


# --8<-- [end:filename]
