"""Linking: putting one package's files into the prefix, and taking them out again.

Stage 3 of an install (`install/install.py` decides which packages, and in which processes).
Linking a file is a hard link from the package cache (a copy when the cache is on another disk),
except for files that hold the build prefix: those are copied with the placeholder replaced by
this prefix, in text mode (any length) or binary mode (same length, padded with NULs, since
compiled code has fixed offsets). `noarch: python` packages are moved into the environment's
site-packages (`target_path`) and get launcher scripts for their entry points. The package's
conda-meta record is written last (`install/prefix_records.py`).

**Nothing outside the prefix.** Every name that becomes a path here was written by strangers:
a package's `paths.json` paths and entry point names are checked when they are read
(`install/package_info.py`); a target that `noarch: python` moved is checked again; a symlink a
package installs must point inside the prefix, by its text and, once made, on disk (a chain of
links can escape where each alone looks harmless); a folder a file goes into is resolved on disk
unless we made its parent ourselves (`_make_parent`), so a link planted above it cannot carry the
file out; and files are removed (`unlink_package`) only after the same checks. A refusal names
the file, the field and the value.

**Symlinks last.** When packages are linked in parallel processes (`install/install.py`), no
process makes a symlink: each leaves its package's links in a list (`Symlink`), and after every
file and folder is in place they are made in this process, in order, each checked on disk. So no
file is ever written through a link that another process is making at that moment. Then every new
link is checked once more (`check_symlinks`): a chain whose links came in the wrong order
(`b -> a/../x` before `a -> .`) only leads out once both exist.

When two packages ship the same path, the one linked last wins, and removing one keeps the path
while another still owns it (`keep`).

Lesson: Episode 4, "The record an installer leaves" (and its "Under the hood" box). Read after
`install/transaction.py`; read next `install/install.py`. Ground truth: rattler `install/`
(`link.rs`, `entry_point.rs`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from minipixi.errors import InstallError
from minipixi.files import UnsafePathError, check_inside, check_relative, inside
from minipixi.install.package_info import PathEntry, parse_entry_point, read_noarch, read_paths
from minipixi.install.prefix_records import PrefixRecord, meta_path, write_prefix_record
from minipixi.install.transaction import PythonInfo
from minipixi.records import PackageRecord


def target_path(path: str, noarch: str | None, python: PythonInfo | None) -> str:
    """Where a package path goes in the prefix: only `noarch: python` packages move files."""
    if noarch != "python":
        return path
    if path.startswith("site-packages/"):
        return python.site_packages + path[len("site-packages"):]
    if path.startswith("python-scripts/"):
        return "bin" + path[len("python-scripts"):]
    return path


# --8<-- [start:placeholders]
def replace_text_prefix(data: bytes, placeholder: bytes, prefix: bytes) -> bytes:
    """Text mode: every occurrence is replaced; the file may change length."""
    return data.replace(placeholder, prefix)


def replace_binary_prefix(data: bytes, placeholder: bytes, prefix: bytes) -> bytes:
    """Binary mode: the file keeps its length, as compiled code has fixed offsets.

    The placeholder sits inside a NUL-terminated C string. The whole string (up to its NUL)
    is rewritten with the placeholder replaced, then padded back to its old length with NULs.
    So the new prefix must not be longer than the placeholder (which is why conda-build uses
    a 255-character one).
    """
    out, pos = bytearray(), 0
    while (start := data.find(placeholder, pos)) != -1:
        end = data.find(b"\0", start)
        end = len(data) if end == -1 else end
        segment = data[start:end].replace(placeholder, prefix)
        if len(segment) > end - start:
            raise InstallError(
                f"the prefix is {len(prefix) - len(placeholder)} bytes longer than the placeholder",
                hint="use a shorter path for the environment")
        out += data[pos:start] + segment + b"\0" * (end - start - len(segment))
        pos = end
    return bytes(out + data[pos:])
# --8<-- [end:placeholders]


MAX_SHEBANG = 127  # Linux truncates longer `#!` lines


def fix_long_shebang(data: bytes) -> bytes:
    """A `#!` line too long for the kernel (or with a space in it) becomes `#!/usr/bin/env`."""
    if not data.startswith(b"#!"):
        return data
    line, sep, rest = data.partition(b"\n")
    interpreter, _, args = line[2:].strip().partition(b" ")
    if len(line) <= MAX_SHEBANG and b" " not in interpreter:
        return data
    program = os.path.basename(interpreter)
    new = b"#!/usr/bin/env " + program + (b" " + args if args else b"")
    return new + sep + rest


@dataclass(frozen=True)
class LinkJob:
    """Everything needed to link one package: where it comes from and what it becomes."""

    record: PackageRecord
    package_dir: Path
    entries: tuple[tuple[PathEntry, str], ...]  # (paths.json entry, target path)
    entry_points: tuple[str, ...]
    requested_spec: str | None = None

    @property
    def targets(self) -> list[str]:
        return [target for _, target in self.entries] + [
            f"bin/{parse_entry_point(ep)[0]}" for ep in self.entry_points]


def prepare_link(record: PackageRecord, package_dir: Path, python: PythonInfo | None,
                 requested_spec: str | None = None) -> LinkJob:
    """Read the extracted package and decide the target path of each of its files."""
    noarch = read_noarch(package_dir)
    kind = record.noarch or noarch.kind
    if kind == "python" and python is None:
        raise InstallError(f"{record} is a noarch: python package, but there is no python",
                           hint="add python to the environment's dependencies")
    entries = tuple((e, target_path(e.path, kind, python)) for e in read_paths(package_dir))
    source_root = str(package_dir)
    for entry, target in entries:  # read_paths checked the paths; noarch: python moves some
        if target is not entry.path:
            check_relative(target, what="target path", where=source_root)
        if entry.path_type == "softlink" and os.path.islink(f"{source_root}/{entry.path}"):
            _check_link(target, os.readlink(f"{source_root}/{entry.path}"), source_root)
    points = noarch.entry_points if kind == "python" else ()
    return LinkJob(record, package_dir, entries, points, requested_spec)


@dataclass(frozen=True)
class Symlink:
    """A symlink a package installs: `target` (in the prefix) -> `link` (its text)."""

    target: str
    link: str
    where: str  # the package's folder (errors name its info/paths.json)


# --8<-- [start:link]
def link_package(job: LinkJob, prefix: Path, python: PythonInfo | None, *,
                 defer_symlinks: bool = False) -> list[Symlink]:
    """Put every file of `job` into `prefix`, then write its conda-meta record (last).

    Returns the package's symlinks: made here, or with `defer_symlinks` left for the caller
    to make with `make_symlinks` (see "Symlinks last" above).
    """
    source_root, prefix_root = str(job.package_dir), str(prefix)
    made = {prefix_root}  # folders known to exist, real and inside: saves a stat per file
    symlinks: list[Symlink] = []
    paths_data = [_link_entry(source_root, entry, target, prefix_root, made, symlinks, defer_symlinks)
                  for entry, target in job.entries]
    for point in job.entry_points:
        paths_data.append(_write_entry_point(point, prefix, python))
    installed = PrefixRecord(job.record, tuple(job.targets), tuple(paths_data),
                             str(job.package_dir), job.requested_spec)
    write_prefix_record(prefix, installed)
    return symlinks
# --8<-- [end:link]


def make_symlinks(symlinks: Iterable[Symlink], prefix: Path) -> None:
    """Make links that `link_package` left (one process, in order), each checked on disk."""
    prefix_root = str(prefix)
    made = {prefix_root}
    for symlink in symlinks:
        _make_symlink(symlink, prefix_root, made)


def check_symlinks(symlinks: Iterable[Symlink], prefix: Path) -> None:
    """Once all are made: does each new link still lead inside? A later link on its path (an
    `a -> .` made after `b -> a/../x`) can change where it leads; such a link is removed and
    refused."""
    prefix_root = str(prefix)
    for symlink in symlinks:
        dest = f"{prefix_root}/{symlink.target}"
        if os.path.islink(dest):
            _check_link_on_disk(dest, symlink.target, symlink.link, prefix_root, symlink.where)


def _make_symlink(symlink: Symlink, prefix: str, made: set[str]) -> None:
    dest = f"{prefix}/{symlink.target}"
    _make_parent(dest, made, prefix, f"{symlink.where}/info/paths.json")
    _replacing(dest, lambda: os.symlink(symlink.link, dest), made)
    _check_link_on_disk(dest, symlink.target, symlink.link, prefix, symlink.where)


def _link_entry(source_root: str, entry: PathEntry, target: str, prefix: str,
                made: set[str], symlinks: list[Symlink], defer: bool) -> dict:
    """Link one path; returns its `paths_data` line (with `sha256_in_prefix` when rewritten).

    Paths are plain strings here: this runs once per file, and pathlib's objects cost more
    than the system calls they wrap.
    """
    source, dest = f"{source_root}/{entry.path}", f"{prefix}/{target}"
    if entry.path_type == "softlink" and os.path.islink(source):
        link = os.readlink(source)
        _check_link(target, link, source_root)  # checked in prepare_link too: read it again
        symlinks.append(Symlink(target, link, source_root))
        if not defer:
            _make_symlink(symlinks[-1], prefix, made)
        return _paths_data(entry, target)
    _make_parent(dest, made, prefix, f"{source_root}/info/paths.json")
    if entry.path_type == "directory":
        if os.path.islink(dest) or os.path.isfile(dest):
            _clear(dest, made)
        os.makedirs(dest, exist_ok=True)
    elif entry.prefix_placeholder and not entry.no_link:
        _clear(dest, made)
        new_hash = _copy_with_prefix(source, dest, entry, prefix)
        return _paths_data(entry, target, sha256_in_prefix=new_hash)
    else:  # a regular file (paths.json may say "softlink" for a file: trust the file)
        _replacing(dest, lambda: _hardlink_or_copy(source, dest, copy=entry.no_link), made)
    return _paths_data(entry, target)


def _check_link(target: str, link: str, source_root: str) -> None:
    """A symlink the package installs at `target` must point inside the prefix, by its text:
    `bin/tool -> ../lib/tool` passes, `lib/up -> ../..` and `/etc` are refused."""
    check_relative(os.path.normpath(os.path.join(os.path.dirname(target), link)),
                   what=f"symlink '{target}' -> '{link}', which points at",
                   where=f"{source_root}/info/paths.json")


def _check_link_on_disk(dest: str, target: str, link: str, prefix: str,
                        source_root: str) -> None:
    """... and once made, where it leads on disk, through the links already there (a chain,
    `a -> .` then `b -> a/../x`, escapes though each link looks harmless alone)."""
    real_prefix = os.path.realpath(prefix)
    real = os.path.realpath(dest)
    if real != real_prefix and not real.startswith(real_prefix + os.sep):
        os.unlink(dest)
        check_inside(prefix, real, what=f"symlink '{target}' -> '{link}', which leads to",
                     where=f"{source_root}/info/paths.json")


def _replacing(dest: str, create, made: set[str]) -> None:
    """Run `create`; if something is already at `dest` (a clobber, a repair), remove it and
    try again. Trying first saves a syscall per file on a fresh prefix."""
    try:
        create()
    except FileExistsError:
        _clear(dest, made)
        create()


def _clear(dest: str, made: set[str]) -> None:
    """Remove what is at `dest`; a folder removed is forgotten by `made` with all below it
    (a link may come in its place, and `made` must only hold real folders)."""
    try:
        os.unlink(dest)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        below = dest + "/"
        made.difference_update({f for f in made if f == dest or f.startswith(below)})
        shutil.rmtree(dest)


def _paths_data(entry: PathEntry, target: str, **extra) -> dict:
    data = entry.to_json()
    data["_path"] = target
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def _make_parent(dest: str, made: set[str], root: str, where: str | None = None) -> None:
    """Make the folder `dest` goes into, inside `root` (which `made` must hold).

    An old file or link standing where the folder must be is removed. `made` holds folders
    known to be real and inside: when every folder between the nearest of them and the new one
    is a plain folder (or missing), the new one is inside too; if one of them is a symlink,
    the folder is resolved on disk first (`files.check_inside`), so a link planted above it
    cannot carry the file out of `root`.
    """
    parent = dest.rpartition("/")[0]
    if parent in made:
        return
    if os.path.islink(parent) or os.path.isfile(parent):
        _remove_path(parent)  # a file of an old package stood where a folder must be
    between = []
    folder = parent.rpartition("/")[0]
    while folder not in made:
        if not folder:  # not below root at all (cannot happen for a checked target)
            between.append(root + "/..")
            break
        between.append(folder)
        folder = folder.rpartition("/")[0]
    if any(os.path.islink(f) for f in between):
        check_inside(root, parent, what=f"folder of {dest[len(root) + 1:]!r},", where=where or root)
    os.makedirs(parent, exist_ok=True)
    made.update(f for f in between if f.startswith(root + "/"))
    made.add(parent)


def _remove_path(dest: str | Path) -> None:
    """Make room for a new file: an old file or link there (a clobber, a repair) goes."""
    try:
        os.unlink(dest)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(dest)


def _hardlink_or_copy(source: str, dest: str, *, copy: bool = False) -> None:
    """Hard-link `source` to `dest`, else copy it. Something already at `dest` raises
    FileExistsError (for `_replacing`): a copy must never write through an old symlink."""
    if not copy:
        try:
            os.link(source, dest)
            return
        except FileExistsError:
            raise
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    if os.path.lexists(dest):
        raise FileExistsError(dest)
    shutil.copy2(source, dest)


def _copy_with_prefix(source: str, dest: str, entry: PathEntry, prefix: str) -> str:
    """Write `source` to `dest` with the placeholder replaced; returns the new sha256."""
    with open(source, "rb") as fh:
        data = fh.read()
    placeholder, new = entry.prefix_placeholder.encode(), prefix.encode()
    if entry.file_mode == "binary":
        data = replace_binary_prefix(data, placeholder, new)
    else:
        data = fix_long_shebang(replace_text_prefix(data, placeholder, new))
    with open(dest, "wb") as out:
        out.write(data)
    shutil.copymode(source, dest)
    return hashlib.sha256(data).hexdigest()


ENTRY_POINT_TEMPLATE = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys

from {module} import {import_name}

if __name__ == '__main__':
\tsys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])
\tsys.exit({call}())
"""  # the tabs are rattler's: launchers are byte-for-byte the same as rattler's


