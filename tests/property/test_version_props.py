"""Property tests for versions and specs, and for the numba kernel against the pure reference.

- Version order is a total order consistent with ``==`` and ``hash``.
- Text round trips: ``Version(v.canonical) == v`` and ``VersionSpec(str(s))`` means the same.
- The kernel sorts, argsorts and matches exactly like `Version` / `VersionSpec` (ties too).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minipixi import version, version_kernel
from minipixi.version import Version
from minipixi.version_spec import VersionSpec
from strategies_version import spec_texts, version_like_texts, version_texts, versions


@given(versions(), versions(), versions())
def test_order_is_total_and_consistent(a, b, c):
    assert sum([a < b, a == b, a > b]) == 1
    assert (a <= b) == (a < b or a == b)
    if a == b:
        assert hash(a) == hash(b)
    if a <= b and b <= c:
        assert a <= c


@given(versions())
def test_canonical_text_round_trips(version):
    again = Version(version.canonical)
    assert again == version
    assert again.components == version.components and again.local == version.local
    assert Version(version.canonical.upper()) == version


@given(version_like_texts())
def test_fast_path_agrees_with_the_reader(text):
    """`parse_version` tries a regex fast path first; the token reader must agree with it."""
    fast = version._parse_common(text) if text else None
    if fast is None:
        return
    reader = version._Reader(text)
    slow = Version._from_parsed(text, version._read_version(reader))
    assert reader.pos == len(reader.tokens)
    assert (fast.components, fast.local, fast.epoch) == (slow.components, slow.local, slow.epoch)
    assert fast.canonical == slow.canonical and fast.sort_key == slow.sort_key


@given(versions(), st.integers(1, 3))
def test_trailing_zeros_do_not_change_a_version(version, zeros):
    if version.local or str(version)[-1] in "-_":
        return
    padded = Version(str(version) + ".0" * zeros)
    assert padded == version and hash(padded) == hash(version)


@given(versions())
def test_a_version_starts_with_itself_and_matches_its_own_specs(version):
    text = version.canonical
    assert version.startswith(version)
    assert VersionSpec(f"=={text}").matches(version)
    assert VersionSpec(f">={text},<={text}").matches(version)
    assert not VersionSpec(f"!={text}").matches(version)


@given(spec_texts(), st.lists(version_texts(), max_size=6))
def test_spec_text_round_trips(text, candidates):
    spec = VersionSpec(text)
    again = VersionSpec(str(spec))
    assert again == spec and str(again) == str(spec)
    for candidate in candidates:
        assert again.matches(candidate) == spec.matches(candidate)


# -- kernel == reference ------------------------------------------------------------------------


@given(st.lists(version_texts(), max_size=40))
def test_kernel_sort_equals_reference_sort(texts):
    assert version_kernel.sort_versions(texts) == sorted(texts, key=Version)


@given(st.lists(version_texts(), min_size=1, max_size=40))
def test_kernel_rows_compare_like_versions(texts):
    encoded = version_kernel.encode_versions(texts)
    parsed = [Version(t) for t in texts]
    for i, a in enumerate(parsed):
        for j, b in enumerate(parsed[: i + 1]):
            row_a, row_b = tuple(encoded.row(i)), tuple(encoded.row(j))
            assert (row_a < row_b) == (a < b) and (row_a == row_b) == (a == b), (texts[i], texts[j])


@given(spec_texts(), st.lists(version_texts(), min_size=1, max_size=30))
def test_kernel_matches_equal_reference(text, texts):
    spec = VersionSpec(text)
    expected = [spec.matches(t) for t in texts]
    assert version_kernel.matches(spec, texts).tolist() == expected


@given(
    st.lists(spec_texts(), min_size=1, max_size=4),
    st.lists(version_texts(), min_size=1, max_size=30),
)
def test_one_encoding_serves_many_specs(specs, texts):
    """Bounds missing from the batch's table get in-between codes and still answer right."""
    encoded = version_kernel.encode_versions(texts)
    for text in specs:
        spec = VersionSpec(text)
        got = version_kernel.matches(spec, encoded)
        assert isinstance(got, np.ndarray) and got.dtype == np.bool_
        assert got.tolist() == [spec.matches(t) for t in texts], text
