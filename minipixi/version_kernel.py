"""The version kernel: sort and filter thousands of conda versions at once, with numba.

`version.py` compares two versions at a time in Python. A solver asks bigger questions: "order
these 5,000 builds", "which of them match >=1.2,<2|3.*". This module answers them in compiled
loops by turning every version into one row of int64 numbers so that comparing two versions is
comparing two rows left to right. It keeps `version.py`'s contract exactly (its tests run both
and compare), so `solver/provider.py` reads the same whichever one it calls.
Lesson: Episode 2, "Versions and specs" (under the hood: a fast path). Read after
`version_spec.py`; read next `records.py`.
Ground truth: `minipixi.version` itself, which is checked against rattler and conda.

How a batch is encoded::

    versions        1.10        1.2rc1        1!0.1
    segments        1 | 10      1 | 2 rc 1    (epoch 1) 0 | 1
    table           the sorted distinct components of the batch, each coded 2 x rank + 2:
                    'rc' -> 2,  0 -> 4,  1 -> 6,  2 -> 8,  10 -> 10
    rows            epoch | seg 0 | seg 1 (3 wide: padded with 4, the code of 0)
    1.10            4     | 6     | 10  4  4
    1.2rc1          4     | 6     |  8  2  6
    1!0.1           6     | 4     |  6  4  4

A missing component counts as 0, so padding with the code of 0 makes row order equal version
order, ties included. Each segment gets its own width (the widest in the batch), and the local
part follows the release part. A version that is not in the batch (a spec's bound) is encoded
with the same table: a component the table lacks gets the odd code between its neighbours.
Rows alone cannot answer prefix questions (is 1.2 a prefix of 1.20?), so each version also
keeps its segment lengths.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Sequence, Union

import numba
import numpy as np

from minipixi.version import Version, parse_version
from minipixi.version_order import component_sort_key, underscore_style
from minipixi.version_spec import AnyVersion, Constraint, Group, VersionSpec

__all__ = ["EncodedVersions", "encode_versions", "argsort_versions", "sort_versions", "matches"]

VersionsLike = Union["EncodedVersions", Sequence[Union[Version, str]]]


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentTable:
    """Sorted distinct component keys of a batch and the int64 code of each (2 x rank + 2)."""

    keys: tuple
    code_of_key: dict

    @classmethod
    def build(cls, components: Iterable) -> ComponentTable:
        keys = tuple(sorted({component_sort_key(c) for c in components} | {component_sort_key(0)}))
        return cls(keys, {key: 2 * rank + 2 for rank, key in enumerate(keys)})

    def code(self, component) -> int:
        """The component's code; one the batch lacks gets the odd code between neighbours."""
        key = component_sort_key(component)
        code = self.code_of_key.get(key)
        return code if code is not None else 2 * bisect.bisect_left(self.keys, key) + 1

    @property
    def zero(self) -> int:
        return self.code_of_key[component_sort_key(0)]

    @property
    def underscore(self) -> int:
        return self.code("_")


@dataclass(frozen=True)
class Layout:
    """Column widths of each release segment and each local segment (the widest in the batch)."""

    main: tuple[int, ...]
    local: tuple[int, ...]

    @classmethod
    def of(cls, versions: Iterable[Version]) -> Layout:
        main: list[int] = []
        local: list[int] = []
        for version in versions:
            _widen(main, version.components)
            _widen(local, version.local)
        return cls(tuple(main), tuple(local))

    def merge(self, other: Layout) -> Layout:
        return Layout(_max_widths(self.main, other.main), _max_widths(self.local, other.local))

    def offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """Column where each segment starts (column 0 is the epoch); one extra end entry."""
        main = np.cumsum((1,) + self.main, dtype=np.int64)
        local = np.cumsum((int(main[-1]),) + self.local, dtype=np.int64)
        return main, local

    @property
    def width(self) -> int:
        return 1 + sum(self.main) + sum(self.local)


