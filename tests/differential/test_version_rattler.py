"""Differential tests: minipixi.version against py-rattler's Version and VersionSpec.

Random conda-style versions and specs must parse (or fail) alike, order alike, compare equal
alike, print alike and match alike. Skips cleanly when py-rattler is not installed.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minipixi.errors import VersionError
from minipixi.version import Version
from minipixi.version_spec import VersionSpec
from strategies_version import (
    spec_like_texts,
    spec_texts,
    version_like_texts,
    version_texts,
)

rattler = pytest.importorskip("rattler", reason="py-rattler is not installed")


def _ours(text: str):
    try:
        return Version(text)
    except VersionError:
        return None


def _theirs(text: str):
    try:
        return rattler.Version(text)
    except Exception:  # py-rattler raises its own InvalidVersionError
        return None


def _as_rattler_lists(segments):
    """py-rattler shows a trailing dash as '_' too."""
    return [["_" if c == "-" else c for c in segment] for segment in segments]


def _cmp(a, b) -> int:
    return (a > b) - (a < b)


@given(version_like_texts())
def test_same_strings_are_versions(text):
    assert (_ours(text) is None) == (_theirs(text) is None), text


@given(version_texts())
def test_same_components_and_spelling(text):
    ours, theirs = Version(text), rattler.Version(text)
    assert _as_rattler_lists(ours.components) == theirs.segments()
    assert _as_rattler_lists(ours.local) == theirs.local_segments()
    assert ours.epoch == (theirs.epoch or 0)
    assert ours.canonical == str(theirs)


@given(version_texts(), version_texts())
def test_same_order_and_equality(left, right):
    ours = _cmp(Version(left), Version(right))
    theirs = _cmp(rattler.Version(left), rattler.Version(right))
    assert ours == theirs, (left, right)
    assert (Version(left) == Version(right)) == (rattler.Version(left) == rattler.Version(right))


@given(st.lists(version_texts(), min_size=2, max_size=30))
def test_same_stable_sort(texts):
    assert sorted(texts, key=Version) == sorted(texts, key=rattler.Version)


@given(version_texts(), version_texts())
def test_same_prefix_and_compatible_tests(left, right):
    ours, theirs = Version(left), rattler.Version(left)
    assert ours.startswith(Version(right)) == theirs.starts_with(rattler.Version(right))
    assert ours.compatible_with(Version(right)) == theirs.compatible_with(rattler.Version(right))


@functools.lru_cache(maxsize=None)
def _spec_pair(text: str):
    try:
        ours = VersionSpec(text)
    except VersionError:
        ours = None
    try:
        theirs = rattler.VersionSpec(text)
    except Exception:
        theirs = None
    return ours, theirs


@settings(max_examples=200)
@given(spec_like_texts())
def test_same_strings_are_specs(text):
    if text != text.strip():  # we strip surrounding spaces, rattler refuses them
        return
    ours, theirs = _spec_pair(text)
    assert (ours is None) == (theirs is None), text


@given(spec_texts())
def test_same_canonical_spec_text(text):
    ours, theirs = _spec_pair(text)
    assert ours is not None and theirs is not None, text
    assert str(ours) == str(theirs)


@settings(max_examples=150)
@given(spec_texts(), st.lists(version_texts(), min_size=1, max_size=8))
def test_same_matches(text, versions):
    ours, theirs = _spec_pair(text)
    for version in versions:
        assert ours.matches(version) == theirs.matches(rattler.Version(version)), (text, version)


@given(spec_texts())
def test_spec_matches_its_own_bounds_alike(text):
    """Bounds are where off-by-one mistakes live: test each bound and its neighbours."""
    ours, theirs = _spec_pair(text)
    bounds = [c.version for c in _constraints(ours.root)]
    for bound in bounds:
        for suffix in ("", ".0", "a", ".1"):
            version = bound.canonical + suffix
            if _ours(version) is None or _theirs(version) is None:
                continue
            expected = theirs.matches(rattler.Version(version))
            assert ours.matches(version) == expected, (text, version)


def _constraints(node):
    if hasattr(node, "items"):
        for item in node.items:
            yield from _constraints(item)
    elif hasattr(node, "version"):
        yield node


@pytest.mark.parametrize(
    "text",
    ["2013a*", "~=3.3.2.*", "1.2.3+4*", "2023.*.*", ">=1.0.0*", "1.2-*", "1.2._", "((1))"],
)
def test_conda_divergences_follow_rattler(text):
    """Where conda and rattler disagree, we agree with rattler (see tests/corpus)."""
    ours, theirs = _spec_pair(text)
    assert str(ours) == str(theirs)
    for version in ["2013ab", "3.3.2.0", "3.4", "1.2.3+4.5", "2023.1", "1.0.0", "1.2-", "1.2._"]:
        assert ours.matches(version) == theirs.matches(rattler.Version(version))
