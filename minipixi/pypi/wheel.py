"""Installing a wheel into a prefix, and removing it again, as pip and uv do.

A **wheel** (PEP 427, the "binary distribution format") is a zip file named
``{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl``. Installing one is mostly
unzipping it into ``site-packages``, with four rules on top:

1. **The ``.dist-info`` folder** (``{name}-{version}.dist-info/``) describes the wheel:
   ``METADATA`` (name, version, dependencies), ``WHEEL`` (``Wheel-Version: 1.0`` and
   ``Root-Is-Purelib``), ``entry_points.txt``, and ``RECORD``: a CSV line per file of the
   wheel, ``path,sha256=<urlsafe base64 digest, no padding>,size``. We check every member
   against its RECORD line *before writing anything*: a member whose digest or size differs,
   or that RECORD does not list, is an error naming the wheel and the member.
2. **The ``.data`` folder** (``{name}-{version}.data/<scheme>/...``) holds files for other
   places of the prefix: ``scripts`` (the prefix's ``bin``), ``data`` (the prefix itself),
   ``headers`` (``include/pythonX.Y/<name>``), ``purelib`` and ``platlib`` (both
   ``site-packages`` in a conda prefix). A script whose first line is ``#!python`` gets the
   prefix's interpreter in its place.
3. **Entry points**: each ``name = module:function`` under ``[console_scripts]`` (or
   ``[gui_scripts]``) of ``entry_points.txt`` becomes a small launcher in ``bin``: a Python
   script with the prefix's interpreter on its ``#!`` line that imports the function and exits
   with what it returns. On Windows the launcher is ``Scripts/<name>.cmd`` (pip and uv write a
   small ``.exe`` there; a ``.cmd`` file needs no compiler and can be read, as minipixi's global
   launchers in `app/global_tools.py`), built by the same pure text function, testable anywhere.
4. **Our own records**: ``INSTALLER`` (``minipixi``: which tool owns the files) and a rewritten
   ``RECORD`` listing every file we wrote, launchers included, relative to ``site-packages``
   (so a launcher is ``../../../bin/tool``), with fresh digests. Uninstalling reads that RECORD
   and removes exactly those files (and the ``__pycache__`` entries Python made for them), then
   the folders that became empty (but not the prefix's layout: ``bin``, ``share``,
   ``site-packages`` stay); a RECORD path outside the prefix is refused, never followed.

**Safety.** Every member name and RECORD path passes ``files.check_relative`` and
``files.inside`` before it becomes a path; a symlink member, a ``.data`` scheme we do not know,
or a member over the size bounds (`install/package.py`'s ``MINIPIXI_MAX_UNPACKED_SIZE`` and
``MINIPIXI_MAX_UNPACKED_RATIO``) is refused. Every file is written through a temp file and a
rename; a file that already exists (another package's) is refused rather than overwritten. If
writing fails half-way, the files written so far are removed, so the prefix is as it was.

``minipixi install`` calls `install_wheel` and `uninstall` for the lock's PyPI entries, after
the conda packages (`app/pypi_sync.py`). Read after `pypi/index.py` and `install/`.
"""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import os
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from minipixi.errors import InstallError
from minipixi.files import (check_component, check_inside, check_relative, inside,
                            new_file_mode, write_atomic)

INSTALLER = "minipixi"
SCHEMES = ("purelib", "platlib", "scripts", "data", "headers")
_ENTRY_POINT = re.compile(r"^(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+))?\s*(\[[^\]]*\])?$")
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")  # RECORD cannot list these (nor itself)


class WheelError(InstallError):
    """A wheel that cannot be installed as it is: unsafe, corrupt, or in conflict."""


