"""Fetching a channel's index: one subdir's ``repodata.json`` into a file on this disk, cached.

Solving for ``linux-64`` reads two indexes per channel, ``linux-64`` and ``noarch``
(`channel/names.py` says which URLs). This module gets one of them onto the disk:

- **Fetch with a cache** (`fetch_repodata`): download ``repodata.json.zst`` (zstd: about a
  tenth of the size), or ``repodata.json`` when the server has no ``.zst``, into
  ``MINIPIXI_CACHE_DIR``. Next time we send the ``ETag`` / ``Last-Modified`` the server
  gave us; if nothing changed it answers ``304 Not Modified`` and nothing is downloaded.
- **Checked before it replaces the cache**: a download lands in a temp file, is checked, and is
  renamed over the cached copy, so a truncated or corrupt answer leaves the previous cache
  intact. Every download goes through `http.download` (`http.py`), which bounds it: a connect
  timeout, a stall timeout, a deadline per file and a cap on the decompressed size (2 GiB),
  each set by a ``MINIPIXI_*`` variable; `channel/shards.py` and the installer use it too.
- **Mirrors, then offline**: the channel's mirrors are tried in order, the first that answers
  wins; ``offline=True`` uses only the cache (and local channels, read in place).

Lesson: Episode 4 ("Where packages come from") and Setup ("Working offline"). Read after
`channel/repodata.py`; read next `channel/shards.py`, then `channel/load.py`. Ground truth:
rattler's ``repodata_gateway`` (``fetch`` and its cache headers).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

from minipixi import http
from minipixi.channel.names import Channel, is_local_url, local_path
from minipixi.channel.repodata import check_ends
from minipixi.config import cache_dir as configured_cache_dir
from minipixi.errors import ChannelError
from minipixi.files import write_atomic

REPODATA_FORMATS = ("repodata.json.zst", "repodata.json")  # preferred first


class SubdirNotFound(ChannelError):
    """The channel has no index for this subdir (HTTP 404, or no such folder)."""


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
    return configured_cache_dir()


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
