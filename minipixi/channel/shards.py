"""Sharded repodata (CEP 16): download the records of the names a solve reaches, not a whole channel.

A channel's ``repodata.json.zst`` holds every record of a subdir: tens of MB for conda-forge's
``linux-64``, downloaded again whenever anyone adds a package. *Sharded* repodata cuts it by
package name. A channel that serves it has, next to ``repodata.json``, per subdir:

- the **index**, ``<subdir>/repodata_shards.msgpack.zst``: zstd-compressed msgpack (a binary
  JSON) of::

      {"version": 1,
       "info": {"subdir": "linux-64", "base_url": "./", "shards_base_url": "./shards/"},
       "shards": {"numpy": <32 raw bytes: a sha256>, "python": <32 bytes>, ...}}

  ``base_url`` is the folder of the package files and ``shards_base_url`` the folder of the
  shards; each is an absolute URL or one relative to the index. conda-forge's index is a few
  hundred kB.
- one **shard** per name, ``<shards_base_url><that sha256 in hex>.msgpack.zst``: the records
  of that name, shaped like a slice of ``repodata.json``::

      {"packages":       {"numpy-1.26.4-py312h8753938_0.tar.bz2": {record}, ...},
       "packages.conda": {"numpy-2.3.1-py313h17eae1a_0.conda": {record}, ...},
       "removed":        ["numpy-1.9.0-py27_0.tar.bz2", ...]}

  except that a record's ``sha256`` and ``md5`` are raw bytes instead of hex text. File names
  listed in ``removed`` are withdrawn: we do not offer them.

How minipixi reads it:

1. **The index** is cached like ``repodata.json`` and revalidated the same way
   (``If-None-Match`` / ``If-Modified-Since``: a ``304`` downloads nothing). A ``404`` means
   the channel has no shards, and `channel/load.py` falls back to ``repodata.json.zst``; that
   answer is remembered for 14 days (as rattler does), so it costs one round trip, not one
   per load.
2. **Shards are content-addressed**: a shard's name is the hash of its bytes, so a cached
   shard never goes stale and is never asked for twice. Each download is checked against the
   hash in the index before it is used or cached; a shard that does not match is an error
   that names its package, and the cache is left as it was.
3. **Breadth first, only what the solve reaches.** Before it searches, the solver hands every
   requested name over at once (``solver.solve`` calls `channel/load.py`'s ``prefetch``), and
   `ShardGateway.reach` fetches those names' shards from every sharded subdir, collects the
   names their records depend on, fetches those shards (several at a time over one HTTP
   client, each new name asked for as soon as the shard that names it is decoded), and so
   on until no new name appears. A name the search meets later that no walk has reached
   starts a walk of its own. The threads only download; the walk's own thread decodes each
   shard as it comes and, while no download has finished, turns decoded shards into
   records, so Python builds objects while the network waits.
4. **The same records.** A shard entry becomes a `PackageRecord` exactly as a
   ``repodata.json`` entry does (hashes turned back into hex first), so the solve and the
   lock file are byte for byte those of the monolithic file.

Every download goes through `http.fetch_bytes`, with the bounds of `http.py` (connect and
stall timeouts, a deadline per file), and no index or shard may take more than 256 MiB of
memory, compressed or not. Offline, only the cached index and shards are used; a shard never
downloaded is an error naming its package. Pixi's setting ``[repodata-config] disable-sharded = true`` (see
`config.py`) turns all of this off. `build_shards` is the other side, a channel writing its
shards, in a few lines: the tests and ``bench/shards.py`` serve what it makes.

Lesson: Episode 4 ("Where packages come from", under the hood). Read after `channel/fetch.py`
and `channel/repodata.py`; read next `channel/load.py`. Ground truth: CEP 16 and rattler's
``gateway/sharded_subdir``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import re
import threading
import time
import weakref
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import httpx
import msgpack  # the format is msgpack: no way around a decoder for it
import zstandard

from minipixi import http
from minipixi.channel.fetch import CacheEntry, http_client
from minipixi.channel.names import Channel, is_local_url
from minipixi.errors import ChannelError, VersionError
from minipixi.files import write_atomic
from minipixi.records import PackageRecord
from minipixi.version import parse_version
from minipixi.channel.repodata import join_url, records_from_entries, subdir_base_url

INDEX_FILE = "repodata_shards.msgpack.zst"
MISSING_FOR = 14 * 24 * 3600  # seconds a 404 for the index is believed (rattler: 14 days)
PARALLEL = 16  # shard downloads at the same time (rattler allows 100; HTTP/1.1 wants fewer)
# Bounds on what a server may send us (conda-forge: index < 2 MiB, largest shard a few MiB).
MAX_SIZE = 256 * 2**20  # one index or shard in memory, zstd or not (a repodata file may be 2 GiB)
_DEPENDENCY_NAME = re.compile(r"[^\s<>=!~\[,|]+")


# --8<-- [start:index]
@dataclass
class ShardIndex:
    """One subdir's index: which shard holds each name, and where shards and packages live."""

    shards: dict[str, bytes]  # package name -> sha256 of its shard file (32 bytes)
    shards_base_url: str  # absolute, ending in "/"
    package_base_url: str  # absolute folder of the package files, as a record's url names it
    source: str  # the index's URL, for messages


