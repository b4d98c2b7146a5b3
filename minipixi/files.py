"""Files: the one atomic writer, and the one rule that keeps outside names inside their folder.

A package manager turns names written by strangers into paths: a package's `paths.json` names
the files it installs, repodata names the archive to download, a lock names the package folder
in the cache, a global manifest names the launchers it exposes. Any of them can say
``../../home/you/.bashrc``. This module holds the two rules every such place follows.

**Containment.** A name that came from outside becomes a path only through `inside(root, name)`:

1. the name is checked as text first (`check_relative` or, for one folder or file name,
   `check_component`): not empty, not absolute, no drive letter (``C:``), no NUL, no ``..`` part,
   and, for a component, no separator at all;
2. the joined path is then checked against the real folder: every parent that already exists is
   resolved (symlinks followed) and must still lie inside ``root``. So a symlink that a hostile
   package planted earlier (``lib -> /etc``) cannot carry a later file out.

Both checks happen *before* anything is written or removed. A refusal is an `UnsafePathError`
that names the file the name came from, the field, and the value.

A URL from outside is checked where it enters too (`url_problem`): one that Python's URL
parser cannot read would otherwise fail deep inside a download, far from the file that holds it.

**Removal** (`remove_inside`) never follows a symlink out of its root: a symlinked folder is
removed as a link, and the target stays as it was.

**Atomic writes** (`write_atomic`): a temp file in the same folder, flushed to disk, then renamed
over the old name, so a reader (or a crash) sees the old file or the new one, never half. The new
file gets the old file's mode, or for a new file the mode that ``open()`` would give under the
current umask (``0644`` under umask ``022``), never the temp file's private ``0600``. A whole
folder is replaced the same way: built in a staging folder beside it (`staged_folder`), then
swapped in with two renames (`replace_dir`).

Read after `errors.py`; read next `filelock.py`. Every module that writes a file or builds a path from outside data uses it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from minipixi.errors import MinipixiError

#: Flush new files to disk before the rename. Tests that write thousands of files turn it off.
FSYNC = True

#: The longest file or folder name most file systems take (ext4, APFS, NTFS: 255 bytes or units).
MAX_NAME_BYTES = 255


class UnsafePathError(MinipixiError):
    """A name from outside would point outside its folder (or is not a name at all)."""


# ---- checking names as text ---------------------------------------------------------------

def _refuse(value: object, what: str, where: str | None, why: str) -> UnsafePathError:
    return UnsafePathError(
        f"unsafe {what} {value!r}: {why}",
        where=where,
        hint="a name from a package, channel, lock or manifest must stay inside its folder; "
        "fix or remove that entry",
    )


def _has_drive(text: str) -> bool:
    return len(text) >= 2 and text[1] == ":" and text[0].isalpha()


# --8<-- [start:check-component]
def check_relative(value: object, *, what: str, where: str | None = None) -> str:
    """Return `value` if it is a relative path that stays below the folder it is joined to.

    ``lib/python3.12/site.py`` passes; ``/etc/passwd``, ``../x``, ``a/../../x``, ``C:x``,
    ``a\\..\\x`` and a name with NUL are refused. ``.`` parts are allowed (``./bin/tool``).
    """
    if not isinstance(value, str) or not value:
        raise _refuse(value, what, where, "expected a non-empty relative path")
    if "\x00" in value:
        raise _refuse(value, what, where, "it contains a NUL character")
    if value.startswith(("/", "\\")) or _has_drive(value):
        raise _refuse(value, what, where, "it is an absolute path")
    parts = value.replace("\\", "/").split("/")
    if ".." in parts:
        raise _refuse(value, what, where, "it climbs out of its folder with '..'")
    if len(value) > MAX_NAME_BYTES // 4 and any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in parts):
        raise _refuse(value[:80] + "...", what, where, f"a part is longer than a file name can be ({MAX_NAME_BYTES} bytes)")
    return value


def check_component(value: object, *, what: str, where: str | None = None) -> str:
    """Return `value` if it can be one file or folder name: no separator, not ``.`` or ``..``."""
    check_relative(value, what=what, where=where)
    assert isinstance(value, str)
    if "/" in value or "\\" in value:
        raise _refuse(value, what, where, "it contains a path separator")
    if value in (".", ".."):
        raise _refuse(value, what, where, "it is not a name")
    return value
# --8<-- [end:check-component]


def url_problem(url: str) -> str | None:
    """Why Python's URL parser cannot read `url` (an unclosed ``[`` of an IPv6 host, a port that
    is not a number or is out of range), or None when it can. A URL from outside (a manifest, a
    config, a lock, an index) is asked this where it enters, so that the error can name the file
    it came from instead of failing deep inside a download.

    >>> url_problem("https://prefix.dev/conda-forge"), url_problem("http://[::1/chan")
    (None, 'Invalid IPv6 URL')
    """
    try:
        urlsplit(url).port  # reading the port reads the host too
    except ValueError as err:
        return str(err)
    return None


# ---- checking paths against the real folder -----------------------------------------------

def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


# --8<-- [start:inside]
def inside(root: str | os.PathLike, name: str, *, what: str, where: str | None = None) -> Path:
    """``root / name``, after proving that it lies inside `root` on disk as well as in text.

    `name` is checked with `check_relative`; then every existing parent of the result is
    resolved (following symlinks) and must stay inside the resolved root. The last part itself
    is not followed: it is the thing about to be written or removed, and a symlink there is
    replaced or unlinked, never written through.
    """
    check_relative(name, what=what, where=where)
    root_path = Path(root)
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts:
        raise _refuse(name, what, where, "it names the folder itself, not something inside it")
    target = root_path.joinpath(*parts)
    real_root = root_path.resolve()
    parent = target.parent.resolve()
    if not _is_within(parent, real_root):
        raise _refuse(name, what, where, f"a symlink inside carries it out of {root_path}")
    return target
# --8<-- [end:inside]


def check_inside(root: str | os.PathLike, path: str | os.PathLike, *, what: str,
                 where: str | None = None) -> Path:
    """Return `path` if it lies inside `root` once its parent folders are resolved."""
    root_real = Path(root).resolve()
    path = Path(path)
    real = path.parent.resolve() / path.name
    if path.name in ("", ".", "..") or not _is_within(real, root_real) or real == root_real:
        raise _refuse(str(path), what, where, f"it is not inside {root}")
    return path


# ---- removing ------------------------------------------------------------------------------

def remove_inside(root: str | os.PathLike, path: str | os.PathLike, *, what: str,
                  where: str | None = None) -> bool:
    """Remove `path` (a file, a link or a folder) if it lies inside `root`. True if removed.

    A symlink is unlinked, never followed: a symlinked ``.pixi/envs`` loses its link and its
    target keeps every file. `root` itself cannot be removed this way.
    """
    path = check_inside(root, path, what=what, where=where)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        # rmtree refuses to start at a symlink and never follows links below the top.
        shutil.rmtree(path)
    else:
        os.unlink(path)
    return True


# ---- writing -------------------------------------------------------------------------------

def _umask() -> int:
    """The process umask (read by setting it and putting it back at once)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode(executable: bool = False) -> int:
    """The mode `open()` would give a new file here: 0666 (0777 for scripts) less the umask."""
    return (0o777 if executable else 0o666) & ~_umask()