# ---- where things go -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """Where each kind of file goes, as paths relative to the prefix (``/``-separated)."""

    purelib: str
    platlib: str
    scripts: str
    data: str
    headers: str  # the folder that holds one folder per distribution
    system: str = "posix"

    @classmethod
    def for_prefix(cls, python_version: str, system: str | None = None) -> "Scheme":
        """A conda prefix's layout for Python ``X.Y``: ``lib/pythonX.Y/site-packages`` and
        ``bin`` on POSIX, ``Lib/site-packages`` and ``Scripts`` on Windows."""
        if (system or os.name) == "nt":
            return cls("Lib/site-packages", "Lib/site-packages", "Scripts", ".", "Include", "nt")
        major_minor = ".".join(python_version.split(".")[:2])
        site = f"lib/python{major_minor}/site-packages"
        return cls(site, site, "bin", ".", f"include/python{major_minor}", "posix")

    def python(self, prefix: Path, gui: bool = False) -> str:
        """The prefix's interpreter, as a launcher names it."""
        if self.system == "nt":
            return str(prefix / ("pythonw.exe" if gui else "python.exe"))
        return str(prefix / "bin" / "python")


@dataclass(frozen=True)
class InstalledWheel:
    """What `install_wheel` did: the distribution, and every file it wrote (prefix-relative)."""

    name: str
    version: str
    dist_info: str
    files: tuple[str, ...]


# ---- RECORD --------------------------------------------------------------------------------


def record_digest(data: bytes) -> str:
    """``sha256=<urlsafe base64, no padding>``: how RECORD writes a digest."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
        b"=").decode()


def _parse_record(text: str, where: str) -> dict[str, tuple[str, str]]:
    """RECORD -> {path: (hash, size)}; every path checked as a relative name."""
    entries = {}
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) != 3:
            raise WheelError(f"a RECORD line has {len(row)} fields, not 3: {row!r}", where=where,
                             hint="the wheel is broken; use another build of it")
        path = check_relative(row[0], what="RECORD path", where=where)
        entries[path] = (row[1], row[2])
    return entries


def _check_member(expected: tuple[str, str], data: bytes, member: str,
                  where: str) -> None:
    digest, size = expected
    if not digest:
        raise WheelError(f"RECORD lists '{member}' without a hash", where=where,
                         hint="the wheel is broken; use another build of it")
    algorithm, _, value = digest.partition("=")
    if algorithm not in ("sha256", "sha384", "sha512", "blake2b"):
        raise WheelError(f"RECORD hashes '{member}' with '{algorithm}', which is not a secure "
                         "hash", where=where, hint="use another build of this wheel")
    actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    if actual != value or (size and size != str(len(data))):
        raise WheelError(f"'{member}' does not match its RECORD line (RECORD says {digest}, "
                         f"{size or '?'} bytes; the file has {algorithm}={actual}, {len(data)} "
                         "bytes)", where=where,
                         hint="the wheel was changed after it was built; download it again "
                         "from a source you trust")


# ---- reading and checking the whole wheel --------------------------------------------------


@dataclass
class _Plan:
    name: str
    version: str
    dist_info: str
    writes: list[tuple[str, bytes, bool]]  # (prefix-relative path, bytes, executable)


def _dist_info_name(archive: zipfile.ZipFile, name: str, where: str) -> str:
    tops = {info.filename.split("/", 1)[0] for info in archive.infolist()}
    found = [top for top in tops if top.endswith(".dist-info")
             and canonicalize_name(top[:-len(".dist-info")].rsplit("-", 1)[0]) == name]
    if len(found) != 1:
        raise WheelError(f"the wheel has {len(found)} .dist-info folders for '{name}', not one",
                         where=where, hint="the wheel is broken; use another build of it")
    return found[0]


def _limits(wheel: Path):
    from minipixi.install.package import ExtractLimits  # lazy: install/ loads the extractor

    return ExtractLimits().for_archive(wheel.stat().st_size)


def _read_members(archive: zipfile.ZipFile, wheel: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file member, read within the size bounds: {name: (bytes, executable)}."""
    limit, how = _limits(wheel)
    where = str(wheel)
    total, members = 0, {}
    for info in archive.infolist():
        name = info.filename
        if name.endswith("/"):
            continue  # folders are made as needed
        check_relative(name, what="wheel member", where=where)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise WheelError(f"'{name}' is a symbolic link; wheels hold plain files only",
                             where=where, hint="use another build of this wheel")
        if name in members:
            raise WheelError(f"'{name}' appears twice in the wheel", where=where,
                             hint="the wheel is broken; use another build of it")
        total += info.file_size
        if total > limit:
            raise WheelError(f"the wheel unpacks to more than {limit} bytes ({how})",
                             where=where, hint="if the wheel is really that large, raise the "
                             "limit; otherwise it is a zip bomb")
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise WheelError(f"'{name}' is not the size its header says", where=where,
                             hint="the wheel is broken; use another build of it")
        members[name] = (data, bool(mode & 0o111))
    return members