def parse_index(data: bytes, *, index_url: str, channel: Channel, subdir: str) -> ShardIndex:
    """Decode an index (decompressed msgpack) and resolve its URLs.

    ``shards_base_url`` is resolved against the URL the index came from (a mirror serves its
    own shards); a relative ``base_url`` against the channel's own subdir URL, so that records
    name the channel, not the mirror, as with ``repodata.json`` (`repodata.subdir_base_url`).
    """
    index = unpack(data, what="shard index", where=index_url)
    info = index.get("info") if isinstance(index, dict) else None
    shards = index.get("shards") if isinstance(index, dict) else None
    info = info if isinstance(info, dict) else {}
    if not isinstance(shards, dict) or not all(
        isinstance(name, str) and isinstance(digest, bytes) and len(digest) == 32
        for name, digest in shards.items()
    ):
        raise ChannelError("the shard index has no valid 'shards' table (name -> 32-byte sha256)",
                           where=index_url, hint="the channel serves a broken index; try later, "
                           "or set disable-sharded = true under [repodata-config]")
    shards_base = info.get("shards_base_url") or "./"
    base_url = info.get("base_url")
    if not isinstance(shards_base, str) or (base_url is not None and not isinstance(base_url, str)):
        raise ChannelError("the shard index's base_url / shards_base_url are not text",
                           where=index_url, hint="the channel serves a broken index")
    shards_url = join_url(index_url, shards_base.rstrip("/") + "/", what="shards_base_url",
                          source=index_url, remote=True)
    return ShardIndex(shards, shards_url, subdir_base_url(channel.url, subdir, {"base_url": base_url},
                                                          source=index_url), index_url)
# --8<-- [end:index]


def index_cache_entry(cache_dir: Path, channel: Channel, subdir: str) -> CacheEntry:
    """The index is cached beside the subdir's ``repodata.json``: ``<same name>.shards.msgpack``."""
    entry = CacheEntry.for_subdir(cache_dir, channel, subdir)
    stem = entry.path.name.removesuffix(".json")
    return CacheEntry(entry.path.with_name(stem + ".shards.msgpack"),
                      entry.path.with_name(stem + ".shards.info.json"))


def missing_marker(entry: CacheEntry) -> Path:
    """Where we note that a subdir served no index (a 404): ``<same name>.shards.missing.json``."""
    return entry.info_path.with_name(entry.path.stem + ".missing.json")


def recently_missing(entry: CacheEntry, url: str) -> bool:
    """Did `url` answer 404 less than `MISSING_FOR` ago? Then it is not asked again."""
    try:
        note = json.loads(missing_marker(entry).read_text(encoding="utf-8"))
        return note["url"] == url and 0 <= time.time() - note["checked"] < MISSING_FOR
    except (OSError, ValueError, TypeError, KeyError):
        return False  # no note, or one we cannot read: ask


def shard_cache_path(cache_dir: Path, digest: bytes) -> Path:
    """Where a shard is cached: named by its hash (hex of 32 bytes: a safe file name)."""
    return cache_dir / "shards-v1" / f"{digest.hex()}.msgpack.zst"


