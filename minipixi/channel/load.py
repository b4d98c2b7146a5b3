"""Loading a platform's records: every channel's subdir and ``noarch``, the solver's sources.

`channel/fetch.py` puts one index on the disk and `channel/repodata.py` opens it lazily; this
module puts them together for a solve (`load_channel_records`): for each channel, in priority
order, the platform's subdir and ``noarch``, fetched at the same time over one HTTP client and
merged into one `ChannelRecords`, the `RecordSource` the solver reads. A remote channel that
serves shards is read through `channel/shards.py` instead, so only the names a solve reaches are
downloaded. While `minipixi grade` runs, only conda-forge may be read (`READABLE_CHANNELS`).

Lesson: Episode 4 ("Where packages come from", under the hood). Read after `channel/shards.py`;
read next `channel/virtual_packages.py`, then `solver/`. Ground truth: rattler's ``repodata_gateway`` (``Gateway::query``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import httpx

from minipixi.channel.fetch import (CacheEntry, SubdirNotFound, default_cache_dir, fetch_repodata,
                                    http_client)
from minipixi.channel.names import Channel, is_local_url
from minipixi.channel.repodata import SubdirRepodata
from minipixi.channel.shards import ShardedSubdir, ShardGateway
from minipixi.errors import ChannelError
from minipixi.http import download_threads
from minipixi.records import PackageRecord

#: The only channels a solve may read while this is set (canonical URLs), else any. `minipixi grade`
#: sets it to conda-forge (served by the teaching mirror), so the channels a learner's manifest
#: declares are data: ``channels = ["./chan"]`` is refused, never read, and nothing in it installed.
READABLE_CHANNELS: ContextVar[frozenset[str] | None] = ContextVar("READABLE_CHANNELS", default=None)


class ChannelRefused(ChannelError):
    """A channel that `READABLE_CHANNELS` does not allow."""


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
    subdirs: list[SubdirRepodata | ShardedSubdir] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.channel.name

    def records(self, name: str) -> list[PackageRecord]:
        return [record for subdir in self.subdirs for record in subdir.records(name)]

    def prefetch(self, names: Iterable[str]) -> None:
        """Download now, in one breadth-first walk, the shards that `names` reach (a subdir
        read from ``repodata.json`` has every record already). `solver.solve` calls this with
        the requested names before it searches, as rattler's gateway queries every spec
        first: the search then meets them one at a time, which would be one walk each."""
        for subdir in self.subdirs:
            if isinstance(subdir, ShardedSubdir):
                subdir.gateway.reach(names)


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
        with download_threads(min(8, len(wanted))) as pool:
            loaded = list(pool.map(load, wanted))
    else:  # local files: threads would only add their own cost
        loaded = [load(pair) for pair in wanted]
    for (merged, _), subdir in zip(wanted, loaded):  # the platform's subdir, then noarch
        if subdir is not None:
            merged.subdirs.append(subdir)
    return result
# --8<-- [end:load]
