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
lesson shows them. The same switch puts the bundled teaching PyPI index in place of
https://pypi.org/simple (`Config.pypi_mirrors`), with the teaching channel's conda -> PyPI
name map (`Config.pypi_mapping`), and the lock still names pypi.org.

Every key is checked before it is used: only ``offline`` (true or false, so ``offline = "false"``
is an error, not "true"), ``mirrors`` and ``[repodata-config]`` are read, and any other of Pixi's
settings is an error that names it rather than a setting quietly ignored. A file that is not
UTF-8, not TOML or nested too deeply is an error at its place too.

Folders: ``MINIPIXI_HOME`` (default ``~/.minipixi``: global tools and the user config) and
``MINIPIXI_CACHE_DIR`` (default ``$XDG_CACHE_HOME/minipixi`` or ``~/.cache/minipixi``:
repodata and extracted packages).

**Pixi's environment variables.** minipixi reads Pixi's own names, so a shell set up for Pixi
works here; the ``MINIPIXI_*`` names stay as aliases and win when both are set. The table
(`PIXI_VARIABLES` holds it, and `pixi_environment` applies it when a command starts):

=========================  ======================  ==============================================
Pixi's variable            minipixi alias          what it does here
=========================  ======================  ==============================================
PIXI_HOME                  MINIPIXI_HOME           global tools and the user config, in
                                                   ``$PIXI_HOME/minipixi`` (Pixi's files stay apart)
PIXI_CACHE_DIR             MINIPIXI_CACHE_DIR      the cache, in ``$PIXI_CACHE_DIR/minipixi``
PIXI_LOCKED                                        ``--locked`` for install, run, shell, shell-hook
PIXI_FROZEN                                        ``--frozen`` for the same commands
PIXI_OVERRIDE_PLATFORM     MINIPIXI_PLATFORM       act as if on that platform
PIXI_NO_CONFIG                                     skip the user config file (the workspace's is read)
PIXI_CONFIG_FILE                                   read this file instead of the user config
PIXI_COLOR, PIXI_NO_WRAP,                          output only: minipixi prints no colours, wraps
PIXI_NO_PROGRESS                                   nothing, and draws progress only on a terminal
                                                   (PIXI_NO_PROGRESS turns that line off)
=========================  ======================  ==============================================

Pixi's other behaviour variables (`UNSUPPORTED_PIXI_VARIABLES`: PIXI_NO_HARD_LINKS, ...) are an
error that names them, never ignored. The variables Pixi *sets* for a process in an environment
(PIXI_PROJECT_ROOT, PIXI_ENVIRONMENT_NAME, PIXI_PROJECT_MANIFEST, ..., see `run/activation.py`)
minipixi sets too, and ignores when it starts inside one, as Pixi does.

Lesson: Setup ("Working offline"). Read after `filelock.py`; read next `http.py`, then `channel/`.
"""

from __future__ import annotations

import os
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from minipixi.errors import Location, MinipixiError, shorten, toml_error_position
from minipixi.files import url_problem

CONDA_FORGE_URL = "https://conda.anaconda.org/conda-forge"
PYPI_URL = "https://pypi.org/simple"  # PyPI's default index, which offline mode replaces too
OFFLINE_NOTICE = "using the bundled offline teaching mirror of conda-forge"


# --8<-- [start:pixi-variables]
#: Pixi's environment variables that minipixi honours: name -> (minipixi alias or None, meaning).
PIXI_VARIABLES = {
    "PIXI_HOME": ("MINIPIXI_HOME", "global tools and the user config, in $PIXI_HOME/minipixi"),
    "PIXI_CACHE_DIR": ("MINIPIXI_CACHE_DIR", "the package and repodata cache, in $PIXI_CACHE_DIR/minipixi"),
    "PIXI_LOCKED": (None, "--locked: the lock must be up to date, it is never rewritten"),
    "PIXI_FROZEN": (None, "--frozen: install the lock as it is, never update it"),
    "PIXI_OVERRIDE_PLATFORM": ("MINIPIXI_PLATFORM", "act as if running on that platform"),
    "PIXI_NO_CONFIG": (None, "skip the user config file; the workspace's .pixi/config.toml is still read"),
    "PIXI_CONFIG_FILE": (None, "read this config file instead of the user config"),
    "PIXI_COLOR": (None, "output only: minipixi prints no colours"),
    "PIXI_NO_WRAP": (None, "output only: minipixi does not wrap its messages"),
    "PIXI_NO_PROGRESS": (None, "no progress line on the terminal"),
}
#: Pixi's variables that change what it does and that minipixi does not implement: an error.
UNSUPPORTED_PIXI_VARIABLES = {
    "PIXI_NO_HARD_LINKS": "minipixi chooses how to link package files itself",
    "PIXI_NO_SYMBOLIC_LINKS": "minipixi chooses how to link package files itself",
    "PIXI_TLS_ROOT_CERTS": "minipixi uses the system's certificates",
    "PIXI_GIT_LFS": "minipixi has no git dependencies",
}
# --8<-- [end:pixi-variables]


def setting(name: str) -> str | None:
    """A variable of `PIXI_VARIABLES` by its Pixi name: the minipixi alias when set, else Pixi's
    name (None when neither is set, or set to the empty string)."""
    alias = PIXI_VARIABLES[name][0]
    return (os.environ.get(alias) if alias else None) or os.environ.get(name) or None


def flag(name: str) -> bool:
    """A yes/no variable (``PIXI_FROZEN=1``): true, false, or an error naming it, as Pixi's
    command line reads it."""
    value = (os.environ.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise MinipixiError(f"{name}={shorten_value(value)} is not true or false",
                        hint=f"set {name}=1 (or true) to turn it on, unset it (or 0) to turn it off")


def shorten_value(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def pixi_environment() -> None:
    """Check Pixi's variables when a command starts: an unsupported one set is an error naming
    it, a yes/no one must be yes or no, and PIXI_OVERRIDE_PLATFORM is passed on as
    MINIPIXI_PLATFORM (which the code that picks the platform reads)."""
    for name, why in UNSUPPORTED_PIXI_VARIABLES.items():
        if os.environ.get(name):
            raise MinipixiError(f"{name} is not supported by minipixi: {why}",
                                hint=f"unset {name} to run minipixi, or use pixi itself")
    for name in ("PIXI_LOCKED", "PIXI_FROZEN", "PIXI_NO_CONFIG", "PIXI_NO_PROGRESS"):
        flag(name)
    if os.environ.get("PIXI_OVERRIDE_PLATFORM") and not os.environ.get("MINIPIXI_PLATFORM"):
        os.environ["MINIPIXI_PLATFORM"] = os.environ["PIXI_OVERRIDE_PLATFORM"]


def home_dir() -> Path:
    """Where global tools and the user config live (``MINIPIXI_HOME``, else
    ``$PIXI_HOME/minipixi``, else ``~/.minipixi``)."""
    if os.environ.get("MINIPIXI_HOME"):
        return Path(os.environ["MINIPIXI_HOME"])
    if os.environ.get("PIXI_HOME"):
        return Path(os.environ["PIXI_HOME"]) / "minipixi"
    return Path.home() / ".minipixi"


def cache_dir() -> Path:
    """Where downloaded repodata and packages are cached (``MINIPIXI_CACHE_DIR``, else
    ``$PIXI_CACHE_DIR/minipixi``, else ``$XDG_CACHE_HOME/minipixi`` or ``~/.cache/minipixi``)."""
    if os.environ.get("MINIPIXI_CACHE_DIR"):
        return Path(os.environ["MINIPIXI_CACHE_DIR"])
    if os.environ.get("PIXI_CACHE_DIR"):
        return Path(os.environ["PIXI_CACHE_DIR"]) / "minipixi"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "minipixi"


def teaching_channel_dir() -> Path:
    """The bundled teaching channel: one folder per subdir with repodata.json and packages."""
    return Path(__file__).resolve().parent / "teaching" / "mirror" / "channel"


def teaching_channel_url() -> str:
    return teaching_channel_dir().as_uri()


def teaching_pypi_dir() -> Path:
    """The bundled teaching PyPI index (`teaching/mirror/pypi_index.py` builds it): a static
    ``simple/`` folder of project pages and wheels, and ``conda-pypi-map.json``."""
    return Path(__file__).resolve().parent / "teaching" / "mirror" / "pypi"


def teaching_pypi_url() -> str:
    return (teaching_pypi_dir() / "simple").as_uri()


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

    def pypi_mirrors(self) -> dict[str, str]:
        """PyPI index URL -> the ``file://`` folder that serves it instead: offline mode puts
        the teaching index in place of https://pypi.org/simple, as it puts the teaching channel
        in place of conda-forge. The lock still names pypi.org (`app/pypi_lock.py` maps the
        URLs both ways), so it is the lock a learner online would get."""
        return {PYPI_URL: teaching_pypi_url()} if self.offline else {}

    def pypi_mapping(self) -> dict[str, str]:
        """Offline: channel URL -> the bundled conda -> PyPI name map of the teaching channel
        (Pixi asks its mapping service for conda-forge's), so conda's ``platformdirs`` is known
        to be PyPI's and is not installed twice. A file URL, as ``conda-pypi-map`` takes."""
        return {CONDA_FORGE_URL: (teaching_pypi_dir() / "conda-pypi-map.json").as_uri()} if self.offline else {}


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
        from minipixi.manifest.locate import decode_utf8  # lazy: manifest/ loads tomlkit; only bad bytes need it

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
        from minipixi.manifest.locate import scan  # lazy: manifest/ loads tomlkit; only a wrong file needs it

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
    for channel, urls in mirrors.items():
        for url in [channel, *urls]:
            problem = url_problem(url)
            if problem:
                raise fail(("mirrors", channel), f"'{shorten(url)}' in [mirrors] is not a valid URL ({problem})",
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


# --8<-- [start:load]
def load_config(workspace_root: Path | None = None, *, offline: bool = False) -> Config:
    """The config for a command: user file, then workspace file, then flags and variables."""
    merged: dict = {"mirrors": {}, "repodata-config": {}}
    sources = []
    candidates = [] if flag("PIXI_NO_CONFIG") else [home_dir() / "config.toml"]
    if os.environ.get("PIXI_CONFIG_FILE"):  # instead of the user config; it must exist
        chosen = Path(os.environ["PIXI_CONFIG_FILE"])
        if not chosen.is_file():
            raise MinipixiError(f"PIXI_CONFIG_FILE names {chosen}, which is not a file",
                                hint="point it at a config.toml, or unset it")
        candidates = [chosen]
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
    offline = offline or flag("MINIPIXI_OFFLINE") or merged.get("offline", False)
    return Config(offline=offline, mirrors=merged["mirrors"], sources=tuple(sources),
                  repodata_config=merged["repodata-config"])
# --8<-- [end:load]


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