def _widen(widths: list[int], segments) -> None:
    for index, segment in enumerate(segments):
        if index == len(widths):
            widths.append(len(segment))
        elif len(segment) > widths[index]:
            widths[index] = len(segment)


def _max_widths(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    return tuple(max(w, shorter[i]) if i < len(shorter) else w for i, w in enumerate(longer))


@dataclass(frozen=True)
class EncodedVersions:
    """A batch of versions as int64 rows, plus what prefix tests need.

    Real batches repeat themselves (a channel lists one version for many builds), so each
    distinct version text is encoded once: `versions[d]` is distinct version d and `which[i]`
    says which distinct version input item i is. For distinct version d: rows[d] compares like
    the version; main_len[d, s] / local_len[d, s] are the lengths of segment s (0 when absent);
    main_count / local_count count the segments; style[d] is 1 or 2 when its trailing
    underscore components are written '_' or '-' (0 when it has none).
    """

    versions: tuple[Version, ...]
    which: np.ndarray
    table: ComponentTable
    layout: Layout
    rows: np.ndarray
    main_len: np.ndarray
    main_count: np.ndarray
    local_len: np.ndarray
    local_count: np.ndarray
    style: np.ndarray

    def __len__(self) -> int:
        return len(self.which)

    def row(self, index: int) -> np.ndarray:
        """The row of input item `index`."""
        return self.rows[self.which[index]]


_STYLE_CODES = {"": 0, "_": 1, "-": 2}


def _style(version: Version) -> int:
    return _STYLE_CODES[underscore_style(version)]


class _Codes(dict):
    """component -> code, filled on first use from the table (works for any component)."""

    def __init__(self, table: ComponentTable) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, component) -> int:
        code = self[component] = self.table.code(component)
        return code


# --8<-- [start:encode]
def _encode_one(version: Version, codes: _Codes, layout: Layout, zero: int) -> list[int]:
    """One row: epoch code, then each segment's codes padded to its width with the code of 0."""
    row = [codes[version.epoch]]
    for segments, widths in ((version.components, layout.main), (version.local, layout.local)):
        for index, width in enumerate(widths):
            segment = segments[index] if index < len(segments) else ()
            row.extend([codes[c] for c in segment])
            row.extend([zero] * (width - len(segment)))
    return row
# --8<-- [end:encode]


def _lengths(versions: Sequence[Version], widths: tuple[int, ...], local: bool) -> np.ndarray:
    """(len(versions), len(widths)) segment lengths, 0 where a version has no such segment."""
    count = max(len(widths), 1)
    rows = []
    for version in versions:
        segments = version.local if local else version.components
        rows.append([len(s) for s in segments] + [0] * (count - len(segments)))
    return np.array(rows, dtype=np.int64).reshape(len(versions), count)


def encode_with(
    versions: Sequence[Version],
    table: ComponentTable,
    layout: Layout,
    which: np.ndarray | None = None,
) -> EncodedVersions:
    """Encode distinct `versions` with a given table and a layout wide enough for them."""
    codes, zero = _Codes(table), table.zero
    rows = np.array([_encode_one(v, codes, layout, zero) for v in versions], dtype=np.int64)
    return EncodedVersions(
        versions=tuple(versions),
        which=np.arange(len(versions)) if which is None else which,
        table=table,
        layout=layout,
        rows=rows.reshape(len(versions), layout.width),
        main_len=_lengths(versions, layout.main, local=False),
        main_count=np.array([len(v.components) for v in versions], dtype=np.int64),
        local_len=_lengths(versions, layout.local, local=True),
        local_count=np.array([len(v.local) for v in versions], dtype=np.int64),
        style=np.array([_style(v) for v in versions], dtype=np.int64),
    )


