"""Configuration: where minipixi keeps its files, and which channel mirrors it uses.

Pixi reads settings from config files (``~/.pixi/config.toml`` for a user,
``<workspace>/.pixi/config.toml`` for one workspace). minipixi reads the same shape from
``$MINIPIXI_HOME/config.toml`` and ``<workspace>/.pixi/config.toml``, the workspace winning:

.. code-block:: toml

    offline = true                      # use the bundled teaching mirror of conda-forge

    [mirrors]
    "https://conda.anaconda.org/conda-forge" = ["https://my-mirror.example.org/conda-forge"]

    [repodata-config]                   # Pixi's table; minipixi reads disable-sharded
    disable-sharded = true              # whole repodata.json, never shards (shards.py)

A *mirror* serves the same packages as a channel from another address. The lock file still
names the original channel, so a lock made through a mirror is the same as one made without
it. That is how the offline lesson works: the bundled teaching channel is registered as a
mirror of conda-forge, switched on by ``--offline``, ``MINIPIXI_OFFLINE=1`` or
``offline = true``, and the manifests keep ``channels = ["conda-forge"]`` exactly as the
lesson shows them.

Every key is checked before it is used: only ``offline`` (true or false, so ``offline = "false"``
is an error, not "true"), ``mirrors`` and ``[repodata-config]`` are read, and any other of Pixi's
settings is an error that names it rather than a setting quietly ignored. A file that is not
UTF-8, not TOML or nested too deeply is an error at its place too.

Folders: ``MINIPIXI_HOME`` (default ``~/.minipixi``: global tools and the user config) and
``MINIPIXI_CACHE_DIR`` (default ``$XDG_CACHE_HOME/minipixi`` or ``~/.cache/minipixi``:
repodata and extracted packages).

Lesson: Setup ("Working offline"). Read before `channel.py`.
"""

from __future__ import annotations

import os
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from minipixi.errors import Location, MinipixiError, toml_error_position

CONDA_FORGE_URL = "https://conda.anaconda.org/conda-forge"
OFFLINE_NOTICE = "using the bundled offline teaching mirror of conda-forge"


def home_dir() -> Path:
    """Where global tools and the user config live."""
    return Path(os.environ.get("MINIPIXI_HOME") or Path.home() / ".minipixi")


