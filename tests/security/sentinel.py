"""A sentinel tree: files outside the workspace that no command may touch.

Every escape test builds one beside the workspace, runs the hostile command, and then proves the
tree is byte for byte, mode for mode, link for link what it was (`Sentinel.assert_unchanged`).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry below `root` (and root itself): kind, mode, and content hash or link target."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [".", *dirnames, *filenames]:
            path = Path(dirpath) / name if name != "." else Path(dirpath)
            rel = str(path.relative_to(root))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[rel] = ("file", stat.S_IMODE(info.st_mode), digest)
    return found


class Sentinel:
    """A small tree of files and folders, with a snapshot taken when it was made."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "x").mkdir(parents=True, exist_ok=True)
        (root / "x" / "keep.txt").write_text("do not touch\n")
        (root / "victim").mkdir(exist_ok=True)
        (root / "victim" / "data.txt").write_text("precious\n")
        (root / "file.txt").write_text("outside\n")
        self.before = snapshot(root)

    def assert_unchanged(self) -> None:
        after = snapshot(self.root)
        added = sorted(set(after) - set(self.before))
        removed = sorted(set(self.before) - set(after))
        changed = sorted(k for k in after if k in self.before and after[k] != self.before[k])
        assert not (added or removed or changed), (
            f"outside tree changed: added={added} removed={removed} changed={changed}")