def encode_versions(seq: Iterable[Version | str]) -> EncodedVersions:
    """Parse (if needed) and encode a batch of versions. Raises VersionError for bad text."""
    texts = [item if isinstance(item, str) else str(item) for item in seq]
    index_of: dict[str, int] = {}
    positions = [index_of.setdefault(text, len(index_of)) for text in texts]
    versions = [parse_version(text) for text in index_of]
    components = {v.epoch for v in versions}
    for version in versions:
        for segment in version.components + version.local:
            components.update(segment)
    which = np.array(positions, dtype=np.int64)
    return encode_with(versions, ComponentTable.build(components), Layout.of(versions), which)


def _encoded(seq: VersionsLike) -> EncodedVersions:
    return seq if isinstance(seq, EncodedVersions) else encode_versions(seq)


# --------------------------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _row_compare(rows_a, i, rows_b, j):
    """-1, 0 or 1 as row i of rows_a is below, equal to or above row j of rows_b."""
    for column in range(rows_a.shape[1]):
        a = rows_a[i, column]
        b = rows_b[j, column]
        if a != b:
            return -1 if a < b else 1
    return 0


@numba.njit(cache=True)
def _argsort_rows(rows):
    """Stable merge sort of row indices: insertion sort on runs of 16, then merge passes."""
    n = rows.shape[0]
    order = np.arange(n)
    run = 16
    for start in range(0, n, run):
        stop = min(start + run, n)
        for k in range(start + 1, stop):
            item = order[k]
            m = k - 1
            while m >= start and _row_compare(rows, item, rows, order[m]) < 0:
                order[m + 1] = order[m]
                m -= 1
            order[m + 1] = item
    buffer = np.empty_like(order)
    width = run
    while width < n:
        for left in range(0, n, 2 * width):
            middle = min(left + width, n)
            right = min(left + 2 * width, n)
            a, b, out = left, middle, left
            while a < middle and b < right:
                # Take from the right half only when strictly smaller: that keeps it stable.
                if _row_compare(rows, order[b], rows, order[a]) < 0:
                    buffer[out] = order[b]
                    b += 1
                else:
                    buffer[out] = order[a]
                    a += 1
                out += 1
            buffer[out : out + middle - a] = order[a:middle]
            out += middle - a
            buffer[out : out + right - b] = order[b:right]
        order, buffer = buffer, order
        width *= 2
    return order


@numba.njit(cache=True)
def _ranks_of_sorted(rows, order):
    """rank[d] for distinct row d: its place in `order`, equal rows sharing one rank."""
    rank = np.zeros(rows.shape[0], dtype=np.int64)
    for k in range(1, order.shape[0]):
        same = _row_compare(rows, order[k], rows, order[k - 1]) == 0
        rank[order[k]] = rank[order[k - 1]] + (0 if same else 1)
    return rank


def argsort_versions(seq: VersionsLike) -> np.ndarray:
    """Indices that put the versions in ascending order; equal versions keep their order.

    The distinct rows are merge-sorted and ranked (equal versions share a rank, so 1.0 and
    1.0.0 tie); then a stable sort of the items by rank keeps ties in input order.
    """
    encoded = _encoded(seq)
    if len(encoded) == 0:
        return np.zeros(0, dtype=np.int64)
    rank = _ranks_of_sorted(encoded.rows, _argsort_rows(encoded.rows))
    return np.argsort(rank[encoded.which], kind="stable")


def sort_versions(texts: Sequence[str]) -> list[str]:
    """The version strings in ascending conda order (stable). Raises VersionError."""
    return [texts[i] for i in argsort_versions(texts)]


# --------------------------------------------------------------------------------------------
# Matching a VersionSpec against a batch
# --------------------------------------------------------------------------------------------

