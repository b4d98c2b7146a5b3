"""Reading a tar archive: 512-byte headers, each followed by its file's bytes.

Both wrappings of a conda package hold tar archives (see `install/package.py`), and reading them is
most of the work of a cold install: a package of a thousand small files is a thousand
headers. Python's `tarfile` reads them, but it is general (it seeks, it keeps every member,
it knows every dialect) and spends more time per member than the operating system spends
creating the file. This module reads only what a package installer needs, in one pass.

The format, which fits in a paragraph. A tar stream is a row of 512-byte *blocks*. Each member
starts with a header block; these fields are the ones we read (offsets in bytes)::

      0  name      100   NUL-padded path ("lib/libz.so.1")
    100  mode        8   octal text ("0000755")
    124  size       12   octal text: how many bytes of content follow the header
    148  chksum      8   octal sum of the header's bytes, counting this field as 8 spaces
    156  typeflag    1   "0" file, "1" hard link, "2" symlink, "5" folder, ...
    157  linkname  100   where a link points
    257  magic       6   "ustar\\0" (POSIX) or "ustar " (GNU)
    345  prefix    155   POSIX only: the front part of a name longer than 100 bytes

The content follows, padded with zeros to a whole block. A block of zeros ends the archive.
Names longer than the header holds travel in an extra member just before the real one: a
GNU "L" (name) or "K" (link name) member whose content is the long name, or a POSIX "x" member
whose content is `"<length> <key>=<value>\\n"` records (`path`, `linkpath`, `size`). A "g"
member holds such records for every member after it.

Nothing here trusts the archive: a header whose checksum is wrong, a number that is not a
number, a stream that ends early, or a name record bigger than `MAX_METADATA` raises
`TarFormatError`. Whether a *valid* member is safe to write is `install/package.py`'s question.

Lesson: Episode 4, "Under the hood" of taking a `.conda` apart. Read before `install/package.py`.
Ground truth: POSIX pax/ustar (IEEE Std 1003.1), the GNU tar manual's "Standard" section, and
Python's `tarfile` (the tests compare this reader with it on random archives).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

BLOCK = 512
READ_SIZE = 1024 * 1024  # how much decompressed data one read asks for
MAX_METADATA = 1024 * 1024  # a long name or pax record set bigger than this is refused
ZERO_BLOCK = bytes(BLOCK)

# typeflag -> kind. "7" (contiguous file) is a plain file to everybody who is not a 1980s
# mainframe; "\0" is the pre-POSIX spelling of "0".
KINDS = {b"0": "file", b"\0": "file", b"7": "file", b"1": "hardlink", b"2": "symlink",
         b"5": "dir", b"3": "char device", b"4": "block device", b"6": "fifo"}
HAS_CONTENT = {"file", "other"}  # members whose size counts blocks of content after the header


class TarFormatError(ValueError):
    """The bytes are not a well-formed tar stream (corrupt, truncated or crafted)."""


class Member(NamedTuple):
    """One member, as its (possibly extended) header describes it. (A NamedTuple: a package
    has thousands of members, and a tuple is made several times faster than a dataclass.)"""

    name: str  # as written in the archive: not yet checked for "..", "/" and friends
    kind: str  # "file", "dir", "symlink", "hardlink", or something we refuse to write
    mode: int
    size: int  # bytes of content (0 for anything but files)
    linkname: str


# --8<-- [start:header]
# The header's fields in order, as struct sizes: the table above, plus the ones we skip
# (uid, gid, mtime, version, user and group names, device numbers) and 12 bytes of padding.
HEADER = struct.Struct("100s 8s 8s 8s 12s 12s 8s c 100s 6s 2s 32s 32s 8s 8s 155s 12x")


def parse_header(block: bytes, offset: int) -> tuple[bytes, str, str, int, int]:
    """(typeflag, name, linkname, mode, size) of one header block at byte `offset`."""
    (name, mode, _uid, _gid, size, _mtime, chksum, typeflag, linkname, magic, _version,
     _user, _group, _major, _minor, prefix) = HEADER.unpack(block)
    stored = parse_number(chksum, offset)
    if stored != sum(block) - sum(chksum) + 8 * 32 and stored != _signed_sum(block):
        raise TarFormatError(f"the header at byte {offset} has a wrong checksum "
                             f"(not a tar archive, or a corrupt one)")
    path = text(name)
    if magic == b"ustar\0" and prefix[0]:  # POSIX: a long name is split into prefix "/" name
        path = f"{text(prefix)}/{path}"
    link = text(linkname) if linkname[0] else ""
    return typeflag, path, link, parse_number(mode, offset), parse_number(size, offset)
# --8<-- [end:header]


def _signed_sum(block: bytes) -> int:
    """The checksum as some old tars computed it, with bytes read as signed (-128..127)."""
    return sum(b - 256 if b > 127 else b for b in block[:148] + b" " * 8 + block[156:])


def text(field: bytes) -> str:
    """A NUL-terminated name field as text (bytes that are not UTF-8 survive as escapes)."""
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def parse_number(field: bytes, offset: int) -> int:
    """A numeric header field: octal text, or GNU base-256 when the first byte has its high bit."""
    if field[0] == 0x80:  # base-256, positive: the remaining bytes are a big-endian integer
        return int.from_bytes(field[1:], "big")
    digits = field.split(b"\0", 1)[0].strip(b" ")
    if digits.translate(None, b"01234567"):  # anything left is not an octal digit
        raise TarFormatError(f"the header at byte {offset} has a field that is not a "
                             f"number: {bytes(field)!r}")
    return int(digits, 8) if digits else 0


def parse_pax(data: bytes, offset: int) -> dict[str, str]:
    """The records of a pax extended header: `"<length> <key>=<value>\\n"`, one after another."""
    records, pos = {}, 0
    while pos < len(data) and data[pos] != 0:
        space = data.find(b" ", pos)
        try:
            length = int(data[pos:space])
        except ValueError:
            length = 0
        end = pos + length
        if space < 0 or length <= 0 or end > len(data) or data[end - 1:end] != b"\n":
            raise TarFormatError(f"the pax header at byte {offset} is malformed")
        key, equals, value = data[space + 1:end - 1].partition(b"=")
        if not equals:
            raise TarFormatError(f"the pax header at byte {offset} has a record without '='")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos = end
    return records


class TarReader:
    """The members of a tar stream, read once, in order.

    Iterate to get the members; while a member is the current one, `chunks(member)` yields
    its content. Content not read is skipped when the next member is asked for::

        reader = TarReader(stream)
        for member in reader:
            if member.kind == "file":
                data = b"".join(reader.chunks(member))
    """

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._buf = b""
        self._pos = 0  # the next unread byte of _buf
        self._offset = 0  # bytes of the stream consumed before _buf[0]
        self._current: Member | None = None
        self._left = 0  # unread content bytes of the current member
        self._padding = 0  # zero bytes after that content, up to the next block

    @property
    def position(self) -> int:
        """Bytes of the (decompressed) tar stream consumed so far."""
        return self._offset + self._pos

    # -- buffering: the stream is read in big pieces, and members are sliced from them --------

    def _available(self, wanted: int) -> int:
        """Make at least `wanted` bytes available (fewer only at the end); return how many."""
        while len(self._buf) - self._pos < wanted:
            piece = self._raw.read(max(READ_SIZE, wanted))
            if not piece:
                break
            self._offset += self._pos
            self._buf = self._buf[self._pos:] + piece
            self._pos = 0
        return len(self._buf) - self._pos

    def _take(self, size: int) -> bytes:
        if self._available(size) < size:
            raise TarFormatError(f"the archive ends early, at byte {self.position + size} "
                                 f"(it is truncated)")
        data = self._buf[self._pos:self._pos + size]
        self._pos += size
        return data

    def _skip(self, size: int) -> None:
        while size:
            step = min(size, max(1, self._available(1)))
            self._take(step)
            size -= step

    # -- members ------------------------------------------------------------------------------

    def chunks(self, member: Member) -> Iterator[bytes]:
        """The content of `member`, the current member, in pieces of at most READ_SIZE bytes."""
        self._check_current(member)
        while self._left:
            size = min(self._left, READ_SIZE, max(1, self._available(1)))
            piece = self._take(size)
            self._left -= size
            yield piece

    def read(self, member: Member) -> bytes:
        """The whole content of `member`, the current member, at once (for small files)."""
        self._check_current(member)
        size = self._left
        available = self._available(size + self._padding)  # the padding too, when it is there
        if available < size:
            raise TarFormatError(f"the archive ends early, in '{member.name}' (it is truncated)")
        data = self._buf[self._pos:self._pos + size]
        self._pos += min(available, size + self._padding)
        self._left = self._padding = 0
        return data

    def _check_current(self, member: Member) -> None:
        if member is not self._current:
            raise ValueError(f"'{member.name}' is not the current member: read members in order")

    def __iter__(self) -> Iterator[Member]:
        long_name = long_link = None
        pax: dict[str, str] = {}
        global_pax: dict[str, str] = {}
        while True:
            if self._left or self._padding:  # what the caller did not read of the last member
                self._skip(self._left + self._padding)
            self._current, self._left, self._padding = None, 0, 0
            offset = self.position
            if self._available(BLOCK) == 0:
                return  # the stream ends without the two zero blocks: tarfile accepts it too
            block = self._take(BLOCK)
            if block == ZERO_BLOCK:
                return
            typeflag, name, linkname, mode, size = parse_header(block, offset)
            if typeflag in (b"L", b"K", b"x", b"g"):  # metadata for the member(s) after it
                data = self._metadata(size, offset)
                if typeflag == b"L":
                    long_name = text(data)
                elif typeflag == b"K":
                    long_link = text(data)
                else:
                    (pax if typeflag == b"x" else global_pax).update(parse_pax(data, offset))
                continue
            kind = KINDS.get(typeflag, "other")
            if long_name is not None or long_link is not None or pax or global_pax:
                fields = {**global_pax, **pax}
                name = fields.get("path", long_name or name)
                linkname = fields.get("linkpath", long_link or linkname)
                if "size" in fields:
                    size = self._pax_size(fields["size"], offset)
                long_name = long_link = None
                pax = {}
            if kind == "file" and typeflag == b"\0" and name.endswith("/"):
                kind = "dir"  # the old V7 way of writing a folder
            self._left = size if kind in HAS_CONTENT else 0
            self._padding = -self._left % BLOCK
            member = self._current = Member(name, kind, mode, self._left, linkname)
            yield member

    def _metadata(self, size: int, offset: int) -> bytes:
        if size > MAX_METADATA:
            raise TarFormatError(f"the header at byte {offset} announces {size} bytes of names "
                                 f"(more than {MAX_METADATA}): a crafted archive?")
        data = self._take(size)
        self._skip(-size % BLOCK)
        return data

    @staticmethod
    def _pax_size(value: str, offset: int) -> int:
        if not (value.isascii() and value.isdigit()):
            raise TarFormatError(f"the pax header at byte {offset} has size={value!r}")
        return int(value)
