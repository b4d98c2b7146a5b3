"""Channel names: turn ``conda-forge``, a URL or a folder into one canonical URL, and mirrors.

A *channel* is a folder of package files, one sub-folder per *subdir* (``linux-64``,
``osx-arm64``, ``win-64``, and ``noarch`` for packages that run anywhere), each with a
``repodata.json`` index. Before anything is downloaded, a channel written in a manifest, on the
command line or in a lock must become one URL, so that the same channel written two ways is one
channel:

1. **Names to URLs** (`Channel.parse`): ``conda-forge`` means
   ``https://conda.anaconda.org/conda-forge`` (the *channel alias* plus the name); a full URL
   is taken as it is; a path (``./my-channel``, ``/srv/chan``, ``file:///srv/chan``) is a
   local channel, read in place.
2. **Mirrors** (`find_mirrors`): like Pixi's ``[mirrors]`` config, a URL prefix can be served
   from other addresses, tried in order. Records still name the original channel, so a lock
   made through a mirror is the same as one made without it.

Nothing here reads the network or the disk: `channel/fetch.py` downloads what these URLs name.

Lesson: Episode 2 ("channels" in the manifest) and Setup ("Working offline"). Read after
`config.py`; read next `channel/repodata.py`, then `channel/fetch.py`. Ground truth: rattler's
``Channel`` (``channel/mod.rs``) and Pixi's ``[mirrors]`` configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import urlparse

from minipixi.errors import ChannelError, shorten
from minipixi.files import url_problem
from minipixi.matchspec_parse import path_to_file_url
from minipixi.records import PackageRecord

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


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
        problem = url_problem(text)
        if problem:
            raise ChannelError(f"'{shorten(text)}' is not a valid channel URL ({problem})",
                               hint='write e.g. "https://prefix.dev/conda-forge"')
        return text.rstrip("/")
    if is_local_path(text):
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


def download_url(record: PackageRecord, mirrors: Mapping[str, Sequence[str]]) -> PackageRecord:
    """The record with its url moved to the first mirror of its channel (if one is set)."""
    return replace(record, url=download_urls(record.url, mirrors)[0]) if record.url else record


def is_local_url(url: str) -> bool:
    return url.startswith("file://")


def local_path(url: str) -> Path:
    """The folder a ``file://`` URL names."""
    from urllib.request import url2pathname  # lazy: urllib.request pulls in http.client and email (25 ms)

    return Path(url2pathname(urlparse(url).path))