# --8<-- [start:open_index]
def open_index(channel: Channel, subdir: str, *, cache_dir: Path, offline: bool = False,
               client: httpx.Client | None = None) -> ShardIndex | None:
    """The shard index of `subdir`, or None when there is none (then use ``repodata.json``).

    Only remote bases are asked (a local channel is read in place, whole). Online, the first
    base that answers wins: 200 or 304 gives the index, 404 says the channel has no shards,
    and that answer is remembered for `MISSING_FOR` (as rattler does), so a channel without
    shards costs no extra round trip on every load. A base that cannot be reached at all is
    left for the ``repodata.json`` path to report, with its mirrors. Offline, the cached
    index is used, if there is one.
    """
    entry = index_cache_entry(cache_dir, channel, subdir)
    bases = [base for base in channel.download_bases() if not is_local_url(base)]
    if not bases:
        return None
    if offline:
        info = entry.read_info()
        if not info.get("url"):
            return None
        return parse_index(entry.path.read_bytes(), index_url=info["url"], channel=channel,
                           subdir=subdir)
    with http_client(client) as session:
        for base in bases:
            url = f"{base}/{subdir}/{INDEX_FILE}"
            if recently_missing(entry, url):
                return None
            try:
                return download_index(session, url, entry, lambda data: parse_index(
                    data, index_url=url, channel=channel, subdir=subdir))
            except http.DownloadError as err:
                if not err.transient:
                    raise  # a bound was broken: that is worth saying, not falling back over
    return None


def download_index(session: httpx.Client, url: str, entry: CacheEntry,
                   parse: Callable[[bytes], ShardIndex]) -> ShardIndex | None:
    """The index at `url`, revalidating the cached copy; None on a 404. A new index is
    `parse`d (checked whole) before it replaces the cached one."""
    info = entry.read_info()
    headers = http.conditional_headers(info) if info.get("url") == url else {}
    fetched = http.fetch_bytes(url, client=session, headers=headers, **bounds())
    status, response_headers, body = fetched.status, fetched.headers, fetched.body
    if status == 404:
        marker = missing_marker(entry)
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(marker, json.dumps({"url": url, "checked": time.time()}), fsync=False)
        return None
    if status == 304 and headers:
        entry.write_info({**info, "fetched": time.time()})
        return parse(entry.path.read_bytes())
    if status != 200:
        raise ChannelError(f"the server answered HTTP {status}", where=url,
                           hint="try again later, or configure a mirror")
    data = decompress(body, what="shard index", where=url)
    index = parse(data)
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(entry.path, data)
    entry.write_info({"url": url, **http.validators(response_headers), "fetched": time.time()})
    return index
# --8<-- [end:open_index]


# ---- the bytes: bounded downloads, zstd, msgpack -------------------------------------------


def bounds() -> dict:
    """`http.fetch_bytes`'s bounds for an index or a shard: the user's timeouts
    (``MINIPIXI_*_TIMEOUT``, see ``http.py``), and at most `MAX_SIZE` bytes in memory."""
    limits = http.Limits.from_env()
    return {"limits": dataclasses.replace(limits, max_repodata_size=min(
        limits.max_repodata_size, MAX_SIZE)), "size_limit": "max_repodata_size"}


def decompress(data: bytes, *, what: str, where: str) -> bytes:
    """zstd-decompress `data` in small steps (`http.zstd_pieces`), at most `MAX_SIZE` bytes.

    ``ZstdDecompressor.decompress`` would trust the size a frame header declares, so a tiny
    file could ask for gigabytes; counting the output step by step cannot be fooled.
    """
    out = bytearray()
    try:
        for piece in http.zstd_pieces([data], where):
            out += piece
            if len(out) > MAX_SIZE:
                raise ChannelError(f"the {what} decompresses to more than {MAX_SIZE >> 20} MiB",
                                   where=where, hint="the server sends something else than a shard")
    except zstandard.ZstdError as err:
        raise ChannelError(f"the {what} is not valid zstd ({err})", where=where,
                           hint="fetch again; if this persists, the server sends a broken file") from err
    except http.DownloadError as err:  # cut short
        raise ChannelError(f"the {what} is truncated (its zstd stream ends early)", where=where,
                           hint=err.hint) from err
    return bytes(out)