# Instruction codes of a compiled spec. A spec becomes a postfix program: each constraint
# pushes one answer, AND n / OR n pop n answers and push one.
ANY, EQ, NE, GT, GE, LT, LE, STARTSWITH, NOT_STARTSWITH, COMPATIBLE, AND, OR = range(12)
_OPCODES = {"==": EQ, "!=": NE, ">": GT, ">=": GE, "<": LT, "<=": LE, "startswith": STARTSWITH,
            "not-startswith": NOT_STARTSWITH, "~=": COMPATIBLE}


def compile_spec(spec: VersionSpec) -> tuple[np.ndarray, list[Version]]:
    """The spec as an (n, 2) program of (opcode, argument) and the bound versions it uses."""
    program: list[tuple[int, int]] = []
    bounds: list[Version] = []

    def emit(node) -> None:
        if isinstance(node, AnyVersion):
            program.append((ANY, 0))
        elif isinstance(node, Constraint):
            program.append((_OPCODES[node.op], len(bounds)))
            bounds.append(node.version)
        elif isinstance(node, Group):
            for item in node.items:
                emit(item)
            program.append((AND if node.op == "and" else OR, len(node.items)))

    emit(spec.root)
    return np.array(program, dtype=np.int64).reshape(len(program), 2), bounds


def _relayout(encoded: EncodedVersions, layout: Layout) -> EncodedVersions:
    """The same batch padded out to a wider layout (new columns hold the code of 0)."""
    if layout == encoded.layout:
        return encoded
    old_main, old_local = encoded.layout.offsets()
    new_main, new_local = layout.offsets()
    count = len(encoded.versions)
    rows = np.full((count, layout.width), encoded.table.zero, dtype=np.int64)
    rows[:, 0] = encoded.rows[:, 0]
    for old, new, widths in ((old_main, new_main, encoded.layout.main),
                             (old_local, new_local, encoded.layout.local)):
        for s, width in enumerate(widths):
            rows[:, new[s] : new[s] + width] = encoded.rows[:, old[s] : old[s] + width]
    main_len = np.zeros((count, max(len(layout.main), 1)), dtype=np.int64)
    main_len[:, : encoded.main_len.shape[1]] = encoded.main_len
    local_len = np.zeros((count, max(len(layout.local), 1)), dtype=np.int64)
    local_len[:, : encoded.local_len.shape[1]] = encoded.local_len
    return EncodedVersions(encoded.versions, encoded.which, encoded.table, layout, rows,
                           main_len, encoded.main_count, local_len, encoded.local_count,
                           encoded.style)


@numba.njit(cache=True)
def _part_starts_with(rows_v, i, len_v, count_v, rows_b, j, len_b, count_b, offsets,
                      zero, underscore, same_style):
    """rattler's prefix rule on one part (release or local) of version i and bound j.

    `count_v` / `count_b` are the segment counts to use (``~=`` drops the bound's last one).
    Segment s of either side is at columns offsets[s] .. offsets[s] + its length.
    """
    extra_before = False
    for s in range(count_b):
        start = offsets[s]
        wanted = len_b[j, s]
        if s >= count_v:  # the version has run out: the rest of the prefix must be zeros
            for k in range(wanted):
                if rows_b[j, start + k] != zero:
                    return False
            continue
        if extra_before:  # '1.2a' starts with '1.2' but '1.2a.3' not with '1.2.3'
            return False
        have = len_v[i, s]
        for k in range(min(have, wanted)):
            code = rows_v[i, start + k]
            if code != rows_b[j, start + k] or (code == underscore and not same_style):
                return False
        if have > wanted:
            extra_before = True
        else:
            for k in range(have, wanted):
                if rows_b[j, start + k] != zero:
                    return False
    return True


