"""``[pypi-options] find-links``: a folder of wheels searched next to the indexes.

pip's ``--find-links`` (and uv's, and so Pixi's ``find-links = [{ path = "./links" }]``) names
a *flat* source: not one page per project, as an index has (`pypi/index.py`), but one folder
holding files of any project. A project's files there are those whose file name says so
(``requests-2.31.0-py3-none-any.whl`` is ``requests`` 2.31.0), and they are candidates next to
the files the project's index lists.

A folder is named relative to the workspace and must stay inside it (`files.py`'s
`check_relative` and `inside`); each wheel in it is hashed once, so the lock records its
sha256 and the install step checks it. A wheel from a folder is locked as Pixi writes it, by
its path (``pypi: ./links/requests-2.31.0-py3-none-any.whl``), and installed from there.
A ``url`` find-links (an HTML page listing files) is not read by minipixi: the caller
refuses it naming the setting.

Read after `pypi/index.py`; read next `pypi/provider.py`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from minipixi.files import UnsafePathError, check_relative, inside
from minipixi.pypi.index import DistFile, IndexError_

MAX_FILES = 10_000  # a find-links folder is a handful of wheels, not a mirror


def folder_wheels(root: Path, written: str) -> dict[str, list[DistFile]]:
    """Normalized project name -> the wheels of the find-links folder `written` (relative to
    the workspace folder `root`), each with its sha256. Raises IndexError_ naming the folder
    when it leaves the workspace or is not a folder."""
    where = f"{root} ([pypi-options] find-links path {written})"
    root = root.resolve()
    try:
        folder = inside(root, check_relative(written, what="find-links path", where=where),
                        what="find-links path", where=where)
    except UnsafePathError as err:
        raise IndexError_(f"the find-links folder {written} lies outside the workspace ({err.message})",
                          where=where, hint="keep the wheels in a folder of the workspace") from None
    if not folder.is_dir():
        raise IndexError_(f"the find-links folder {written} does not exist", where=where,
                          hint="create it and put the wheels there, or fix the path")
    found: dict[str, list[DistFile]] = {}
    names = sorted(p.name for p in folder.iterdir())
    if len(names) > MAX_FILES:
        raise IndexError_(f"the find-links folder {written} holds more than {MAX_FILES} files", where=where,
                          hint="serve that many files from an index instead")
    for name in names:
        path = folder / name
        if not name.endswith(".whl") or path.is_symlink() or not path.is_file():
            continue  # an sdist would need building; a link could point out of the workspace
        try:
            project = parse_wheel_filename(name)[0]
        except InvalidWheelFilename:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(2**20):
                digest.update(chunk)
        found.setdefault(project, []).append(
            DistFile(name, path.as_uri(), {"sha256": digest.hexdigest()}, root=root.as_uri()))
    return found