# --8<-- [start:write-atomic]
def write_atomic(path: str | os.PathLike, data: bytes | str, *, mode: int | None = None,
                 executable: bool = False, fsync: bool | None = None) -> Path:
    """Replace `path` with `data` in one step; return the path.

    `str` data is written as UTF-8 exactly as given (no newline translation, so a CRLF file
    stays CRLF). The mode is `mode` if given, else the old file's, else `new_file_mode()`.
    `fsync` (default: the module's `FSYNC`) flushes the bytes to disk before the rename; an
    installer writing hundreds of small records may skip it, since it can redo them.
    On any failure (a full disk, Ctrl-C) the temp file is removed and the old file is untouched;
    an OSError names `path`, so "File too large" says which file.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = new_file_mode(executable)
    # The temp file is named before it exists, so a Ctrl-C at any moment after it is created,
    # even before `os.open` has returned its descriptor, finds it in the cleanup below.
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    try:
        try:
            fd = os.open(tmp, _NEW_FILE_FLAGS, 0o600)
        except OSError as err:  # name the file being written, not its temp file
            raise OSError(err.errno, err.strerror, str(path)) from err
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if FSYNC if fsync is None else fsync:
                os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except FileExistsError:  # only os.open says this: a file of that name is not ours to remove
        raise
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if err.filename:
            raise
        raise OSError(err.errno, err.strerror, str(path)) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


#: A new file, never an existing one, never through a symlink; binary and not inherited by
#: child processes on Windows (as ``tempfile.mkstemp`` opens its files).
_NEW_FILE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                   | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0))
# --8<-- [end:write-atomic]


def replace_dir(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest`; an old `dest` is moved aside first, then deleted."""
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
        os.rename(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, dest)


@contextmanager
def staged_folder(dest: Path, *, prefix: str) -> Iterator[Path]:
    """Build a folder beside `dest`, and put it in `dest`'s place only if the build finishes.

    ``with staged_folder(out) as staging:`` hands over an empty folder next to `out` (so the final
    rename never crosses a file system); when the block ends normally the old `out` is replaced
    (`replace_dir`); when it raises, `out` is left as it was and the staging folder is removed.
    """
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
    try:
        yield staging
        replace_dir(staging, dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