def unpack(data: bytes, *, what: str, where: str):
    """msgpack-decode `data` whole (trailing or missing bytes are errors). Arrays become
    tuples, not lists: cheaper to make, and a record keeps its ``depends`` as a tuple anyway."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=False)
    except (ValueError, TypeError, msgpack.UnpackException) as err:
        raise ChannelError(f"the {what} is not valid msgpack ({err})", where=where,
                           hint="fetch again; if this persists, the server sends a broken file") from err


def digest_matches(content: bytes, digest: bytes) -> bool:
    """Does `content` (a shard file as served) match its `digest` from the index?

    The digest is the sha256 of the file (rattler-index, which prefix.dev serves); older
    conda-index hashes the msgpack inside the zstd instead, so that is accepted too.
    """
    if hashlib.sha256(content).digest() == digest:
        return True
    try:
        inner = decompress(content, what="shard", where="")
    except ChannelError:
        return False
    return hashlib.sha256(inner).digest() == digest


# ---- shards into records -------------------------------------------------------------------


def check_shard(shard, name: str, where: str) -> dict:
    """A decoded shard, checked for shape: {"packages": {file: record}, ..., "removed": [...]}."""
    def bad(why: str) -> ChannelError:
        return ChannelError(f"the shard of package '{name}' is malformed: {why}", where=where,
                            hint="the channel serves a broken shard; try again later, or set "
                                 "disable-sharded = true under [repodata-config]")

    if not isinstance(shard, dict):
        raise bad("not a map")
    for section in ("packages", "packages.conda"):
        entries = shard.get(section, {})
        if not (isinstance(entries, dict) and all(map(_is_text, entries))
                and all(map(_is_map, entries.values()))):
            raise bad(f"'{section}' is not a map of file names to records")
    removed = shard.get("removed", ())
    if not isinstance(removed, tuple) or not all(map(_is_text, removed)):
        raise bad("'removed' is not a list of file names")
    return shard


#: ``isinstance(x, str)`` and ``isinstance(x, dict)`` as functions that `map` calls without a
#: Python frame per item: a solve's shards hold some fifteen thousand records to check.
_is_text, _is_map = str.__instancecheck__, dict.__instancecheck__


# --8<-- [start:records]
def shard_records(shard: dict, *, channel: str, subdir: str, base_url: str,
                  source: str) -> list[PackageRecord]:
    """The records of one shard, as `SubdirRepodata.records` makes them from ``repodata.json``:
    ``.tar.bz2`` then ``.conda`` entries in file order, withdrawn (``removed``) files left out,
    a ``.conda`` shadowing its ``.tar.bz2`` twin. (`PackageRecord.from_repodata` turns the
    raw-bytes hashes into hex text.)"""
    removed = set(shard.get("removed", ()))
    entries = {fn: record for section in ("packages", "packages.conda")
               for fn, record in shard.get(section, {}).items() if fn not in removed}
    return records_from_entries(entries, channel=channel, subdir=subdir, base_url=base_url,
                                source=source)
# --8<-- [end:records]


def dependency_names(shard: dict) -> set[str]:
    """The package names the records of a shard depend on (``numpy >=1.26`` -> ``numpy``)."""
    texts = {text for section in ("packages", "packages.conda")
             for record in shard.get(section, {}).values()
             for text in _as_tuple(record.get("depends")) if isinstance(text, str)}
    found = (_DEPENDENCY_NAME.match(text.strip()) for text in texts)  # the same text recurs a lot
    return {match.group(0).rsplit("::", 1)[-1] for match in found if match}


def _as_tuple(depends) -> tuple:
    """A record's ``depends`` as msgpack decodes it (a tuple), else nothing: a malformed one is
    reported when the record is built (`repodata.records_from_entries`), not here."""
    return depends if isinstance(depends, tuple) else ()


@contextlib.contextmanager
def cycle_collector_paused():
    """Pause Python's cycle collector (`gc`) while shards are decoded into records.

    A solve's shards decode into some hundred thousand dicts, lists and tuples, none of them
    in a reference cycle; the collector would walk them again and again while they are made
    (a quarter of a cold solve's CPU time on ``bench/shards.py``). msgpack's documentation
    gives the same advice for large data. Memory is still freed as usual (by reference
    counting); only the search for cycles waits until the block ends.

    At the end, what was made meanwhile goes straight to the collector's oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``: two list moves) instead of being walked once as
    new and once more as middle-aged while the solver runs (30 ms on ``bench/shards.py``).
    A full collection still looks at it; nothing is kept from the collector for good.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


# ---- one subdir, and the gateway that fetches for all of them -------------------------------


# --8<-- [start:subdir]
@dataclass
class ShardedSubdir:
    """One subdir of one channel, read through its shards; a `RecordSource` for the solver.

    `shards` holds the records of each name fetched so far (its shard, decoded); `records(name)`
    fetches (through the gateway, with everything the name reaches) on first use.
    """

    channel: Channel
    subdir: str
    index: ShardIndex = field(repr=False)
    gateway: "ShardGateway" = field(repr=False)
    shards: dict[str, list[PackageRecord]] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return f"{self.channel.name}/{self.subdir}"

    def names(self) -> list[str]:
        """Every package name in this subdir, sorted (the index knows them all)."""
        return sorted(self.index.shards)

    def records(self, name: str) -> list[PackageRecord]:
        if name in self.index.shards and name not in self.shards:
            self.gateway.reach([name])
        return self.shards.get(name, [])

    def shard_url(self, name: str) -> str:
        digest = self.index.shards.get(name, b"")
        return f"{self.index.shards_base_url}{digest.hex()}.msgpack.zst"

    def decode(self, name: str, content: bytes, where: str) -> dict:
        """A shard file (checked against its hash) -> the shard, decoded and checked for shape."""
        what = f"shard of package '{name}'"
        return check_shard(unpack(decompress(content, what=what, where=where), what=what,
                                  where=where), name, where)

    def make_records(self, shard: dict, where: str) -> list[PackageRecord]:
        """A decoded shard's records, their versions parsed."""
        records = shard_records(shard, channel=self.channel.url, subdir=self.subdir,
                                base_url=self.index.package_base_url, source=where)
        # The solver compares every version of a name it reaches: each distinct one is parsed
        # here (`parse_version` caches it), while other downloads are still under way.
        for version in {record.version for record in records}:
            try:
                parse_version(version)
            except VersionError:
                pass  # the solver says so if it ever needs a record of this version
        return records
# --8<-- [end:subdir]


# --8<-- [start:gateway]
class ShardGateway:
    """The sharded subdirs of one `load_channel_records`, fetched together.

    A name reached in one subdir is looked up in all of them: a ``linux-64`` package often
    depends on a ``noarch`` one, or on one from another channel.
    """

    def __init__(self, cache_dir: Path, *, offline: bool = False) -> None:
        self.cache_dir = Path(cache_dir)
        self.offline = offline
        self.subdirs: list[ShardedSubdir] = []
        self._lock = threading.Lock()  # `open` runs in load_channel_records' download threads
        self._http: httpx.Client | None = None

    def open(self, channel: Channel, subdir: str, *,
             client: httpx.Client | None = None) -> ShardedSubdir | None:
        """`subdir` of `channel` through its shards, or None when it serves none."""
        index = open_index(channel, subdir, cache_dir=self.cache_dir, offline=self.offline,
                           client=client)
        if index is None:
            return None
        sharded = ShardedSubdir(channel, subdir, index, self)
        with self._lock:
            self.subdirs.append(sharded)
        return sharded

    def reach(self, names: Iterable[str]) -> None:
        """Fetch the shards of `names` and of every name their records depend on.

        Breadth first, without waiting for whole rounds. The threads of the pool only
        download (and check each file against its hash): waiting on a socket lets other
        threads run. Everything else is Python work, which runs one thread at a time
        whatever the number of threads (the GIL), so it is done here, in one thread, in
        order of urgency: as soon as a shard arrives it is decoded and the new names its
        records depend on are asked for; only while no download has finished are decoded
        shards turned into records (the decoded shard is dropped as soon as its records
        exist). With sixteen threads each decoding as well, the walk took an eighth longer
        on ``bench/shards.py``: the threads took the GIL from each other in turns.
        """
        seen = set(names)
        session = None if self.offline else self.client()
        decoded: list[tuple[ShardedSubdir, str, dict, str]] = []  # records still to build
        with http.download_threads(PARALLEL) as pool, cycle_collector_paused():
            def ask(name: str) -> dict:
                return {pool.submit(self.download, subdir, name, session): (subdir, name)
                        for subdir in self.subdirs
                        if name in subdir.index.shards and name not in subdir.shards}

            pending = {future: job for name in sorted(seen) for future, job in ask(name).items()}
            while pending or decoded:
                done = wait(pending, timeout=0 if decoded else None,
                            return_when=FIRST_COMPLETED).done if pending else set()
                for future in done:
                    subdir, name = pending.pop(future)
                    content, where, cache_path = future.result()  # an error stops the solve
                    shard = subdir.decode(name, content, where)
                    if cache_path is not None:
                        # Cached only once it is known good (its hash, then its shape); no
                        # fsync: a torn file fails its hash next time and is fetched again.
                        cache_path.parent.mkdir(parents=True, exist_ok=True)
                        write_atomic(cache_path, content, fsync=False)
                    for dep in sorted(dependency_names(shard) - seen):
                        seen.add(dep)
                        pending.update(ask(dep))
                    decoded.append((subdir, name, shard, where))
                if not done and decoded:  # nothing has arrived: build records meanwhile
                    subdir, name, shard, where = decoded.pop(0)
                    subdir.shards[name] = subdir.make_records(shard, where)

    def client(self) -> httpx.Client:
        """One HTTP client (one pool of connections) for every shard this gateway fetches."""
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(timeout=http.timeouts(http.Limits.from_env()),
                                          follow_redirects=True, verify=http.tls_context(),
                                          headers={"User-Agent": http.USER_AGENT},
                                          limits=httpx.Limits(max_connections=PARALLEL))
                weakref.finalize(self, self._http.close)
            return self._http

    def download(self, subdir: ShardedSubdir, name: str,
                 session: httpx.Client | None) -> tuple[bytes, str, Path | None]:
        """One shard file, checked against its hash: (its bytes, where they came from, the
        cache path to keep them at, or None when they came from the cache). Runs in the
        pool's threads, so it does nothing but I/O and hashing."""
        digest = subdir.index.shards[name]
        path = shard_cache_path(self.cache_dir, digest)
        url = subdir.shard_url(name)
        try:
            content = path.read_bytes()
        except OSError:
            content = None
        if content is not None and digest_matches(content, digest):
            return content, str(path), None
        if session is None:
            raise ChannelError(
                f"offline, and the shard of package '{name}' for {subdir.label} is not cached",
                where=url, hint="run the command once online (without --offline) to fetch it")
        fetched = http.fetch_bytes(url, client=session, **bounds())
        status, content = fetched.status, fetched.body
        if status != 200:
            raise ChannelError(f"the shard of package '{name}' is missing (HTTP {status})",
                               where=url, hint="the channel's index and shards disagree; try "
                               "again later, or set disable-sharded = true under [repodata-config]")
        if not digest_matches(content, digest):
            raise ChannelError(
                f"the shard of package '{name}' does not match its sha256 in the index",
                where=url, hint="the channel or a proxy serves a wrong file; nothing was "
                "cached; try again later")
        return content, url, path
# --8<-- [end:gateway]


# ---- the channel's side: writing shards ----------------------------------------------------


def build_shards(repodata: dict, *, base_url: str = "./",
                 shards_base_url: str = "./shards/") -> tuple[bytes, dict[str, bytes]]:
    """Shard a ``repodata.json`` object: (the index file, {shard file name: shard file}).

    What a channel does to serve CEP 16: group the records by name, keep the file order,
    turn the hex hashes into bytes, msgpack and zstd each group, name it by its sha256.
    """
    by_name: dict[str, dict] = {}
    for section in ("packages", "packages.conda"):
        for fn, record in (repodata.get(section) or {}).items():
            shard = by_name.setdefault(record["name"], {"packages": {}, "packages.conda": {},
                                                        "removed": []})
            shard[section][fn] = {key: bytes.fromhex(value) if key in ("sha256", "md5") else value
                                  for key, value in record.items()}
    compress = zstandard.ZstdCompressor(level=19).compress
    files, index = {}, {}
    for name, shard in by_name.items():
        content = compress(msgpack.packb(shard, use_bin_type=True))
        digest = hashlib.sha256(content).digest()
        files[f"{digest.hex()}.msgpack.zst"] = content
        index[name] = digest
    info = {"subdir": (repodata.get("info") or {}).get("subdir", ""), "base_url": base_url,
            "shards_base_url": shards_base_url}
    return compress(msgpack.packb({"version": 1, "info": info, "shards": index},
                                  use_bin_type=True)), files