@numba.njit(cache=True)
def _starts_with(v_rows, v_main_len, v_main_count, v_local_len, v_local_count, v_style, i,
                 b_rows, b_main_len, b_main_count, b_local_len, b_local_count, b_style, j,
                 drop_last, main_off, local_off, zero, underscore):
    """Does version i start with bound j (same epoch, release and local parts)?"""
    if v_rows[i, 0] != b_rows[j, 0]:
        return False
    same_style = v_style[i] == b_style[j]
    main_count = b_main_count[j] - 1 if drop_last else b_main_count[j]
    return _part_starts_with(
        v_rows, i, v_main_len, v_main_count[i], b_rows, j, b_main_len, max(main_count, 0),
        main_off, zero, underscore, same_style,
    ) and _part_starts_with(
        v_rows, i, v_local_len, v_local_count[i], b_rows, j, b_local_len, b_local_count[j],
        local_off, zero, underscore, same_style,
    )


@numba.njit(cache=True)
def _match_kernel(program, v_rows, v_main_len, v_main_count, v_local_len, v_local_count,
                  v_style, b_rows, b_main_len, b_main_count, b_local_len, b_local_count,
                  b_style, main_off, local_off, zero, underscore):
    """Run the postfix program once per version; answer[i] is the spec's verdict on row i."""
    n = v_rows.shape[0]
    answer = np.zeros(n, dtype=np.bool_)
    stack = np.zeros(program.shape[0] + 1, dtype=np.bool_)
    for i in range(n):
        top = 0
        for step in range(program.shape[0]):
            op = program[step, 0]
            arg = program[step, 1]
            if op == AND or op == OR:
                result = op == AND
                for k in range(top - arg, top):
                    result = (result and stack[k]) if op == AND else (result or stack[k])
                top -= arg
            elif op == ANY:
                result = True
            elif op == STARTSWITH or op == NOT_STARTSWITH or op == COMPATIBLE:
                result = _starts_with(
                    v_rows, v_main_len, v_main_count, v_local_len, v_local_count, v_style, i,
                    b_rows, b_main_len, b_main_count, b_local_len, b_local_count, b_style, arg,
                    op == COMPATIBLE, main_off, local_off, zero, underscore,
                )
                if op == NOT_STARTSWITH:
                    result = not result
                elif op == COMPATIBLE:
                    result = result and _row_compare(v_rows, i, b_rows, arg) >= 0
            else:
                order = _row_compare(v_rows, i, b_rows, arg)
                # '==' also wants the same trailing '-' or '_' (see version.same_spelling_equal)
                same = order == 0 and v_style[i] == b_style[arg]
                result = (
                    (op == EQ and same) or (op == NE and not same)
                    or (op == GT and order > 0) or (op == GE and order >= 0)
                    or (op == LT and order < 0) or (op == LE and order <= 0)
                )
            stack[top] = result
            top += 1
        answer[i] = stack[0]
    return answer


def _kernel_arrays(encoded: EncodedVersions) -> tuple:
    return (encoded.rows, encoded.main_len, encoded.main_count, encoded.local_len,
            encoded.local_count, encoded.style)


def matches(spec: VersionSpec | str, versions: VersionsLike) -> np.ndarray:
    """A bool array: does each version satisfy `spec`? Same answers as `VersionSpec.matches`.

    `versions` is a sequence of Version/str or an `EncodedVersions` (encode once, ask many
    specs). The spec's bounds are encoded with the batch's table.
    """
    if isinstance(spec, str):
        spec = VersionSpec(spec)
    encoded = _encoded(versions)
    if len(encoded) == 0:
        return np.zeros(0, dtype=np.bool_)
    program, bounds = compile_spec(spec)
    layout = encoded.layout.merge(Layout.of(bounds))
    encoded = _relayout(encoded, layout)
    # A spec without bounds ('*') still needs well-formed (unused) bound arrays.
    bound_rows = encode_with(bounds or [parse_version("0")], encoded.table, layout)
    main_off, local_off = layout.offsets()
    answers = _match_kernel(
        program, *_kernel_arrays(encoded), *_kernel_arrays(bound_rows), main_off, local_off,
        encoded.table.zero, encoded.table.underscore,
    )
    return answers[encoded.which]  # answers are per distinct version
