"""Which conda packages are PyPI packages: ``[workspace] conda-pypi-map``, read into purls.

A conda package of ``platformdirs`` holds the same files as PyPI's ``platformdirs`` wheel. When
``[pypi-dependencies]`` asks for ``platformdirs``, the conda one must count, or the environment
gets two copies. The lock says which conda package is which PyPI project with a *package URL*
(purl) on the conda entry: ``pkg:pypi/platformdirs?source=project-defined-mapping``; the
resolver then leaves that name to conda (`app/pypi_lock.py`). Pixi asks prefix.dev's mapping
service for conda-forge's names; a workspace can give its own, per channel, in the forms of
Pixi 0.71:

- ``conda-pypi-map = false``: no conda package of any channel is a PyPI package;
- ``{ my-channel = "map.json" }``: a map file, a path inside the workspace, a ``file://`` URL or an
  ``https://`` URL (the same as ``{ location = "..." }``); ``{ my-channel = false }``: none of that
  channel's packages is a PyPI package;
- ``{ my-channel = { location = ..., mapping = { pytorch = "torch" }, mapping-mode = "replace",
  same-name-heuristic = true } }``: the inline ``mapping`` entries win over the file's.

A map (file or inline) takes a conda name to one PyPI name, a list of them (a conda package that
bundles two projects), or ``false`` / ``null`` / ``[]``: *not* a PyPI package (written as
``purls: []``, so nothing guesses later). What a channel's map does not name:

- ``mapping-mode = "overlay"`` (the default): falls through to the default map, which in
  minipixi is only the teaching channel's, offline (`config.py`'s ``pypi_mapping``; minipixi has
  no mapping service); ``"replace"``: the default map is not read for that channel;
- ``same-name-heuristic = true``: then the package is taken to be the PyPI project of its own
  name (``pkg:pypi/<name>``, no ``source``, as Pixi writes it); ``false``: it is not a PyPI
  package; unset: nothing is written, and the lock's reader guesses the same name for
  conda-forge packages only (`lock/pypi_satisfiability.py`'s ``conda_as_pypi``), as Pixi does.

A remote map is fetched with `http.py`'s `cached_get` (bounded to `MAX_MAPPING_SIZE`, cached
under ``<cache>/pypi/mapping/`` with its ``ETag``), so ``--offline`` uses the copy a previous run
kept. A map that cannot be read (a 404, an unreachable server, offline with no copy, not JSON,
not an object of names) is one error naming the channel and the location.

Read after `pypi/find_links.py`; read next `pypi/provider.py`. Called by `app/relock.py` for
every locked conda package (one package, one set of purls, whichever environment has it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from minipixi import http
from minipixi.channel.names import Channel
from minipixi.errors import ManifestError
from minipixi.files import UnsafePathError, inside
from minipixi.lock.model import normalize_pypi_name

MAX_MAPPING_SIZE = 64 * 2**20  # parselmouth's whole conda-forge map is a few MiB
PROJECT_DEFINED = "?source=project-defined-mapping"


class MappingError(ManifestError):
    """A ``conda-pypi-map`` that cannot be read or says something minipixi cannot use."""


@dataclass(frozen=True)
class ChannelMap:
    """One channel's conda -> PyPI names (an empty tuple: not a PyPI package) and its rules."""

    names: Mapping[str, tuple[str, ...]]
    mode: str = "overlay"  # or "replace": the default map is not read for this channel
    same_name: bool | None = None  # None: unset (see the module)
    disabled: bool = False  # `false`: no package of the channel is a PyPI package


