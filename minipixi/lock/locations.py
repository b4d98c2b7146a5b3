"""What a package's location already says: the rule that keeps pixi.lock small and its diffs short.

Small diffs come from one rule: **never write what the URL already says**. The file name
``bzip2-1.0.8-h4bc722e_7.conda`` gives name, version and build; the folder gives the subdir;
the trailing ``_7`` gives the build number; everything before the subdir is the channel. A
field is written only when it differs from what the URL implies (``python-3.13.0-h..._101_cp313``
has build number 101, not 313, so that record says ``build_number: 101``).

`lock/read.py` fills the fields a lock leaves out from here, and `lock/write.py` leaves out
every field that agrees with it: one rule, read and written the same way. Local packages are
written as paths, not ``file://`` URLs (`location_of_url`), so a lock does not depend on where
the checkout lives.

Lesson: Episode 2, "The lock file". Read after `lock/model.py`; read next `lock/read.py`.
Ground truth: rattler_lock's `LocationDerivedFields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from minipixi.records import parse_package_filename

# Conda subdirs in rattler's `Platform` order (the order v6 writes platform keys in).
KNOWN_SUBDIRS = (
    "noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-loongarch64", "linux-ppc64le", "linux-ppc64", "linux-ppc", "linux-s390x",
    "linux-riscv32", "linux-riscv64", "freebsd-64", "osx-64", "osx-arm64", "win-32", "win-64",
    "win-arm64", "emscripten-wasm32", "wasi-wasm32", "zos-z",
)
ARCHIVE_SUFFIXES = (".conda", ".tar.bz2")


@dataclass(frozen=True)
class DerivedFields:
    """What the location of a conda package says about it; None where it says nothing."""

    file_name: str | None = None
    name: str | None = None
    version: str | None = None
    build: str | None = None
    subdir: str | None = None
    channel: str | None = None


# --8<-- [start:derive]
def derive_fields(location: str) -> DerivedFields:
    """Read name, version, build, subdir and channel off a package location.

    ``https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-h4bc722e_7.conda`` gives
    bzip2 / 1.0.8 / h4bc722e_7 / linux-64 / https://conda.anaconda.org/conda-forge.
    A path (``../pkgs/linux-64/foo-1-0.conda``) gives only what its file name gives.
    """
    file_name = location.rstrip("/").rsplit("/", 1)[-1]
    if not file_name.endswith(ARCHIVE_SUFFIXES) or file_name.count("-") < 2:
        return DerivedFields()
    parsed = parse_package_filename(file_name)
    subdir = channel = None
    if location.startswith(("http://", "https://")):
        head, _, _ = location.rpartition("/")
        channel_url, _, folder = head.rpartition("/")
        if folder in KNOWN_SUBDIRS:
            subdir = folder
        channel = channel_url
    return DerivedFields(file_name, parsed.name, parsed.version, parsed.build, subdir, channel)


def derive_build_number(build: str) -> int | None:
    """The digits at the end of a build string (``py313h..._101`` -> 101), if any."""
    match = re.search(r"(\d+)$", build)
    return int(match.group(1)) if match else None


def derive_noarch(subdir: str, build: str) -> str | None:
    """In ``noarch/``, a build with "py" in it is taken for noarch: python, else generic."""
    if subdir != "noarch":
        return None
    return "python" if "py" in build else "generic"
# --8<-- [end:derive]


def location_of_url(url: str) -> str:
    """Where the lock says a package lives: the URL, but a ``file://`` URL as its path.

    rattler writes local packages as paths, so a lock made on one machine does not carry
    ``file://`` noise (and a relative path keeps working after a checkout moves).
    """
    if url.startswith("file://"):
        return unquote(url[len("file://"):])
    return url


def url_of_location(location: str) -> str | None:
    """The download URL of a location: itself, ``file://`` for an absolute path, else None."""
    if "://" in location:
        return location
    if location.startswith("/"):
        return "file://" + quote(location)
    return None


def derived_for(kind: str, location: str) -> DerivedFields:
    """What a location says: a URL or path (`conda:`), or a v7 `conda_source:` identifier.

    A source identifier ``name[hash] @ location`` says only the name.
    """
    if kind == "conda":
        return derive_fields(location)
    match = re.match(r"([^\[\s@]+)", location)
    return DerivedFields(name=match.group(1) if match else None)


def implied_noarch(kind: str, derived: DerivedFields, subdir: str, build: str) -> str | None:
    """The noarch a `conda:` entry implies; a v7 source entry always spells its noarch out."""
    if kind == "conda_source":
        return None
    return derive_noarch(derived.subdir or subdir, derived.build or build)

