"""Property: our tar reader sees what Python's `tarfile` sees, and refuses what is broken.

Hypothesis writes random archives with `tarfile` in its three dialects (ustar, GNU, pax):
files of random sizes (empty, around the 512-byte block, bigger than one read), folders,
symlinks, hard links, names long enough to need a GNU "L" member, a pax "path" record or the
ustar prefix, and non-ASCII names. `minipixi.install.tar.TarReader` must list the same members, with
the same kind, mode, size, link target and bytes, whether the stream arrives whole or in
dribbles. Then single bytes of a header are damaged, and the archive is cut short: the reader
must raise TarFormatError (never return wrong members silently, never crash otherwise).
"""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.install import tar

FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
SEGMENT = st.text(alphabet="abcxyz019_-.é", min_size=1, max_size=12).filter(
    lambda s: s not in (".", ".."))
SIZES = st.sampled_from([0, 1, 511, 512, 513, 1500])  # around the edges of a block


@st.composite
def member_lists(draw, fmt: str):
    """[(kind, name, mode, payload)] where payload is bytes (files) or a link target."""
    members, names = [], set()
    for _ in range(draw(st.integers(1, 8))):
        depth = draw(st.integers(1, 12 if fmt != "ustar" else 4))
        name = "/".join(draw(st.lists(SEGMENT, min_size=depth, max_size=depth)))
        if fmt == "ustar" and len(name.encode()) > 100:
            continue  # plain ustar can split a long name only at a '/', which may not fit
        if name in names:
            continue
        names.add(name)
        kind = draw(st.sampled_from(["file", "file", "dir", "symlink", "hardlink"]))
        mode = draw(st.sampled_from([0o644, 0o755, 0o600, 0o444]))
        if kind == "file":
            size = draw(SIZES)
            payload = bytes([draw(st.integers(0, 255))]) * size
        elif kind == "hardlink":
            files = [m[1] for m in members if m[0] == "file"]
            if not files:
                continue
            payload = draw(st.sampled_from(files))
        elif kind == "symlink":
            payload = draw(st.sampled_from(["target", "../up/there", "a/" * 40 + "long"]))
        else:
            payload = b""
        members.append((kind, name, mode, payload))
    return members


def write_archive(members, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=FORMATS[fmt]) as archive:
        for kind, name, mode, payload in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = 1_600_000_000.5  # a float mtime: pax writes it as a record
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
                         "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
            if kind == "file":
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
            else:
                if kind in ("symlink", "hardlink"):
                    info.linkname = payload
                archive.addfile(info)
    return buffer.getvalue()


class Dribble(io.RawIOBase):
    """A stream that hands out at most `step` bytes per read (like a decompressor may)."""

    def __init__(self, data: bytes, step: int):
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        piece = self._data[self._pos:self._pos + size]
        self._pos += len(piece)
        return piece


def ours(data: bytes, step: int | None = None) -> list[tuple]:
    reader = tar.TarReader(io.BytesIO(data) if step is None else Dribble(data, step))
    seen = []
    for member in reader:
        content = b"".join(reader.chunks(member)) if member.kind == "file" else b""
        seen.append((member.kind, member.name.rstrip("/"), member.mode & 0o7777, member.size,
                     member.linkname, content))
    return seen


def theirs(data: bytes) -> list[tuple]:
    seen = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for info in archive:
            kind = ("file" if info.isreg() else "dir" if info.isdir() else
                    "symlink" if info.issym() else "hardlink" if info.islnk() else "other")
            content = archive.extractfile(info).read() if kind == "file" else b""
            seen.append((kind, info.name, info.mode & 0o7777, info.size if kind == "file" else 0,
                         info.linkname, content))
    return seen


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@given(data=st.data())
def test_reader_lists_what_tarfile_lists(fmt, data):
    archive = write_archive(data.draw(member_lists(fmt)), fmt)
    expected = theirs(archive)
    assert ours(archive) == expected
    assert ours(archive, step=data.draw(st.sampled_from([1, 7, 512, 4096]))) == expected