def conda_purls(workspace, records, *, strict: bool = True, default_maps: Mapping[str, str] | None = None,
                offline: bool = False, cache_dir: Path | None = None) -> dict[str, tuple[str, ...]]:
    """conda name -> its purls, for each of `records` the maps decide (see the module); a
    record they say nothing about is left out. `default_maps`: channel URL -> a map location,
    read under the manifest's overlay (offline: the teaching channel's, for conda-forge). A map
    that cannot be read raises MappingError when `strict` (an environment has PyPI
    dependencies), else that channel is skipped."""
    table = _workspace_table(workspace).get("conda-pypi-map")
    channels: dict[str, ChannelMap | None] = {}
    defaults: dict[str, ChannelMap | None] = {}
    if table is False:
        channels = {Channel.parse(r.channel).url: ChannelMap({}, disabled=True) for r in records if r.channel}
        default_maps = {}
    for written, entry in (table.items() if isinstance(table, Mapping) else ()):
        channels[Channel.parse(str(written)).url] = _read_or_skip(
            strict, lambda: read_channel_map(workspace, str(written), entry, offline=offline, cache_dir=cache_dir))
    for url, location in (default_maps or {}).items():
        defaults[Channel.parse(url).url] = _read_or_skip(
            strict, lambda: read_channel_map(workspace, url, location, offline=offline, cache_dir=cache_dir))
    found: dict[str, tuple[str, ...]] = {}
    for record in records:
        url = Channel.parse(record.channel).url if record.channel else None
        purls = purls_for(record.name, channels.get(url), defaults.get(url))
        if purls is not None:
            found[record.name] = purls
    return found


def purls_for(name: str, own: ChannelMap | None, default: ChannelMap | None) -> tuple[str, ...] | None:
    """The purls of conda package `name` from its channel's map `own` and the `default` map
    (see the module for the order); None when neither says anything."""
    if own is not None and own.disabled:
        return ()
    names = own.names.get(name.lower()) if own is not None else None
    if names is None and default is not None and (own is None or own.mode == "overlay"):
        names = default.names.get(name.lower())
    if names is not None:
        return tuple(f"pkg:pypi/{normalize_pypi_name(n)}{PROJECT_DEFINED}" for n in names)
    if own is not None and own.same_name is not None:
        return (f"pkg:pypi/{normalize_pypi_name(name)}",) if own.same_name else ()
    return None


def _read_or_skip(strict: bool, read) -> ChannelMap | None:
    try:
        return read()
    except MappingError:
        if strict:
            raise
        return None


def _workspace_table(workspace) -> Mapping[str, Any]:
    document = getattr(workspace, "document", None) or {}
    for key in ("workspace", "project"):
        if isinstance(document.get(key), Mapping):
            return document[key]
    return {}


def read_channel_map(workspace, channel: str, entry, *, offline: bool = False,
                     cache_dir: Path | None = None) -> ChannelMap:
    """One channel's entry of ``conda-pypi-map`` (a location, ``false`` or a table), its map
    file read (`read_map`) and its inline ``mapping`` laid over it."""
    where = f"{workspace.path} (conda-pypi-map of {channel})"
    if entry is False:
        return ChannelMap({}, disabled=True)
    spec = {"location": entry} if isinstance(entry, str) else entry
    if not isinstance(spec, Mapping) or not spec:
        raise MappingError(f"the conda-pypi-map entry of {channel} is {entry!r}", where=where,
                           hint='give a location ("map.json"), false, or a table with location, mapping, '
                           "mapping-mode or same-name-heuristic")
    unknown = sorted(set(spec) - {"location", "mapping", "mapping-mode", "same-name-heuristic"})
    if unknown:
        raise MappingError(f"conda-pypi-map {unknown[0]} is not supported by minipixi", where=where,
                           hint="use location, mapping, mapping-mode and same-name-heuristic")
    mode = spec.get("mapping-mode", "overlay")
    same_name = spec.get("same-name-heuristic")
    if mode not in ("overlay", "replace") or same_name not in (None, True, False):
        raise MappingError(f"the conda-pypi-map entry of {channel} has mapping-mode {mode!r} and "
                           f"same-name-heuristic {same_name!r}", where=where,
                           hint='mapping-mode is "overlay" or "replace"; same-name-heuristic is true or false')
    names: dict[str, tuple[str, ...]] = {}
    if spec.get("location"):
        names.update(read_map(workspace, channel, str(spec["location"]), offline=offline, cache_dir=cache_dir))
    names.update(_names(spec.get("mapping") or {}, where))
    return ChannelMap(names, mode, same_name)


