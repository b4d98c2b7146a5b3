"""The target interpreter: which wheels a conda environment's Python can use.

A PyPI resolution does not ask "what runs on *this* machine?" but "what runs in the
environment we are locking?", and that environment may be for another platform (a lock holds
linux-64, osx-arm64 and win-64 at once). Its Python comes from the conda solve (``python
3.12.7`` for linux-64), so the question has three parts, all answered here from the conda
platform name and that Python version, never from the running interpreter:

- **Python version**: a wheel's (and its METADATA's) ``Requires-Python`` must admit it.
- **Wheel tags** (PEP 425): a wheel file name ends in ``<python>-<abi>-<platform>`` tags
  (``cp312-cp312-manylinux_2_17_x86_64``, ``py3-none-any``). An interpreter supports an
  ordered list of tags, most specific first; a wheel is installable when one of its tags is in
  the list, and of several wheels of one version the one with the earliest tag wins. We let
  ``packaging.tags`` (the reference implementation) order them, giving it the platform tags
  of the conda platform: ``manylinux_2_X`` for the glibc the environment assumes (pixi's
  default system requirement is glibc 2.28 on Linux), ``macosx_X_Y`` for the macOS version,
  ``win_amd64`` on Windows.
- **Marker environment** (PEP 508): ``sys_platform``, ``platform_machine``,
  ``python_version``... decide which ``Requires-Dist`` lines apply
  (``pywin32; sys_platform == "win32"``).

Read after `pypi/index.py`; read next `pypi/provider.py`, which uses a `Target` to choose
each version's wheel and each wheel's dependencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import InvalidVersion, Version

from minipixi.errors import MinipixiError


class TargetError(MinipixiError):
    """A conda platform or Python version that no wheel tags can be made for."""


# conda platform -> (os_name, sys_platform, platform_system, platform_machine, wheel arch)
PLATFORMS = {
    "linux-64": ("posix", "linux", "Linux", "x86_64", "x86_64"),
    "linux-aarch64": ("posix", "linux", "Linux", "aarch64", "aarch64"),
    "osx-64": ("posix", "darwin", "Darwin", "x86_64", "x86_64"),
    "osx-arm64": ("posix", "darwin", "Darwin", "arm64", "arm64"),
    "win-64": ("nt", "win32", "Windows", "AMD64", "amd64"),
    "win-arm64": ("nt", "win32", "Windows", "ARM64", "arm64"),
    "linux-32": ("posix", "linux", "Linux", "i386", "i686"),
    "linux-armv6l": ("posix", "linux", "Linux", "armv6l", "armv6l"),
    "linux-armv7l": ("posix", "linux", "Linux", "armv7l", "armv7l"),
    "linux-ppc64le": ("posix", "linux", "Linux", "ppc64le", "ppc64le"),
    "linux-ppc64": ("posix", "linux", "Linux", "ppc64", "ppc64"),
    "linux-s390x": ("posix", "linux", "Linux", "s390x", "s390x"),
    "linux-riscv64": ("posix", "linux", "Linux", "riscv64", "riscv64"),
    "win-32": ("nt", "win32", "Windows", "x86", "32"),
}
# The manylinux names from before PEP 600, each an alias of one glibc version.
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Target:
    """One conda platform with one Python: what its wheels and markers are.

    `python` is the conda environment's Python version (``3.12.7``, or ``3.12``, read as
    ``3.12.0``); `glibc` the glibc a Linux environment assumes; `macos` the oldest macOS a
    macOS environment runs on (pixi's defaults: 2.28 and 13.0).
    """

    platform: str
    python: str
    glibc: tuple[int, int] = (2, 28)
    macos: tuple[int, int] = (13, 0)
    free_threaded: bool = False  # a ``python_abi * *_cp313t`` build: ABI tag ``cp313t``
    musl: tuple[int, int] | None = None  # a musl Linux (``__musl``): musllinux wheels instead

    @classmethod
    def for_python(cls, platform: str, python, *, glibc: str | None = None,
                   macos: str | None = None, musl: str | None = None) -> "Target":
        """The target of a conda `python` record on `platform`, with the glibc / macOS
        versions a manifest declares (``__glibc``, ``__osx``; None: pixi's defaults). A
        free-threaded CPython is recognised by its ``python_abi`` dependency (``cp313t``)."""
        return cls(platform, python_release(python.version),
                   glibc=_two(glibc) or (2, 28), macos=_two(macos) or (13, 0),
                   free_threaded=is_free_threaded(python), musl=_two(musl))

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise TargetError(f"minipixi cannot resolve PyPI packages for platform "
                              f"'{self.platform}'",
                              hint=f"use one of {', '.join(PLATFORMS)}")
        try:
            version = Version(self.python)
        except InvalidVersion:
            version = None
        if version is None or version.major != 3 or len(version.release) > 3:
            raise TargetError(f"'{self.python}' is not a Python 3 version",
                              hint="the locked conda python is a version such as 3.12.7")

    @property
    def version(self) -> Version:
        """The full Python version: ``3.12`` is read as ``3.12.0``."""
        release = Version(self.python).release
        return Version(".".join(map(str, (release + (0, 0))[:3])))

    @property
    def minor(self) -> tuple[int, int]:
        return self.version.release[0], self.version.release[1]

    def admits(self, requires_python: str | SpecifierSet | None) -> bool:
        """Whether a ``Requires-Python`` specifier admits this Python (none admits all)."""
        if not requires_python:
            return True
        spec = requires_python if isinstance(requires_python, SpecifierSet) \
            else SpecifierSet(requires_python)
        return spec.contains(self.version, prereleases=True)

    # --8<-- [start:tags]
    @cached_property
    def platform_tags(self) -> list[str]:
        """The platform part of the wheel tags, best first."""
        os_name, _, _, _, arch = PLATFORMS[self.platform]
        if self.platform.startswith("linux"):
            if self.musl is not None:
                major, minor = self.musl
                return [f"musllinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)] + [f"linux_{arch}"]
            major, minor = self.glibc
            # uv's order: each manylinux_2_M, then its legacy alias; x86 wheels go back to
            # glibc 2.5 (manylinux1), other architectures to 2.17 (manylinux2014).
            oldest = 5 if arch in ("x86_64", "i686") else 17
            found = []
            for m in range(minor, oldest - 1, -1):
                found.append(f"manylinux_{major}_{m}_{arch}")
                if major == 2 and m in LEGACY_MANYLINUX and (m == 17 or arch in ("x86_64", "i686")):
                    found.append(f"{LEGACY_MANYLINUX[m]}_{arch}")
            return found + [f"linux_{arch}"]
        if self.platform.startswith("osx"):
            return list(mac_platforms(self.macos, arch))
        return ["win32" if arch == "32" else f"win_{arch}"]

    @cached_property
    def tags(self) -> list[Tag]:
        """Every wheel tag this interpreter accepts, best first (PEP 425's order)."""
        minor = self.minor
        abi = f"cp{minor[0]}{minor[1]}"
        abis = [abi + "t"] if self.free_threaded else [abi]
        found = list(cpython_tags(minor, abis=abis, platforms=self.platform_tags))
        found += compatible_tags(minor, abi, self.platform_tags)
        return list(dict.fromkeys(found))

    @cached_property
    def tag_rank(self) -> dict[Tag, int]:
        """Each accepted tag's position in `tags` (smaller is better)."""
        return {tag: i for i, tag in enumerate(self.tags)}
    # --8<-- [end:tags]

    @cached_property
    def markers(self) -> dict[str, str]:
        """The PEP 508 marker environment (``extra`` is added per requirement)."""
        os_name, sys_platform, system, machine, _ = PLATFORMS[self.platform]
        full = str(self.version)
        return {
            "os_name": os_name, "sys_platform": sys_platform, "platform_system": system,
            "platform_machine": machine, "platform_release": "", "platform_version": "",
            "python_version": "{}.{}".format(*self.minor), "python_full_version": full,
            "implementation_name": "cpython", "implementation_version": full,
            "platform_python_implementation": "CPython",
        }

    def describe(self) -> str:
        return f"{self.platform} with Python {self.python}"


_FREE_THREADED = re.compile(r"cp\d{3}t")


def is_free_threaded(python) -> bool:
    """A free-threaded CPython record: its ``python_abi`` dependency names a ``cpXYZt`` build."""
    for text in python.depends:
        head, _, rest = text.partition(" ")
        if head == "python_abi" and _FREE_THREADED.search(rest):
            return True
    return False


def python_release(version: str) -> str:
    """``3.12.7`` of a conda python version (``3.13.0rc1``, ``3.12.7.post1``: the release part)."""
    numbers = re.findall(r"\d+", version.split("+")[0])
    return ".".join(numbers[:3]) if numbers else version


def _two(version: str | None) -> tuple[int, int] | None:
    numbers = re.findall(r"\d+", version or "")
    return (int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0) if numbers else None
