"""Repodata, read lazily: index a channel's huge ``repodata.json`` by name, decode on demand.

A channel describes each subdir (``linux-64``, ``noarch``, ...) in one ``repodata.json``: a
JSON object whose ``packages`` (``.tar.bz2`` files) and ``packages.conda`` (``.conda`` files)
map a file name to its record::

    {"info": {"subdir": "linux-64"},
     "packages": {"numpy-2.3.1-py313h17eae1a_0.tar.bz2": {"name": "numpy", ...}, ...},
     "packages.conda": {"numpy-2.3.1-py313h17eae1a_0.conda": {"name": "numpy", ...}, ...}}

conda-forge's ``linux-64`` file holds hundreds of thousands of records, yet one solve reads
those of a few dozen names. ``json.loads`` of the whole file would build millions of Python
objects (gigabytes, seconds) to throw nearly all of them away. So we never parse it whole:

1. **Index.** Search the raw bytes for keys that end in ``.conda"`` or ``.tar.bz2"`` and are
   followed by ``: {``; a conda file name is ``NAME-VERSION-BUILD.EXT``, so the key alone
   says which package a record belongs to. We keep, per name, only byte offsets. One pass
   walks the top level (`walk_top_level`): it jumps from record to record through the two
   record sections and skips the other values ("info", "signatures", whose keys are file
   names too), so no section has to be searched for through the whole file.
2. **Decode on demand.** `SubdirRepodata.records` json-decodes just the byte slices of the
   asked name and turns them into `PackageRecord`s, once (the result is remembered).

The file is memory-mapped, so the operating system pages in what we touch and can drop it
again: peak memory stays near the file's size, not a multiple of it. py-rattler's
``SparseRepoData`` makes the same bet (``bench/repodata.py`` compares the two).

Lesson: Episode 4 ("Where packages come from"). Read after `channel/names.py`, with `channel/fetch.py`
(which downloads and caches the files this module reads); read next `channel/fetch.py`.
Ground truth: rattler's ``repo_data`` and ``sparse`` modules.
"""

from __future__ import annotations

import bisect
import json
import mmap
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from minipixi.errors import ChannelError, RecordError, shorten
from minipixi.files import url_problem
from minipixi.records import PackageRecord

# A record's key is a package file name in quotes, then a colon and an opening brace. It comes
# right after its section's opening brace (the first record) or after the previous record's
# closing brace and a comma. Starting the pattern at that "}" keeps the search fast: the regex
# engine jumps from one "}" to the next instead of trying every quote in the file.
# The pattern captures whatever character follows the colon (as fast as asking for "{"), so
# that an entry whose value is not an object is seen, and refused, instead of silently skipped.
_FIRST_KEY = re.compile(rb'\s*"([^"]+)\.(?:conda|tar\.bz2)"\s*:\s*(.)')
_NEXT_KEY = re.compile(rb'\}\s*,\s*"([^"]+)\.(?:conda|tar\.bz2)"\s*:\s*(.)')
# Top-level sections. Only "packages" and "packages.conda" hold records; "signatures"
# (content-trust data) is keyed by file name too, so we must know where it starts: each
# section runs to the next one we know of.
_RECORD_SECTIONS = (b"packages", b"packages.conda")
_OTHER_SECTIONS = (b"signatures", b"info")
_COLON_BRACE = re.compile(rb"\s*:\s*\{")
_COLON = re.compile(rb"\s*:")
_DECODER = json.JSONDecoder()
# The walk over the top level (`walk_top_level`): a key after "{" or ","; after a record, the
# next record's key or the "}" that closes the section; a value that is not an object or array.
_TOP_KEY = re.compile(rb'\s*([{,])\s*"([^"\\]*)"\s*:\s*')
_NEXT_KEY_OR_END = re.compile(rb'\}\s*(?:,\s*"([^"]+)\.(?:conda|tar\.bz2)"\s*:\s*(.)|\})')
_EMPTY_OBJECT = re.compile(rb"\s*\{\s*\}\s*")
_SCALAR = re.compile(rb'"[^"\\]*"|[-+0-9.eE]+|true|false|null')
_CLOSE = re.compile(rb"\s*\}\s*")


# --8<-- [start:index]
@dataclass
class RepodataIndex:
    """Where each record starts in the raw bytes, by package name.

    ``by_name[name]`` lists the offsets of the opening quote of each record's key (the file
    name). ``boundaries`` holds those offsets for all names plus the start of every
    top-level section, sorted: the next boundary after a record tells where its bytes end.
    ``sections`` maps the top-level keys found (``packages``, ``info``...) to their offsets.
    """

    by_name: dict[str, list[int]]
    boundaries: list[int]
    sections: dict[bytes, int]