def _plan(wheel: Path, prefix: Path, scheme: Scheme) -> _Plan:
    """Everything the install will write, with every check done: nothing is written yet."""
    where = str(wheel)
    try:
        name, version, _, _ = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename as err:
        raise WheelError(f"'{wheel.name}' is not a wheel file name ({err})", where=where,
                         hint="a wheel is named name-version-python-abi-platform.whl") from None
    try:
        with zipfile.ZipFile(wheel) as archive:
            dist_info = _dist_info_name(archive, name, where)
            members = _read_members(archive, wheel)
    except zipfile.BadZipFile as err:
        raise WheelError(f"'{wheel.name}' is not a zip file ({err})", where=where,
                         hint="download the wheel again") from None
    data_dir = dist_info[:-len(".dist-info")] + ".data"
    wheel_info = members.get(f"{dist_info}/WHEEL", (b"", False))[0].decode("utf-8", "replace")
    fields = dict(line.split(":", 1) for line in wheel_info.splitlines() if ":" in line)
    wheel_version = fields.get("Wheel-Version", "").strip()
    if wheel_version.split(".")[0] != "1":
        raise WheelError(f"the wheel's format is version {wheel_version or '(none)'}; minipixi "
                         "installs 1.x", where=f"{where} ({dist_info}/WHEEL)",
                         hint="use a wheel built by a current build tool")
    root = "purelib" if fields.get("Root-Is-Purelib", "").strip().lower() == "true" \
        else "platlib"
    record_name = f"{dist_info}/RECORD"
    if record_name not in members:
        raise WheelError("the wheel has no RECORD", where=where, hint="use another build of it")
    record = _parse_record(members[record_name][0].decode("utf-8"), f"{where} ({record_name})")
    writes = []
    for member, (data, executable) in members.items():
        if member in (record_name, *(f"{dist_info}/{s}" for s in _SIGNATURES)):
            continue
        if member not in record:
            raise WheelError(f"'{member}' is not listed in RECORD", where=where,
                             hint="the wheel was changed after it was built")
        _check_member(record[member], data, member, where)
        target, executable = _destination(member, data_dir, root, scheme, name, executable,
                                          where)
        if target.startswith(f"{scheme.scripts}/") and data.startswith(b"#!python"):
            data = _rewrite_shebang(data, scheme, prefix)
        writes.append((target, data, executable))
    missing = sorted(set(record) - set(members) - {record_name})
    if missing:
        raise WheelError(f"RECORD lists '{missing[0]}', which the wheel does not hold",
                         where=where, hint="the wheel is broken; use another build of it")
    writes += _launchers(members.get(f"{dist_info}/entry_points.txt", (b"", False))[0],
                         scheme, prefix, f"{where} ({dist_info}/entry_points.txt)")
    site = scheme.purelib if root == "purelib" else scheme.platlib
    writes.append((_join(site, f"{dist_info}/INSTALLER"), f"{INSTALLER}\n".encode(), False))
    return _Plan(name, str(version), _join(site, dist_info), writes)


def _destination(member: str, data_dir: str, root: str, scheme: Scheme, name: str,
                 executable: bool, where: str) -> tuple[str, bool]:
    """The prefix-relative path of a member, and whether it is executable."""
    if not member.startswith(data_dir + "/"):
        return _join(getattr(scheme, root), member), executable
    parts = member.split("/", 2)
    if len(parts) < 3 or parts[1] not in SCHEMES:
        raise WheelError(f"'{member}' is in an unknown .data folder '{parts[1]}'", where=where,
                         hint=f"a wheel's .data folder holds only {', '.join(SCHEMES)}")
    key, rest = parts[1], parts[2]
    if key == "headers":
        return _join(scheme.headers, f"{name}/{rest}"), executable
    return _join(getattr(scheme, key), rest), executable or key == "scripts"