def cache_dir() -> Path:
    """Where downloaded repodata and packages are cached."""
    if os.environ.get("MINIPIXI_CACHE_DIR"):
        return Path(os.environ["MINIPIXI_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "minipixi"


def teaching_channel_dir() -> Path:
    """The bundled teaching channel: one folder per subdir with repodata.json and packages."""
    return Path(__file__).resolve().parent / "teaching_channel" / "channel"


def teaching_channel_url() -> str:
    return teaching_channel_dir().as_uri()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    """Settings in force for one command."""

    offline: bool = False
    mirrors: dict[str, list[str]] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()  # the config files that were read, for `minipixi info`
    repodata_config: dict = field(default_factory=dict)  # Pixi's [repodata-config] table

    def use_shards(self, channel_url: str) -> bool:
        """Read `channel_url` through its shards when it has them (``shards.py``)?

        Yes, unless Pixi's ``disable-sharded = true`` says no: in the ``[repodata-config."URL"]``
        table with the longest URL that prefixes the channel's, else in ``[repodata-config]``.
        """
        disabled, best = self.repodata_config.get("disable-sharded", False), ""
        for prefix, table in self.repodata_config.items():
            key = prefix.rstrip("/")
            if (isinstance(table, dict) and "disable-sharded" in table and len(key) > len(best)
                    and (channel_url == key or channel_url.startswith(key + "/"))):
                disabled, best = table["disable-sharded"], key
        return not disabled

    def effective_mirrors(self) -> dict[str, list[str]]:
        """The mirrors to use; offline mode puts the teaching channel in front of conda-forge."""
        mirrors = {k.rstrip("/"): list(v) for k, v in self.mirrors.items()}
        if self.offline:
            mirrors[CONDA_FORGE_URL] = [teaching_channel_url()]
        return mirrors


#: The settings minipixi reads from a config file. Pixi has many more; a file that sets one of
#: them gets an error naming it, because a setting that is silently ignored misleads.
CONFIG_KEYS = ("offline", "mirrors", "repodata-config")


def read_config_file(path: Path) -> dict:
    """One config file as a dict, checked: only `CONFIG_KEYS`, each of the right type.

    Anything else is a clear error naming the file, the line when known, and the key:
    bytes that are not UTF-8, TOML syntax, nesting too deep for the parser, an unknown key,
    ``offline = "false"`` (a string, which would otherwise count as true).
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise MinipixiError(f"cannot read {path}: {err.strerror or err}", where=str(path),
                            hint="check that the config file is a readable file") from err
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        from minipixi.manifest.locate import decode_utf8  # lazy: only a broken file needs it

        decode_utf8(raw, str(path), MinipixiError)  # raises at the first bad byte
        raise
    try:
        data = tomllib.loads(text)
    except ValueError as err:  # a TOMLDecodeError, or a number of more than 4,300 digits
        message, line, column = toml_error_position(err)
        raise MinipixiError(
            f"{path.name} is not valid TOML: {message}",
            where=Location(str(path), line, column),
            hint="fix the TOML syntax at that place",
        ) from err
    except RecursionError:  # tomllib recurses once per level of nesting
        raise MinipixiError(f"{path.name} is nested too deeply to read", where=str(path),
                            hint="a config file needs a few levels of tables at most") from None
    check_config(data, path, text)
    return data


def check_config(data: dict, path: Path, text: str = "") -> None:
    """Every key of a config file known (`CONFIG_KEYS`) and of the type minipixi reads."""
    def fail(keys: tuple, message: str, hint: str) -> MinipixiError:
        from minipixi.manifest.locate import scan  # lazy: only a wrong file needs positions

        span = scan(text).find(keys) if text else None
        where = Location(str(path), span.line, span.column) if span else str(path)
        return MinipixiError(message, where=where, hint=hint)

    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise fail((key,), f"the config key '{key}' is not supported by minipixi",
                       f"remove it from {path.name}; minipixi reads: " + ", ".join(CONFIG_KEYS))
    if "offline" in data and not isinstance(data["offline"], bool):
        raise fail(("offline",), f"offline in {path.name} must be true or false, not {data['offline']!r}",
                   "write offline = true or offline = false, without quotes")
    mirrors = data.get("mirrors", {})
    if not isinstance(mirrors, dict) or not all(
        isinstance(v, list) and all(isinstance(u, str) for u in v) for v in mirrors.values()
    ):
        raise fail(("mirrors",), "[mirrors] must map a channel URL to a list of URLs",
                   'write e.g. "https://conda.anaconda.org/conda-forge" = ["https://mirror/conda-forge"]')
    read_repodata_config(data.get("repodata-config", {}), path)


# What minipixi does about each of Pixi's [repodata-config] keys: it reads shards unless told
# not to, and never uses JLAP or .bz2 repodata (so those two "disable" settings hold anyway).
REPODATA_CONFIG_KEYS = ("disable-sharded", "disable-jlap", "disable-bzip2")


def read_repodata_config(table: object, path: Path) -> None:
    """Check ``[repodata-config]``: known keys with true/false, at the top or per channel URL."""
    def check(keys: dict, where: str) -> None:
        for key, value in keys.items():
            if isinstance(value, dict) and where == "[repodata-config]" and "://" in key:
                check(value, f'[repodata-config."{key}"]')
            elif key not in REPODATA_CONFIG_KEYS:
                raise MinipixiError(
                    f"{where} has '{key}', which minipixi does not implement", where=str(path),
                    hint="minipixi reads: " + ", ".join(REPODATA_CONFIG_KEYS)
                    + (" (it always prefers repodata.json.zst)" if key == "disable-zstd" else ""))
            elif not isinstance(value, bool):
                raise MinipixiError(f"{where} {key} must be true or false", where=str(path),
                                    hint=f"write e.g. {key} = true")

    if not isinstance(table, dict):
        raise MinipixiError("[repodata-config] must be a table", where=str(path),
                            hint="write e.g. [repodata-config] then disable-sharded = true")
    check(table, "[repodata-config]")


def load_config(workspace_root: Path | None = None, *, offline: bool = False) -> Config:
    """The config for a command: user file, then workspace file, then flags and variables."""
    merged: dict = {"mirrors": {}, "repodata-config": {}}
    sources = []
    candidates = [home_dir() / "config.toml"]
    if workspace_root is not None:
        candidates.append(workspace_root / ".pixi" / "config.toml")
    for path in candidates:
        if path.is_file():
            data = read_config_file(path)
            merged["mirrors"].update(data.get("mirrors", {}))
            merged["repodata-config"].update(data.get("repodata-config", {}))
            if "offline" in data:
                merged["offline"] = data["offline"]  # a bool: read_config_file checked it
            sources.append(path)
    offline = offline or _truthy(os.environ.get("MINIPIXI_OFFLINE")) or merged.get("offline", False)
    return Config(offline=offline, mirrors=merged["mirrors"], sources=tuple(sources),
                  repodata_config=merged["repodata-config"])


@contextmanager
def temporary_environ(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, with None, remove) environment variables for the block, then put them back.

    The tour runs each step with its own variables (``CONDA_OVERRIDE_CUDA=12``), and the grader
    solves with a private cache and no CUDA override leaking in from the instructor's shell.
    """
    saved = {key: os.environ.get(key) for key in changes}
    try:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
