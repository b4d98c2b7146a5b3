"""Channels: turn ``conda-forge`` into a URL, and that URL's index into a file on this disk.

A *channel* is a folder of package files, one sub-folder per *subdir* (``linux-64``,
``osx-arm64``, ``win-64``, and ``noarch`` for packages that run anywhere), each with a
``repodata.json`` index. Solving for ``linux-64`` reads two indexes per channel: ``linux-64``
and ``noarch``. This module does what happens before the solver sees a single record:

1. **Names to URLs** (`Channel.parse`): ``conda-forge`` means
   ``https://conda.anaconda.org/conda-forge`` (the *channel alias* plus the name); a full URL
   is taken as it is; a path (``./my-channel``, ``/srv/chan``, ``file:///srv/chan``) is a
   local channel, read in place.
2. **Mirrors**: like Pixi's ``[mirrors]`` config, a URL prefix can be served from other
   addresses, tried in order. Records still name the original channel, so a lock made
   through a mirror is the same as one made without it.
3. **Fetch with a cache** (`fetch_repodata`): download ``repodata.json.zst`` (zstd: about a
   tenth of the size), or ``repodata.json`` when the server has no ``.zst``, into
   ``MINIPIXI_CACHE_DIR``. Next time we send the ``ETag`` / ``Last-Modified`` the server
   gave us; if nothing changed it answers ``304 Not Modified`` and nothing is downloaded.
   A download is checked before it replaces the cached copy (temp file, check, rename), so a
   truncated or corrupt answer leaves the previous cache intact. Every download goes through
   `http.download` (``http.py``), which bounds it: a connect timeout, a stall timeout, a
   deadline per file and a cap on the decompressed size (2 GiB), each set by a
   ``MINIPIXI_*`` variable; ``shards.py`` and the installer use it too. ``offline=True``
   uses only the cache (and local channels).
4. **Load** (`load_channel_records`): one lazy `SubdirRepodata` per subdir (see
   ``repodata.py``), merged per channel, in channel priority order: the solver's sources.
   A remote channel that serves shards is read through ``shards.py`` instead.

Lesson: Episode 2 ("channels" in the manifest) and Setup ("Working offline"). Read after
`config.py`; read next `repodata.py`, then `solver`. Ground truth: rattler's
``Channel`` and ``repodata_gateway`` (``fetch`` and its cache headers).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx

from minipixi import http
from minipixi.errors import ChannelError
from minipixi.files import write_atomic
from minipixi.records import PackageRecord
from minipixi.channel.repodata import SubdirRepodata, check_ends

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
REPODATA_FORMATS = ("repodata.json.zst", "repodata.json")  # preferred first
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")

#: The only channels a solve may read while this is set (canonical URLs), else any. `minipixi grade`
#: sets it to conda-forge (served by the teaching mirror), so the channels a learner's manifest
#: declares are data: ``channels = ["./chan"]`` is refused, never read, and nothing in it installed.
READABLE_CHANNELS: ContextVar[frozenset[str] | None] = ContextVar("READABLE_CHANNELS", default=None)


class ChannelRefused(ChannelError):
    """A channel that `READABLE_CHANNELS` does not allow."""


class SubdirNotFound(ChannelError):
    """The channel has no index for this subdir (HTTP 404, or no such folder)."""


# --8<-- [start:channel]
@dataclass(frozen=True)
class Channel:
    """A channel: a short name for people, a canonical URL for locks, mirrors for downloads.

    `base_url` has no trailing slash; `url` (with one) is how ``pixi.lock`` writes it.
    `mirrors` lists the base URLs to download from instead, in order (empty: `base_url`).
    """

    name: str
    base_url: str
    mirrors: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, *, mirrors: Mapping[str, Sequence[str]] | None = None,
              channel_alias: str = DEFAULT_CHANNEL_ALIAS) -> "Channel":
        """``conda-forge``, ``https://prefix.dev/conda-forge``, ``./chan`` or ``file:///chan``.

        Raises ChannelError for text that is none of these.
        """
        base_url = channel_base_url(text.strip(), channel_alias)
        name = channel_display_name(base_url, channel_alias)
        return cls(name, base_url, find_mirrors(base_url, mirrors or {}))

    @property
    def url(self) -> str:
        return self.base_url + "/"

    def download_bases(self) -> list[str]:
        """Where to fetch from, in order: the mirrors if any, else the channel itself."""
        return list(self.mirrors) or [self.base_url]

    def __str__(self) -> str:
        return self.name
# --8<-- [end:channel]


def channel_base_url(text: str, channel_alias: str = DEFAULT_CHANNEL_ALIAS) -> str:
    """The canonical URL (no trailing slash) of a channel written as a name, URL or path."""
    if not text:
        raise ChannelError("a channel name cannot be empty",
                           hint='write a name like "conda-forge" or a URL')
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https", "file"):
            raise ChannelError(f"unsupported channel URL scheme '{scheme}' in '{text}'",
                               hint="use an https://, http:// or file:// URL, or a local path")
        return text.rstrip("/")
    if is_local_path(text):
        from minipixi.matchspec import path_to_file_url

        return path_to_file_url(text)
    if not _NAME.match(text):
        raise ChannelError(f"'{text}' is not a channel name, URL or path",
                           hint='write e.g. "conda-forge", "https://prefix.dev/conda-forge" '
                                'or "./channel"')
    return f"{channel_alias.rstrip('/')}/{text.strip('/')}"


def is_local_path(text: str) -> bool:
    """Does `text` look like a path (``/x``, ``./x``, ``../x``, ``~/x``, ``C:\\x``)?"""
    return (text.startswith(("/", "./", "../", "~", ".\\", "..\\", "\\\\"))
            or text in (".", "..") or bool(_WINDOWS_DRIVE.match(text)))


def channel_display_name(base_url: str, channel_alias: str = DEFAULT_CHANNEL_ALIAS) -> str:
    """How a channel is shown: its name under the alias (``conda-forge``), else its last part."""
    alias = channel_alias.rstrip("/") + "/"
    if base_url.startswith(alias):
        return base_url[len(alias):]
    return base_url.rstrip("/").rsplit("/", 1)[-1] or base_url


# --8<-- [start:mirrors]
def find_mirrors(base_url: str, mirrors: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The download bases for `base_url` under a Pixi-style ``[mirrors]`` table.

    The longest key that is a prefix of `base_url` (at a ``/`` boundary) wins; the rest of
    the URL is appended to each of its mirrors. As in Pixi, the original URL is used only
    if it is itself listed. No matching key: no mirrors.
    """
    best, chosen = "", ()
    for prefix, urls in mirrors.items():
        key = channel_base_url(prefix.strip())  # a URL, a path, or even a channel name
        if (base_url == key or base_url.startswith(key + "/")) and len(key) > len(best):
            best, chosen = key, urls
    rest = base_url[len(best):]
    return tuple(channel_base_url(url.strip()) + rest for url in chosen)