def _join(base: str, rest: str) -> str:
    """A scheme folder and a path below it; the folder ``.`` is the prefix itself."""
    return rest if base == "." else f"{base}/{rest}"


def _rewrite_shebang(data: bytes, scheme: Scheme, prefix: Path) -> bytes:
    """``#!python`` (or ``#!pythonw``) -> the prefix's interpreter."""
    first, _, rest = data.partition(b"\n")
    gui = first.rstrip().endswith(b"pythonw")
    return f"#!{scheme.python(prefix, gui)}".encode() + b"\n" + rest


# ---- entry points --------------------------------------------------------------------------


def launcher_text(module: str, attribute: str, python: str, system: str = "posix") -> str:
    """The launcher that runs ``module:attribute`` with `python` and exits with its result.

    POSIX: a Python script with `python` on its ``#!`` line. Windows (``system="nt"``): a
    ``.cmd`` batch file that runs `python` with the same code (``-c``) and passes its arguments
    on (``%*``), keeping the exit code. `module` and `attribute` are dotted names (checked by
    the caller), so they cannot break out of the code they are pasted into.
    """
    first = attribute.split(".", 1)[0]
    code = f"import sys; from {module} import {first}; sys.exit({attribute}())"
    if system == "nt":
        if '"' in python or "%" in python:
            raise WheelError(f"cannot write a Windows launcher for {python}: its path holds '\"' "
                             "or '%'", hint="install into a prefix whose path has neither")
        return f'@echo off\r\n"{python}" -c "{code}" %*\r\nexit /b %ERRORLEVEL%\r\n'
    return (f"#!{python}\n"
            f"# launcher written by minipixi for {module}:{attribute}\n"
            "import sys\n"
            f"from {module} import {first}\n"
            'if __name__ == "__main__":\n'
            f"    sys.exit({attribute}())\n")


def _launchers(text: bytes, scheme: Scheme, prefix: Path, where: str) -> list:
    """One launcher per console or GUI script of ``entry_points.txt``."""
    if not text:
        return []
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keep the case of script names
    try:
        parser.read_string(text.decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError) as err:
        raise WheelError(f"entry_points.txt cannot be read ({err})", where=where,
                         hint="the wheel is broken; use another build of it") from None
    writes = []
    for section, gui in (("console_scripts", False), ("gui_scripts", True)):
        if not parser.has_section(section):
            continue
        for script, value in parser.items(section):
            check_component(script, what="entry point name", where=where)
            match = _ENTRY_POINT.match(value.strip())
            if not match or not match.group("attr"):
                raise WheelError(f"entry point '{script} = {value}' is not 'module:function'",
                                 where=where, hint="the wheel is broken")
            text_ = launcher_text(match.group("module"), match.group("attr"),
                                  scheme.python(prefix, gui), scheme.system)
            suffix = ".cmd" if scheme.system == "nt" else ""
            writes.append((_join(scheme.scripts, script + suffix), text_.encode(), True))
    return writes


# ---- installing ----------------------------------------------------------------------------