def index_repodata(data: bytes | mmap.mmap, source: str = "<memory>") -> RepodataIndex:
    """Scan `data` once and index its records by name, without decoding any of them.

    Raises ChannelError naming `source` when a record section or a record is not an object.
    """
    walked = walk_top_level(data)
    sections, by_name = walked if walked is not None else search_records(data, source)
    boundaries = sorted(chain(sections.values(), *by_name.values()))
    names = {name.decode("utf-8", "replace"): quotes for name, quotes in by_name.items()}
    return RepodataIndex(names, boundaries, sections)
# --8<-- [end:index]


def add_record_key(by_name: dict[bytes, list[int]], key: re.Match) -> None:
    """File the record whose key `key` matched under its package name."""
    name = key.group(1).rsplit(b"-", 2)[0]  # name-version-build: split off 2 parts
    by_name[name].append(key.start(1) - 1)  # the opening quote of the key


def walk_top_level(data: bytes | mmap.mmap) -> tuple[dict[bytes, int], dict[bytes, list[int]]] | None:
    """The top-level sections and the record offsets by name, in one pass over the file.

    Walks the top-level object key by key. A record section is crossed by jumping from one
    record's key to the next (the regex engine only stops at each "}"), up to the "}" that
    closes the section; any other value is decoded and skipped. So the keys of "signatures",
    which are package file names too, are never taken for records, and no key has to be
    searched for through the whole file. None when the layout is not the usual one (a nested
    object in a record, a section twice, an entry that is not an object...): then
    `search_records` reads the file (and names what is wrong with it).
    """
    sections: dict[bytes, int] = {}
    by_name: dict[bytes, list[int]] = defaultdict(list)
    pos, opening = 0, b"{"
    while (key := _TOP_KEY.match(data, pos)) is not None and key.group(1) == opening:
        name, pos, opening = key.group(2), key.end(), b","
        if name in sections or name not in _RECORD_SECTIONS and name.endswith((b".conda", b".tar.bz2")):
            return None  # a section twice, or a record where sections belong
        if data[pos:pos + 1] == b"{" and name in _RECORD_SECTIONS + _OTHER_SECTIONS:
            sections[name] = key.start(2) - 1
        found = _cross_records(data, pos, by_name) if name in _RECORD_SECTIONS else _skip_value(data, pos)
        if found is None:
            return None
        pos = found
    end = _EMPTY_OBJECT.match(data, pos) if opening == b"{" else _CLOSE.match(data, pos)
    return (sections, by_name) if end is not None and end.end() == len(data) else None


def _cross_records(data: bytes | mmap.mmap, brace: int, by_name: dict) -> int | None:
    """From a record section's opening brace to just after its closing one, filing each
    record's key; None when the section is not records that end as expected."""
    empty = _EMPTY_OBJECT.match(data, brace)
    if empty is not None:
        return empty.end()
    first = _FIRST_KEY.match(data, brace + 1)
    if first is None or first.group(2) != b"{":
        return None
    add_record_key(by_name, first)
    for step in _NEXT_KEY_OR_END.finditer(data, first.end()):
        stem, after = step.group(1, 2)
        if after != b"{":  # the "}" that closes the section (or an entry that is no object)
            return step.end() if stem is None else None
        by_name[stem.rsplit(b"-", 2)[0]].append(step.start(1) - 1)  # as add_record_key
    return None


def _skip_value(data: bytes | mmap.mmap, pos: int, most: int = 1 << 20) -> int | None:
    """Where the JSON value at `pos` (not a record section: "info", "removed", ...) ends;
    None when it is not valid JSON within `most` bytes. Decoded from a window of the bytes
    that grows until the value fits (most are a few lines)."""
    scalar = _SCALAR.match(data, pos)
    if scalar is not None:
        return scalar.end()
    window = 4096
    while True:
        text = data[pos:pos + window].decode("utf-8", "surrogateescape")
        try:
            _, end = _DECODER.raw_decode(text)
        except (ValueError, RecursionError):
            if window >= most or pos + window >= len(data):
                return None
            window *= 16
            continue
        return pos + len(text[:end].encode("utf-8", "surrogateescape"))