# --8<-- [end:mirrors]


def download_urls(url: str, mirrors: Mapping[str, Sequence[str]]) -> list[str]:
    """Where to download `url` (a package or an index) from, in order: its mirrors, or itself.

    For the installer: a record's url names the original channel, the bytes may come from a
    mirror (``file://`` mirrors included).
    """
    return list(find_mirrors(url, mirrors)) or [url]


def is_local_url(url: str) -> bool:
    return url.startswith("file://")


def local_path(url: str) -> Path:
    """The folder a ``file://`` URL names."""
    return Path(url2pathname(urlparse(url).path))


# ---- the on-disk cache ---------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    """Where one subdir's repodata is cached: the JSON itself, and what we know about it.

    ``<cache>/repodata/<slug>.json`` holds the decompressed JSON; ``<slug>.info.json`` beside it
    holds ``url``, ``etag``, ``last_modified`` and ``fetched`` (seconds since the epoch).
    """

    path: Path
    info_path: Path

    @classmethod
    def for_subdir(cls, cache_dir: Path, channel: Channel, subdir: str) -> "CacheEntry":
        """One entry per (canonical channel URL, subdir): mirrors share it."""
        digest = hashlib.sha256(f"{channel.url}{subdir}".encode()).hexdigest()[:12]
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", channel.base_url.split("://", 1)[-1])
        folder = cache_dir / "repodata"
        return cls(folder / f"{slug}-{subdir}-{digest}.json",
                   folder / f"{slug}-{subdir}-{digest}.info.json")

    def read_info(self) -> dict:
        """The cache metadata, or {} when missing or unreadable (then we just download)."""
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) and self.path.is_file() else {}

    def write_info(self, info: dict) -> None:
        self.info_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.info_path, json.dumps(info, indent=2, sort_keys=True).encode())


def default_cache_dir() -> Path:
    """``MINIPIXI_CACHE_DIR``, else ``$XDG_CACHE_HOME/minipixi`` or ``~/.cache/minipixi``."""
    from minipixi.config import cache_dir

    return cache_dir()


# ---- fetching ------------------------------------------------------------------------------


# --8<-- [start:fetch]
def fetch_repodata(channel: Channel, subdir: str, *, cache_dir: Path | None = None,
                   offline: bool = False, client: httpx.Client | None = None) -> Path:
    """A local ``repodata.json`` for `subdir` of `channel`, downloading it when needed.

    Local channels (and local mirrors) are read in place. Remote ones go through the cache:
    revalidated online, used as they are with `offline`. Mirrors are tried in order; the
    first that answers wins. Raises SubdirNotFound when no base has this subdir, and
    ChannelError when none can be reached (or, offline, nothing is cached).
    """
    entry = CacheEntry.for_subdir(Path(cache_dir or default_cache_dir()), channel, subdir)
    failures: list[ChannelError] = []
    for base in channel.download_bases():
        if is_local_url(base):
            path = local_path(base) / subdir / "repodata.json"
            if path.is_file():
                return path
            failures.append(SubdirNotFound(f"{path} does not exist", where=str(path)))
        elif not offline:
            try:
                return download_repodata(client, base, subdir, entry)
            except ChannelError as err:  # this mirror failed: try the next one
                failures.append(err)
    if offline:
        return cached_or_fail(entry, channel, subdir)
    raise combine_failures(failures, channel, subdir)
# --8<-- [end:fetch]


def cached_or_fail(entry: CacheEntry, channel: Channel, subdir: str) -> Path:
    """Offline: the cached copy, or an error that says how to get one."""
    if entry.path.is_file():
        return entry.path
    raise ChannelError(
        f"offline, and no cached repodata for {channel.name}/{subdir}",
        where=channel.url,
        hint="run the command once online (without --offline) to fill the cache",
    )


def combine_failures(failures: list[ChannelError], channel: Channel, subdir: str) -> ChannelError:
    """One error for all the bases tried: the failure itself when there was only one."""
    if len(failures) == 1:
        return failures[0]
    if failures and all(isinstance(f, SubdirNotFound) for f in failures):
        kind = SubdirNotFound
    else:
        kind = ChannelError
    return kind(
        f"cannot fetch {channel.name}/{subdir} from any of its {len(failures)} mirrors",
        where=channel.url,
        details="\n".join(f"  {f.where}: {f.message}" for f in failures),
        hint="check the [mirrors] configuration and the network, or use --offline (the bundled "
             "teaching mirror of conda-forge, which needs no network and no cache)",
    )


@contextmanager
def http_client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    """`with http_client(client) as http`: the given client, or a new one with the timeouts
    of `http.Limits` (see ``http.py``), closed after."""
    if client is not None:
        yield client
        return
    with http.new_client() as own:
        yield own


# --8<-- [start:download]
def download_repodata(client: httpx.Client | None, base: str, subdir: str,
                      entry: CacheEntry) -> Path:
    """Fetch `subdir` from one base URL into `entry`: ``.zst`` first, ``.json`` on a 404.

    With a cached copy, ask conditionally (``If-None-Match`` / ``If-Modified-Since``); a 304
    reuses it without a download. Without a `client`, a new one is used (and closed).
    """
    with http_client(client) as http:
        return _download(http, base, subdir, entry)


def _download(client: httpx.Client, base: str, subdir: str, entry: CacheEntry) -> Path:
    info = entry.read_info()
    for url in candidate_urls(base, subdir, info):
        headers = http.conditional_headers(info) if info.get("url") == url else {}
        # Bounded in time and size (http.py); the cache is replaced only by a whole, checked file.
        fetched = http.download(url, entry.path, client=client, headers=headers,
                                size_limit="max_repodata_size",
                                decompress="zstd" if url.endswith(".zst") else None,
                                check=lambda tmp: check_file_shape(tmp, url))
        if fetched.status == 404:
            continue
        if fetched.status == 304:
            entry.write_info({**info, "fetched": time.time()})
            return entry.path
        if fetched.status != 200:
            raise ChannelError(f"the server answered HTTP {fetched.status}",
                               where=url, hint="try again later, or configure a mirror")
        entry.write_info({"url": url, **http.validators(fetched.headers), "fetched": time.time()})
        return entry.path
    raise SubdirNotFound(f"no repodata for subdir '{subdir}' (HTTP 404)",
                         where=f"{base}/{subdir}/repodata.json",
                         hint="check the channel name and the platform")
# --8<-- [end:download]


def candidate_urls(base: str, subdir: str, info: dict) -> list[str]:
    """The URLs to try: ``.zst`` then ``.json``, but the one that worked last time first."""
    urls = [f"{base}/{subdir}/{name}" for name in REPODATA_FORMATS]
    if info.get("url") in urls:
        urls.remove(info["url"])
        urls.insert(0, info["url"])
    return urls


def check_file_shape(path: Path, url: str) -> None:
    """The cheap whole-object test of `repodata.check_ends` on a file's first and last bytes."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(64)
        handle.seek(max(0, size - 64))
        tail = handle.read()
    check_ends(head, tail, url)