def _write_file(path: Path, data: bytes, executable: bool) -> None:
    """A new file, atomically (temp file, rename); an existing one is refused, not replaced."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, new_file_mode(executable))
        os.link(tmp, path)  # fails if `path` exists, where os.replace would clobber it
    finally:
        os.unlink(tmp)


def install_wheel(wheel: Path, prefix: Path, scheme: Scheme) -> InstalledWheel:
    """Install `wheel` into `prefix` laid out as `scheme`; see the module docstring.

    All checks (names, sizes, RECORD digests, conflicts) happen before the first write. If a
    write fails, the files and folders made so far are removed again. Raises WheelError.
    """
    wheel, prefix = Path(wheel), Path(prefix)
    plan = _plan(wheel, prefix, scheme)
    targets = []
    for rel, _, _ in plan.writes:
        target = inside(prefix, rel, what="installed file", where=str(wheel))
        if os.path.lexists(target):
            raise WheelError(f"installing '{wheel.name}' would overwrite {rel}, which is "
                             "already in the prefix", where=str(target),
                             hint="another package owns that file; remove it first (a PyPI "
                             "package that a conda package already provides?)")
        targets.append(target)
    written: list[Path] = []
    made: list[Path] = []
    try:
        for target, (rel, data, executable) in zip(targets, plan.writes):
            folder = prefix
            for part in PurePosixPath(rel).parent.parts:
                folder = folder / part
                if not folder.exists():
                    check_inside(prefix, folder, what="folder", where=str(wheel))
                    folder.mkdir()
                    made.append(folder)
            _write_file(target, data, executable)
            written.append(target)
        files = [rel for rel, _, _ in plan.writes]
        record_rel = f"{plan.dist_info}/RECORD"
        site = plan.dist_info.rsplit("/", 1)[0] if "/" in plan.dist_info else "."
        rows = [[os.path.relpath(rel, site).replace(os.sep, "/"), record_digest(data),
                 str(len(data))] for rel, data, _ in plan.writes]
        rows.append([os.path.relpath(record_rel, site).replace(os.sep, "/"), "", ""])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        record_path = inside(prefix, record_rel, what="RECORD", where=str(wheel))
        write_atomic(record_path, buffer.getvalue())
        written.append(record_path)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    return InstalledWheel(plan.name, plan.version, plan.dist_info, (*files, record_rel))


# ---- uninstalling --------------------------------------------------------------------------


def find_installed(prefix: Path, scheme: Scheme, name: str) -> str | None:
    """The prefix-relative ``.dist-info`` folder of distribution `name`, or None."""
    wanted = canonicalize_name(name)
    for site in dict.fromkeys((scheme.purelib, scheme.platlib)):
        folder = Path(prefix) / site
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            stem = entry.name[:-len(".dist-info")] if entry.name.endswith(".dist-info") else None
            if stem and canonicalize_name(stem.rsplit("-", 1)[0]) == wanted:
                return _join(site, entry.name)
    return None


def uninstall(prefix: Path, scheme: Scheme, name: str) -> list[str]:
    """Remove distribution `name` by its RECORD: the files it lists (each inside the prefix),
    their ``__pycache__`` entries, then folders left empty. Returns the removed files."""
    prefix = Path(prefix)
    dist_info = find_installed(prefix, scheme, name)
    if dist_info is None:
        raise WheelError(f"'{name}' is not installed in {prefix}", where=str(prefix),
                         hint="nothing to remove")
    record_path = inside(prefix, f"{dist_info}/RECORD", what="RECORD")
    where = str(record_path)
    site = dist_info.rsplit("/", 1)[0] if "/" in dist_info else "."
    paths = []
    for row in csv.reader(io.StringIO(record_path.read_text(encoding="utf-8"))):
        if not row or not row[0]:
            continue
        # RECORD paths are relative to site-packages (a launcher is ../../../bin/x): resolve
        # them lexically against it, and the result must be a plain path inside the prefix.
        rel = os.path.normpath(os.path.join(site, row[0].replace("\\", "/"))).replace(os.sep,
                                                                                    "/")
        check_relative(rel, what="RECORD path", where=where)
        paths.append(inside(prefix, rel, what="RECORD path", where=where))
    removed, folders = [], set()
    for path in paths:
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path.relative_to(prefix).as_posix())
            folders.add(path.parent)
        if path.suffix == ".py":
            cache = path.parent / "__pycache__"
            if cache.is_dir() and not cache.is_symlink():
                for compiled in cache.glob(f"{path.stem}.*.pyc"):
                    compiled.unlink()
                folders.add(cache)
    # Folders left empty go, except the prefix's own layout: the scheme folders, the folders
    # above them, and the prefix's top-level folders (``bin``, ``share``), which a conda
    # environment has whether or not a wheel put something there.
    keep = {prefix / getattr(scheme, key) for key in SCHEMES} | {prefix / scheme.headers}
    keep |= {parent for folder in keep for parent in folder.parents}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder.parent != prefix and prefix in folder.parents and folder not in keep:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent
    return removed