def search_records(data: bytes | mmap.mmap, source: str) -> tuple[dict[bytes, int], dict[bytes, list[int]]]:
    """`walk_top_level` for an unusual file: find the sections by searching for their keys
    (`find_sections`), then scan the record sections for record keys.

    Raises ChannelError naming `source` when a record section or a record is not an object.
    """
    sections = find_sections(data, source)
    by_name: dict[bytes, list[int]] = defaultdict(list)
    for start, end in record_ranges(data, sections):
        first = _FIRST_KEY.match(data, start, end)
        for match in chain([first] if first else [], _NEXT_KEY.finditer(data, start, end)):
            if match.group(2) != b"{":
                raise _malformed(source, f"the entry {_shown(match.group(1))}... is not an "
                                 "object (every record is one)")
            add_record_key(by_name, match)
    return sections, by_name


def find_sections(data: bytes | mmap.mmap, source: str = "<memory>") -> dict[bytes, int]:
    """Offsets of the top-level keys that open an object: {b"packages": offset, ...}.

    A byte search for the quoted key, checked to be followed by ``: {``. The same text could
    in theory appear as a key deeper down, but conda repodata has no such nesting. A record
    section whose value is something else (``"packages": []``) is a ChannelError.
    """
    found = {}
    for key in _RECORD_SECTIONS + _OTHER_SECTIONS:
        needle = b'"' + key + b'"'
        at = data.find(needle)
        not_object = False
        while at >= 0:
            if _COLON_BRACE.match(data, at + len(needle)):
                found[key] = at
                break
            not_object = not_object or bool(_COLON.match(data, at + len(needle)))
            at = data.find(needle, at + 1)
        if not_object and key in _RECORD_SECTIONS and key not in found:
            raise _malformed(source, f'"{key.decode()}" is not an object of records')
    return found


def _malformed(source: str, what: str) -> ChannelError:
    return ChannelError(f"the repodata is malformed: {what}", where=source,
                        hint="the channel's index is corrupt; remove the cached copy and fetch "
                        "again, or tell the channel's maintainers")


def _shown(raw: bytes) -> str:
    """A key from the file as text for a message: undecodable bytes replaced, cut at 80."""
    return repr(raw[:80].decode("utf-8", "replace"))


def record_ranges(data: bytes | mmap.mmap, sections: dict[bytes, int]) -> list[tuple[int, int]]:
    """The byte ranges inside "packages" and "packages.conda": from just after the section's
    opening brace to the start of the next section we know of (or the end of the file)."""
    starts = sorted(sections.values()) + [len(data)]
    return [
        (data.find(b"{", starts[i]) + 1, starts[i + 1])
        for i, key in enumerate(sorted(sections, key=sections.get))
        if key in _RECORD_SECTIONS
    ]


def decode_entry(data: bytes | mmap.mmap, index: RepodataIndex, quote: int, source: str):
    """Decode the record whose key starts at `quote`: returns (file name, record dict).

    Raises ChannelError naming `source` when the bytes there are not valid JSON.
    """
    key_end = data.find(b'"', quote + 1)
    raw_name = data[quote + 1 : key_end]
    brace = data.find(b"{", key_end)
    nxt = bisect.bisect_right(index.boundaries, quote)
    end = index.boundaries[nxt] if nxt < len(index.boundaries) else len(data)
    try:
        file_name = raw_name.decode("utf-8")
        record, _ = _DECODER.raw_decode(data[brace:end].decode("utf-8"))
    except UnicodeDecodeError as err:
        raise _malformed(source, f"the record {_shown(raw_name)} is not UTF-8 text "
                         f"(byte {err.object[err.start:err.start + 1]!r})") from err
    except ValueError as err:
        raise _malformed(source, f"the record {_shown(raw_name)} is not valid JSON "
                         f"({_first_line(err)})") from err
    except RecursionError as err:  # json's C decoder recurses once per level of nesting
        raise _malformed(source, f"the record {_shown(raw_name)} is nested too deeply") from err
    return file_name, record


def decode_entries(data: bytes | mmap.mmap, index: RepodataIndex, quotes: list[int],
                   source: str) -> dict[str, dict]:
    """Decode the records whose keys start at `quotes` (sorted): {file name: record dict}.

    A name's records usually stand next to each other in the file, and a run of neighbours
    is one JSON object once put between braces: ``{"a.conda": {...}, "b.conda": {...}}``.
    So each run is decoded by one `json` call, which costs a third less than one call per
    record (a solve reads thousands). A run that does not come out as exactly its records
    (a backslash, which JSON would unescape in a key; bytes that are not JSON) is decoded
    record by record instead, by `decode_entry`, which also says which record is broken.
    """
    boundaries, entries = index.boundaries, {}
    positions = [bisect.bisect_left(boundaries, quote) for quote in quotes]
    first = 0
    while first < len(positions):
        last = first  # extend the run while the next record is the next boundary
        while last + 1 < len(positions) and positions[last + 1] == positions[last] + 1:
            last += 1
        after = positions[last] + 1
        end = boundaries[after] if after < len(boundaries) else len(data)
        run = _decode_run(data[quotes[first]:end], last - first + 1)
        if run is None:
            run = dict(decode_entry(data, index, quote, source) for quote in quotes[first:last + 1])
        entries.update(run)
        first = last + 1
    return entries