def render_entry_point(spec: str, python_path: str) -> tuple[str, str]:
    """`"name = module.sub:func"` to (name, launcher script text); the name must be one file
    name (`package.parse_entry_point`)."""
    name, module, func = parse_entry_point(spec)
    script = ENTRY_POINT_TEMPLATE.format(python=python_path, module=module,
                                         import_name=func.split(".")[0], call=func)
    return name, script


def _write_entry_point(spec: str, prefix: Path, python: PythonInfo) -> dict:
    name, script = render_entry_point(spec, str(prefix / python.interpreter))
    data = fix_long_shebang(script.encode())
    dest = inside(prefix, f"bin/{name}", what="entry point", where=str(prefix / "bin"))
    _make_parent(str(dest), {str(prefix)}, str(prefix))
    _remove_path(dest)
    dest.write_bytes(data)
    os.chmod(dest, 0o775)
    digest = hashlib.sha256(data).hexdigest()
    return {"_path": f"bin/{name}", "path_type": "unix_python_entry_point",
            "sha256": digest, "size_in_bytes": len(data)}


def unlink_package(old: PrefixRecord, prefix: Path, keep: set[str]) -> None:
    """Remove the files of an installed package (except those in `keep`, which another
    package also owns), prune folders left empty, and remove its record last."""
    where = str(meta_path(prefix, old.record))
    checked: set[str] = set()
    for rel in old.files:
        if rel not in keep:
            remove_installed(prefix, rel, checked, where)
    prune_empty_dirs(prefix, old.files)
    meta_path(prefix, old.record).unlink(missing_ok=True)


def remove_installed(prefix: Path, rel: str, checked: set[str], where: str) -> None:
    """Remove the installed file `rel`, once it is proven to be inside `prefix`: as text
    always, on disk once per folder (`checked` remembers the folders already proven)."""
    check_relative(rel, what="installed file", where=where)
    folder = rel.replace("\\", "/").rpartition("/")[0]
    if folder not in checked:
        inside(prefix, rel, what="installed file", where=where)
        checked.add(folder)
    _remove_path(prefix / rel)


def prune_empty_dirs(prefix: Path, files: Iterable[str]) -> None:
    """Remove the folders of `files` that are now empty, deepest first, never `prefix` itself
    nor `conda-meta`, nor a folder that is not inside `prefix` once resolved."""
    folders = {parent for rel in files for parent in Path(rel).parents if str(parent) != "."}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.parts[0] == "conda-meta":
            continue
        with contextlib.suppress(OSError, UnsafePathError):
            inside(prefix, str(folder), what="folder").rmdir()