def read_map(workspace, channel: str, location: str, *, offline: bool = False,
             cache_dir: Path | None = None) -> dict[str, tuple[str, ...]]:
    """The map at `location`: an ``http(s)://`` URL (through the cache), a ``file://`` URL, or
    a path relative to the workspace; checked to be a JSON object of names."""
    where = f"{location} (conda-pypi-map of {channel} in {workspace.path})"
    if location.startswith(("http://", "https://")):
        return _fetch_map(location, where, offline=offline, cache_dir=cache_dir)
    if "://" in location and not location.startswith("file://"):
        raise MappingError(f"the conda-pypi-map of {channel} has an unsupported location {location}",
                           where=where, hint="use a path in the workspace, a file:// or an https:// URL")
    else:
        try:
            path = Path(location[len("file://"):]) if location.startswith("file://") else \
                inside(workspace.root, location, what="conda-pypi-map location", where=where)
        except UnsafePathError as err:
            raise MappingError(f"the conda-pypi-map file {location} lies outside the workspace ({err.message})",
                               where=where, hint="keep the map in the workspace, or name it by a file:// URL") from None
        try:
            if path.stat().st_size > MAX_MAPPING_SIZE:
                raise MappingError(f"the conda-pypi-map file {path} is larger than "
                                   f"{http.describe_size(MAX_MAPPING_SIZE)}", where=where,
                                   hint="keep only the packages of your channel in it")
            body = path.read_bytes()
        except OSError as err:
            raise MappingError(f"cannot read the conda-pypi-map file {path}: {err.strerror or err}", where=where,
                               hint="fix the location, or create the file") from None
    return _parse(body, where)


def _fetch_map(url: str, where: str, *, offline: bool, cache_dir: Path | None) -> dict[str, tuple[str, ...]]:
    from minipixi.pypi.index import _slug, default_cache_dir  # lazy: index.py loads packaging

    cached = Path(cache_dir or default_cache_dir()) / "pypi" / "mapping" / (_slug(url) + ".json")
    try:
        fetched = http.cached_get(url, cached, lambda body, _: _parse(body, where), offline=offline,
                                  most=MAX_MAPPING_SIZE)  # a bad map is never cached
    except http.DownloadError as err:
        raise MappingError(f"cannot download the conda-pypi-map: {err.message}", where=where,
                           hint="check the url, or run with --offline to use the copy a previous run kept") from None
    if fetched is None:
        raise MappingError("offline, and the conda-pypi-map was never downloaded", where=where,
                           hint="run the command once online (without --offline) to keep a copy of it")
    status, names = fetched
    if status != 200:
        raise MappingError(f"the conda-pypi-map server answered HTTP {status}", where=where,
                           hint="check the url of the map")
    return names


def _parse(body: bytes, where: str) -> dict[str, tuple[str, ...]]:
    try:
        data = json.loads(body)
    except ValueError as err:
        raise MappingError(f"the conda-pypi-map is not JSON ({err})", where=where,
                           hint='it must be a JSON object of conda name -> PyPI name, e.g. {"pytorch": "torch"}') from None
    if not isinstance(data, dict):
        raise MappingError("the conda-pypi-map is not a JSON object", where=where,
                           hint='write {"conda-name": "pypi-name"}')
    return _names(data, where)


def _names(mapping: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    """conda name -> PyPI names; a string, a list of strings, or false / null / [] (none)."""
    out: dict[str, tuple[str, ...]] = {}
    for conda, target in mapping.items():
        if target is None or target is False:
            names: Iterable = ()
        elif isinstance(target, str):
            names = (target,)
        elif isinstance(target, list) and all(isinstance(n, str) for n in target):
            names = target
        else:
            raise MappingError(f"the conda-pypi-map gives {conda!r} the PyPI name {target!r}", where=where,
                               hint="a PyPI name is a string, a list of strings, or false (not on PyPI)")
        out[str(conda).lower()] = tuple(names)
    return out