def _decode_run(raw: bytes, count: int) -> dict | None:
    """`count` neighbouring records (`raw` runs from the first key's quote to the next
    boundary) as one dict, or None when they do not decode as exactly that."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\\" in text:
        return None
    # After the last record: a comma and the next key, or the end of its section and more.
    # Without the comma, one more brace closes the object either way; the JSON decoder stops
    # at the first complete value.
    text = text.rstrip()
    if text.endswith(","):
        text = text[:-1]
    try:
        found, _ = _DECODER.raw_decode("{" + text + "}")
    except (ValueError, RecursionError):
        return None
    return found if len(found) == count else None


def _first_line(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]


def shadow_tar_bz2(file_names: list[str]) -> list[str]:
    """Drop each ``X.tar.bz2`` that has an ``X.conda`` twin, keeping file order.

    The two archives hold the same package; like conda and rattler we prefer ``.conda``
    (smaller, faster to extract).
    """
    stems = {fn[: -len(".conda")] for fn in file_names if fn.endswith(".conda")}
    return [
        fn for fn in file_names
        if not (fn.endswith(".tar.bz2") and fn[: -len(".tar.bz2")] in stems)
    ]


def check_repodata_shape(data: bytes | mmap.mmap, source: str) -> None:
    """A cheap test that `data` is a whole JSON object: opens with ``{``, closes with ``}``.

    A truncated download fails it, as does an HTML error page. A full parse would cost as
    much as the lazy loading saves, so a record broken inside the file is reported when it
    is read (by `decode_entry`).
    """
    check_ends(data[:64], data[max(0, len(data) - 64) :], source)


def check_ends(head: bytes, tail: bytes, source: str) -> None:
    """`check_repodata_shape`, given only the first and last bytes."""
    if not head.lstrip().startswith(b"{") or not tail.rstrip().endswith(b"}"):
        raise ChannelError(
            "the repodata is not a complete JSON object (truncated, or not JSON at all)",
            where=source,
            hint="fetch it again; if this persists, the channel or a proxy serves a broken file",
        )


# --8<-- [start:subdir]
@dataclass
class SubdirRepodata:
    """One subdir of one channel, read lazily; a `RecordSource` for the solver.

    `records(name)` decodes the records of `name` on first use and remembers them. Each
    record gets its ``url`` (``<channel>/<subdir>/<file name>``) and ``channel`` set.
    """

    data: bytes | mmap.mmap = field(repr=False)
    index: RepodataIndex = field(repr=False)
    channel: str  # the channel's canonical URL, e.g. https://conda.anaconda.org/conda-forge/
    subdir: str
    source: str  # where the bytes came from, for error messages
    base_url: str  # where this subdir's files are downloaded from
    label: str = ""  # how explanations name it, e.g. "conda-forge/linux-64"
    _cache: dict[str, list[PackageRecord]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, path: Path | str, *, channel: str = "", subdir: str | None = None,
             source: str | None = None, label: str = "") -> "SubdirRepodata":
        """Memory-map and index the repodata.json at `path` (a ChannelError if malformed).

        `channel` defaults to the folder above the subdir folder, `subdir` to the index's
        ``info.subdir`` (else the folder's name), `source` to the path.
        """
        path = Path(path).resolve()
        return cls.from_bytes(
            _map_file(path, source or str(path)),
            channel=channel or path.parent.parent.as_uri() + "/",
            subdir=subdir or path.parent.name,
            source=source or str(path),
            label=label,
        )

    @classmethod
    def from_bytes(cls, data: bytes | mmap.mmap, *, channel: str, subdir: str | None = None,
                   source: str = "<memory>", label: str = "") -> "SubdirRepodata":
        """Index repodata already in memory (or mapped); see `read`."""
        check_repodata_shape(data, source)
        index = index_repodata(data, source)
        info = read_info(data, index, source)
        subdir = subdir or info.get("subdir") or "noarch"
        return cls(data, index, channel, subdir, source, subdir_base_url(channel, subdir, info, source=source),
                   label or f"{channel}{subdir}")

    def names(self) -> list[str]:
        """Every package name in this subdir, sorted."""
        return sorted(self.index.by_name)

    def records(self, name: str) -> list[PackageRecord]:
        """All records of `name` (``.conda`` shadowing ``.tar.bz2`` twins), in file order."""
        if name not in self._cache:
            entries = decode_entries(self.data, self.index,
                                     sorted(self.index.by_name.get(name, ())), self.source)
            self._cache[name] = records_from_entries(entries, channel=self.channel,
                                                     subdir=self.subdir, base_url=self.base_url,
                                                     source=self.source)
        return self._cache[name]
# --8<-- [end:subdir]


def records_from_entries(entries: dict, *, channel: str, subdir: str, base_url: str,
                         source: str) -> list[PackageRecord]:
    """The records of {file name: entry} as a channel sent them (from ``repodata.json`` or a
    shard), in file order, a ``.conda`` shadowing its ``.tar.bz2`` twin. Whatever is wrong
    with an entry is one ChannelError that names `source` and the record."""
    build, records, file_name = PackageRecord.from_repodata, [], None
    try:
        for file_name in shadow_tar_bz2(list(entries)):
            records.append(build(file_name, entries[file_name], channel=channel, subdir=subdir,
                                 base_url=base_url))
    except RecordError as err:
        raise ChannelError(err.message, where=source, hint=err.hint) from err
    except (TypeError, ValueError, AttributeError, OverflowError) as err:  # a field of the wrong type
        raise _malformed(source, f"the record {file_name!r} has a field of the "
                         f"wrong type ({_first_line(err)})") from err
    return records


def _map_file(path: Path, source: str) -> bytes | mmap.mmap:
    """The file's bytes, memory-mapped (an empty file cannot be mapped: b"" instead)."""
    try:
        with open(path, "rb") as handle:
            if path.stat().st_size == 0:
                return b""
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as err:
        raise ChannelError(
            f"cannot read repodata: {err.strerror}", where=source,
            hint="check that the channel folder has <subdir>/repodata.json",
        ) from err


def read_info(data: bytes | mmap.mmap, index: RepodataIndex, source: str) -> dict:
    """The small ``info`` section ({"subdir": ..., "base_url": ...}), or {} when absent."""
    if b"info" not in index.sections:
        return {}
    brace = data.find(b"{", index.sections[b"info"])
    text = data[brace : brace + 65536].decode("utf-8", "replace")
    try:
        info, _ = _DECODER.raw_decode(text)
    except ValueError as err:
        raise ChannelError(f"the repodata's info section is not valid JSON ({err})",
                           where=source, hint="fetch the channel again") from err
    except RecursionError as err:
        raise _malformed(source, "the info section is nested too deeply") from err
    return info if isinstance(info, dict) else {}


def subdir_base_url(channel: str, subdir: str, info: dict, *, source: str) -> str:
    """Where the files of `subdir` live: ``<channel>/<subdir>/``, unless repodata v2 says.

    Repodata version 2 may set ``info.base_url`` (absolute, or relative to the subdir) so that
    packages are served from elsewhere than the index. One that is not a URL at all (``http://[``)
    is a ChannelError naming `source`, the index that says it, and so is a remote channel
    pointing at anything but http(s): its index must not make us read ``file:///etc/...``.
    """
    default = channel.rstrip("/") + "/" + subdir + "/"
    base = info.get("base_url")
    if not isinstance(base, str) or not base:
        return default
    return join_url(default, base.rstrip("/") + "/", what="base_url", source=source,
                    remote=_is_remote(default))


def _is_remote(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")  # (urlsplit lowercases the scheme)


def join_url(base: str, reference: str, *, what: str, source: str, remote: bool) -> str:
    """``urljoin(base, reference)`` for a `reference` read from a channel's index (its `what`).
    With `remote`, the result must be http(s): a remote index must not point at ``file://``."""
    problem = url_problem(reference)
    if problem:
        raise ChannelError(f"the index's {what} {shorten(repr(reference))} is not a URL ({problem})",
                           where=source, hint="the channel's index is corrupt; tell the "
                           "channel's maintainers")
    joined = urljoin(base, reference)
    if remote and not _is_remote(joined):
        raise ChannelError(f"the index's {what} points to {shorten(repr(joined))}, not an http(s) URL",
                           where=source, hint="a remote channel's files must be remote too; tell "
                           "the channel's maintainers")
    return joined
