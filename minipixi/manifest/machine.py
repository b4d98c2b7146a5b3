"""Which platform is this machine? The conda subdir minipixi acts for.

A manifest lists the platforms a workspace supports; commands that act here and now (``init``
writing the first platform, ``install`` picking this machine's records, ``global`` installing a
tool) need the one this computer is: ``linux-64``, ``osx-arm64``, ``win-64``... `current_platform`
reads it from the operating system and the processor, unless ``MINIPIXI_PLATFORM`` names another
known subdir (for tests, and for instructors preparing material for another kind of laptop).
The virtual packages this machine offers (``__glibc``, ``__cuda``) are a different question,
answered by `channel/virtual_packages.py`.

Lesson: Episode 2 (``pixi init`` writes this machine's platform). Read after `manifest/model.py`.
"""

from __future__ import annotations

import os
import platform as _platform
import sys

from minipixi.errors import ManifestError
from minipixi.manifest.model import KNOWN_PLATFORMS


def current_platform() -> str:
    """The conda subdir of this machine (linux-64, osx-arm64, win-64, ...), or the one
    ``MINIPIXI_PLATFORM`` names: then minipixi acts as if it ran there (``init`` lists it,
    ``install`` picks its records), for tests and for instructors preparing material for
    another kind of laptop."""
    pretend = os.environ.get("MINIPIXI_PLATFORM")
    if pretend:
        if pretend not in KNOWN_PLATFORMS:
            raise ManifestError(f"MINIPIXI_PLATFORM='{pretend}' is not a known platform",
                                hint="unset it, or name a conda subdir such as osx-64 or linux-aarch64")
        return pretend
    machine = _platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "aarch64": "aarch64", "arm64": "arm64", "ppc64le": "ppc64le",
            "s390x": "s390x", "i386": "32", "i686": "32"}.get(machine, "64")
    if sys.platform.startswith("linux"):
        return f"linux-{arch}"
    if sys.platform == "darwin":
        return "osx-arm64" if arch in ("arm64", "aarch64") else "osx-64"
    if sys.platform.startswith("win"):
        return "win-arm64" if arch in ("arm64", "aarch64") else "win-64"
    return "unknown"