# ---- loading -------------------------------------------------------------------------------


def load_subdir(channel: Channel, subdir: str, *, cache_dir: Path | None = None,
                offline: bool = False, client: httpx.Client | None = None) -> SubdirRepodata:
    """Fetch (or find) `subdir` of `channel` and open it lazily."""
    path = fetch_repodata(channel, subdir, cache_dir=cache_dir, offline=offline, client=client)
    info = CacheEntry(path, path.with_suffix(".info.json")).read_info()
    source = f"{info['url']} (cached at {path})" if info.get("url") else str(path)
    return SubdirRepodata.read(path, channel=channel.url, subdir=subdir, source=source,
                               label=f"{channel.name}/{subdir}")


# --8<-- [start:load]
@dataclass
class ChannelRecords:
    """The records of one channel for one platform: its subdir and ``noarch``, merged.

    A `RecordSource` for the solver; `label` (``conda-forge``) names it in explanations.
    """

    channel: Channel
    subdirs: list[SubdirRepodata] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.channel.name

    def records(self, name: str) -> list[PackageRecord]:
        return [record for subdir in self.subdirs for record in subdir.records(name)]


def load_channel_records(channels: Iterable[str | Channel], platform: str, *,
                         cache_dir: Path | None = None, offline: bool = False,
                         mirrors: Mapping[str, Sequence[str]] | None = None,
                         client: httpx.Client | None = None,
                         sharded: Callable[[str], bool] | None = None) -> list[ChannelRecords]:
    """One `ChannelRecords` per channel, in the given (priority) order.

    A channel without the platform's subdir contributes only ``noarch`` (rattler does the
    same); a channel without ``noarch`` is an error, since every conda channel has one.
    `sharded(channel_url)` says whether to read a remote channel's shards when it serves
    them (``shards.py``; `Config.use_shards`); without it, ``repodata.json`` only.
    """
    parsed = [c if isinstance(c, Channel) else Channel.parse(c, mirrors=mirrors) for c in channels]
    readable = READABLE_CHANNELS.get()
    for channel in parsed if readable is not None else ():
        if channel.base_url not in readable:
            raise ChannelRefused(f"the channel '{channel.name}' ({channel.base_url}) is not read here: only "
                                 "conda-forge is, on its offline teaching mirror",
                                 hint="declare conda-forge; a channel of your own, such as a local folder, "
                                      "is never read or installed from while grading")
    remote = any(not is_local_url(base) for c in parsed for base in c.download_bases())
    if client is None and remote and not offline:
        with http_client(None) as shared:  # one connection pool for every download
            return load_channel_records(parsed, platform, cache_dir=cache_dir, client=shared,
                                        sharded=sharded)
    gateway = None
    if sharded is not None and remote:
        from minipixi.channel.shards import ShardGateway  # msgpack, only when shards may be read

        gateway = ShardGateway(Path(cache_dir or default_cache_dir()), offline=offline)
    result = [ChannelRecords(channel) for channel in parsed]
    wanted = [(merged, subdir) for merged in result for subdir in dict.fromkeys([platform, "noarch"])]

    def load(pair: tuple[ChannelRecords, str]) -> SubdirRepodata | None:
        channel, subdir = pair[0].channel, pair[1]
        try:
            if gateway is not None and sharded(channel.base_url):
                found = gateway.open(channel, subdir, client=client)
                if found is not None:  # None: no shards here, so the whole repodata.json
                    return found
            return load_subdir(channel, subdir, cache_dir=cache_dir, offline=offline, client=client)
        except SubdirNotFound:
            if subdir == "noarch":
                raise
            return None  # the channel has no packages for this platform: noarch only

    if client is not None and len(wanted) > 1:  # downloads: wait for all of them at once
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(8, len(wanted))) as pool:
            loaded = list(pool.map(load, wanted))
    else:  # local files: threads would only add their own cost
        loaded = [load(pair) for pair in wanted]
    for (merged, _), subdir in zip(wanted, loaded):  # the platform's subdir, then noarch
        if subdir is not None:
            merged.subdirs.append(subdir)
    return result
# --8<-- [end:load]