@given(data=st.data())
def test_unread_content_is_skipped(data):
    """A caller that reads nothing still gets every member, in order."""
    members = data.draw(member_lists("gnu"))
    archive = write_archive(members, "gnu")
    names = [m.name.rstrip("/") for m in tar.TarReader(io.BytesIO(archive))]
    assert names == [entry[1] for entry in theirs(archive)]


@given(data=st.data())
def test_damaged_headers_are_refused(data):
    members = data.draw(member_lists("gnu"))
    archive = bytearray(write_archive(members, "gnu"))
    # (not the checksum field itself: a space for a leading zero leaves its value as it was)
    position = data.draw(st.sampled_from([0, 50, 100, 124, 130, 156, 200, 300]))
    archive[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(tar.TarFormatError):
        ours(bytes(archive))


@given(data=st.data())
def test_truncated_archives_are_refused(data):
    members = data.draw(member_lists("pax").filter(
        lambda ms: any(m[0] == "file" and len(m[3]) > 0 for m in ms)))
    archive = write_archive(members, "pax")
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as parsed:
        last = [info for info in parsed if info.isreg() and info.size][-1]
    cut = data.draw(st.integers(last.offset_data, last.offset_data + last.size - 1))
    with pytest.raises(tar.TarFormatError, match="ends early"):
        ours(archive[:cut])


@pytest.mark.parametrize("step", [None, 100_000])
def test_files_bigger_than_one_read(step):
    big = bytes(range(256)) * (tar.READ_SIZE // 256 * 2 + 3)
    archive = write_archive([("file", "big", 0o644, big), ("file", "small", 0o644, b"x")], "gnu")
    assert ours(archive, step) == theirs(archive)
    reader = tar.TarReader(io.BytesIO(archive))
    member = next(iter(reader))
    sizes = [len(piece) for piece in reader.chunks(member)]
    assert sum(sizes) == len(big) and len(sizes) > 2 and max(sizes) <= tar.READ_SIZE


def test_header_fields_are_parsed_as_posix_says():
    block = bytearray(512)
    block[0:7] = b"lib/foo"
    block[100:108] = b"0000755\0"
    block[124:136] = b"00000000012\0"
    block[156:157] = b"0"
    block[257:263] = b"ustar\0"
    block[345:352] = b"opt/pre"
    block[148:156] = b"        "
    block[148:156] = b"%06o\0 " % sum(block)
    assert tar.parse_header(bytes(block), 0) == (b"0", "opt/pre/lib/foo", "", 0o755, 10)


def test_a_wrong_checksum_is_refused():
    archive = bytearray(write_archive([("file", "a", 0o644, b"1")], "gnu"))
    archive[148:156] = b"0000001\0"
    with pytest.raises(tar.TarFormatError, match="wrong checksum"):
        ours(bytes(archive))


def test_base256_numbers_and_bad_numbers():
    assert tar.parse_number(b"\x80" + (5).to_bytes(11, "big"), 0) == 5
    assert tar.parse_number(b"        ", 0) == 0
    for bad in (b"12x45\0\0\0", b"-17\0\0\0\0\0", b"+17\0\0\0\0\0", b"1_7\0\0\0\0\0", b"18\0\0\0\0\0\0"):
        with pytest.raises(tar.TarFormatError, match="not a number"):
            tar.parse_number(bad, 0)


def test_oversized_name_records_are_refused():
    huge = "x" * (tar.MAX_METADATA + 1)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(tarfile.TarInfo(huge))
    with pytest.raises(tar.TarFormatError, match="crafted"):
        ours(buffer.getvalue())


def test_pax_records_and_their_errors():
    assert tar.parse_pax(b"12 path=a/b\n", 0) == {"path": "a/b"}
    for broken in (b"99 path=a/b\n", b"12 path=a/b ", b"x path=a\n", b"9 patha\n"):
        with pytest.raises(tar.TarFormatError):
            tar.parse_pax(broken, 0)


def test_members_must_be_read_in_order():
    archive = write_archive([("file", "a", 0o644, b"1"), ("file", "b", 0o644, b"2")], "gnu")
    reader = tar.TarReader(io.BytesIO(archive))
    members = iter(reader)
    first = next(members)
    next(members)
    with pytest.raises(ValueError, match="in order"):
        reader.read(first)
