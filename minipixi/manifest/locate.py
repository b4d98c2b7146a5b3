"""Where is that key? A small scanner that maps TOML key paths to line and column.

tomlkit keeps comments and formatting, but it does not tell us on which line a key sits, and a
good error message must point at the offending text (``pixi.toml:8:2`` and a caret). So we scan
the text once ourselves and remember, for every key path and every array item, where it starts:

    [feature.cuda.dependencies]        ->  ("feature",)                     line 1, column 2
    pytorch = ">=2.7"                       ("feature", "cuda")              line 1, column 10
                                            ("feature", "cuda", "dependencies")        ...
                                            ("feature", "cuda", "dependencies", "pytorch") 2:1
    cpu = ["cpu", "gpu"]               ->  ("environments", "cpu", 1)       the item "gpu"

The scanner only needs to be right for text that tomlkit already accepted, so it can be small: it
knows strings (four kinds), comments, inline tables, arrays, and bare values; nothing else. It also
notices a key or table defined twice, which tomlkit reports without a line. It runs *before*
tomlkit, on any text at all, so it never raises and never recurses deeper than `MAX_NESTING`
arrays or tables (a file of 5,000 ``[`` is a located error, not a crash).

Two more "where" helpers live here, because every reader of a TOML or YAML file needs them:
`decode_utf8` turns bytes that are not UTF-8 into an error at the line and column of the first bad
byte, and `lone_cr` finds a carriage return that no line feed follows (TOML allows LF and CRLF
line ends, nothing else).

Read after `manifest/model.py`; read next `manifest/find.py`. `manifest/shape.py` uses it for every
error. Ground truth: the TOML 1.0 grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minipixi.errors import Location

KeyPath = tuple  # a tuple of str (keys) and int (array indices)

#: How deep arrays and tables may nest (tomlkit stops at 100 as well; Pixi's parser sooner).
MAX_NESTING = 100

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Span:
    """A place in the text: 1-based line and column, and how many characters to underline."""

    line: int
    column: int
    width: int = 1


@dataclass
class SourceMap:
    """Key path -> Span, for every key and array item in one TOML text."""

    spans: dict[KeyPath, Span] = field(default_factory=dict)
    duplicates: list[KeyPath] = field(default_factory=list)  # keys/tables defined twice

    def find(self, path: KeyPath) -> Span | None:
        """The span of `path`, or of its longest prefix that has one (None if nothing does)."""
        path = tuple(path)
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return None

    def value_span(self, path: KeyPath) -> Span | None:
        """The span of the *value* at `path` (the item itself for array items)."""
        return self.spans.get(tuple(path) + ("<value>",)) or self.find(path)


class _Scanner:
    """Recursive-descent walk over TOML text that records spans; see `scan`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.spans: dict[KeyPath, Span] = {}
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)
        self.aot_counts: dict[KeyPath, int] = {}
        self.defined: dict[KeyPath, int] = {}  # full key path -> where it was defined
        self.duplicates: list[KeyPath] = []
        self.depth = 0  # arrays and inline tables open around the current position

    def define(self, path: KeyPath, start: int) -> None:
        """Note a key (or table header) definition, which ends here; a second one is a duplicate."""
        if path in self.defined:
            end = self.pos
            while end > start and self.text[end - 1] in " \t":
                end -= 1
            self.duplicates.append(path)
            self.spans[path + ("<duplicate>",)] = self.span_at(start, end - start)
        self.defined.setdefault(path, start)

    # -- positions ---------------------------------------------------------------------------
    def span_at(self, pos: int, width: int) -> Span:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:  # binary search for the line that holds `pos`
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return Span(lo + 1, pos - self.line_starts[lo] + 1, max(width, 1))

    def record(self, path: KeyPath, start: int, end: int) -> None:
        self.spans.setdefault(tuple(path), self.span_at(start, end - start))

    # -- characters --------------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_space(self, newlines: bool) -> None:
        """Skip blanks and comments (and newlines when `newlines`)."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            elif ch == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            else:
                return

    # -- keys --------------------------------------------------------------------------------
    def key_part(self) -> tuple[str, int, int]:
        """One simple key (bare or quoted): (name, start, end)."""
        start = self.pos
        ch = self.peek()
        if ch in "\"'":
            value = self.string()
            return value, start, self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _BARE:
            self.pos += 1
        if self.pos == start:
            raise ValueError(f"expected a key at offset {start}")
        return self.text[start : self.pos], start, self.pos

    def dotted_key(self, prefix: KeyPath) -> KeyPath:
        """A dotted key; records the span of every partial path under `prefix`."""
        path = tuple(prefix)
        while True:
            self.skip_space(False)
            name, start, end = self.key_part()
            path = path + (name,)
            self.record(path, start, end)
            self.skip_space(False)
            if self.peek() != ".":
                return path
            self.pos += 1

    # -- values ------------------------------------------------------------------------------
    def string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.index(quote * 3, self.pos + 3)
            while self.text[end + 3 : end + 4] == quote:  # up to two quotes may close it
                end += 1
            raw = self.text[self.pos + 3 : end]
            self.pos = end + 3
            return raw
        i = self.pos + 1
        while self.text[i] != quote:
            i += 2 if (quote == '"' and self.text[i] == "\\") else 1
        raw = self.text[self.pos + 1 : i]
        self.pos = i + 1
        return raw.replace('\\"', '"').replace("\\\\", "\\") if quote == '"' else raw

    def value(self, path: KeyPath) -> None:
        start = self.pos
        ch = self.peek()
        if ch and ch in "{[":
            self.depth += 1
            if self.depth > MAX_NESTING:  # stop here: the parser reports it, with this place
                raise ValueError(f"nested more than {MAX_NESTING} levels at offset {start}")
            if ch == "{":
                self.inline_table(path)
            else:
                self.array(path)
            self.depth -= 1
        elif ch in "\"'":
            self.string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.pos += 1
        end = self.pos
        while end > start and self.text[end - 1] in " \t\r":
            end -= 1
        self.record(tuple(path) + ("<value>",), start, end)

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1  # {
        while True:
            self.skip_space(True)
            if self.peek() == "}":
                self.pos += 1
                return
            if self.peek() == ",":
                self.pos += 1
                continue
            self.key_value(path, newlines=True)

    def array(self, path: KeyPath) -> None:
        self.pos += 1  # [
        index = 0
        while True:
            self.skip_space(True)
            if self.peek() == "]":
                self.pos += 1
                return
            if self.peek() == ",":
                self.pos += 1
                continue
            item_start = self.pos
            self.value(tuple(path) + (index,))
            if self.pos == item_start:  # nothing read ('}' or the end): stop, or loop forever
                raise ValueError(f"unexpected {self.peek()!r} in an array at offset {self.pos}")
            self.record(tuple(path) + (index,), item_start, self.pos)
            index += 1

    def key_value(self, prefix: KeyPath, newlines: bool) -> None:
        start = self.pos
        path = self.dotted_key(prefix)
        self.define(path, start)
        self.skip_space(False)
        if self.peek() != "=":
            raise ValueError(f"expected '=' at offset {self.pos}")
        self.pos += 1
        self.skip_space(False)
        self.value(path)

    # -- documents ---------------------------------------------------------------------------
    def header(self) -> KeyPath:
        array_of_tables = self.peek(2) == "[["
        self.pos += 2 if array_of_tables else 1
        start = self.pos
        path = self.dotted_key(())
        if not array_of_tables:
            self.define(path, start)
        self.skip_space(False)
        self.pos += 2 if array_of_tables else 1
        if array_of_tables:
            index = self.aot_counts.get(path, 0)
            self.aot_counts[path] = index + 1
            path = path + (index,)
        return path

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_space(True)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table, newlines=False)


def scan(text: str) -> SourceMap:
    """Map every key path (and array item) of TOML `text` to its span.

    Never raises: on text the scanner does not understand it returns what it found so far, and
    callers fall back to the nearest recorded prefix.
    """
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (ValueError, IndexError, RecursionError):
        pass
    return SourceMap(scanner.spans, scanner.duplicates)


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of character `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def decode_utf8(data: bytes, path: str, error: type[Exception]) -> str:
    """`data` as text, or `error` at the line and column of the first byte that is not UTF-8.

    Line ends are kept as they are (no newline translation), so a CRLF file stays CRLF and a
    lone CR is still there for `lone_cr` to find.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start].decode("utf-8", errors="replace")
        line, column = position(before, len(before))
        raise error(
            f"{path.rsplit('/', 1)[-1]} is not UTF-8 text: byte 0x{data[err.start]:02x} on line {line} "
            "cannot be decoded",
            where=Location(path, line, column),
            hint="save the file as UTF-8 (most editors offer it under 'Save with encoding')",
        ) from None


def lone_cr(text: str) -> int | None:
    """The offset of the first carriage return that is not followed by a line feed, or None."""
    start = 0
    while (found := text.find("\r", start)) != -1:
        if text[found + 1 : found + 2] != "\n":
            return found
        start = found + 1
    return None
