"""Unit tests for minipixi.version: parsing, ordering, prefix/compatible tests, VersionSpec."""

from __future__ import annotations

import pickle

import pytest

from minipixi.errors import VersionError
from minipixi.version import Version, parse_version
from minipixi.version_order import component_sort_key
from minipixi.version_spec import AnyVersion, Constraint, Group, VersionSpec


# -- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "epoch", "components", "local"),
    [
        ("1.2.3", 0, ((1,), (2,), (3,)), ()),
        ("1!2.0", 1, ((2,), (0,)), ()),
        ("1.0rc1", 0, ((1,), (0, "rc", 1)), ()),
        ("rc1", 0, ((0, "rc", 1),), ()),
        ("1.2RC1", 0, ((1,), (2, "rc", 1)), ()),
        ("1.1.dev1", 0, ((1,), (1,), (0, "dev", 1)), ()),
        ("1.0.1post.za", 0, ((1,), (0,), (1, "post"), (0, "za")), ()),
        ("1.2.devdev", 0, ((1,), (2,), (0, "devdev")), ()),
        ("1.0.1_", 0, ((1,), (0,), (1, "_")), ()),
        ("1.0.1-", 0, ((1,), (0,), (1, "-")), ()),
        ("1--", 0, ((1,), (0, "-")), ()),
        ("1__", 0, ((1,), (0, "_")), ()),
        ("1-2-3", 0, ((1,), (2,), (3,)), ()),
        ("1.2+abc.1", 0, ((1,), (2,)), ((0, "abc"), (1,))),
        ("007.010", 0, ((7,), (10,)), ()),
    ],
)
def test_parse_components(text, epoch, components, local):
    version = Version(text)
    assert (version.epoch, version.components, version.local) == (epoch, components, local)
    assert str(version) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty string"),
        ("$", "expected a version component"),
        ("1.", "encountered more characters"),
        ("1+", "expected a version component"),
        ("1-2_3", "cannot use both underscores and dashes"),
        ("1-_", "cannot use both underscores and dashes"),
        ("1___", "encountered more characters"),
        ("1@2", "encountered more characters"),
        ("a!1.0", "encountered more characters"),
        ("5.5..mw", "encountered more characters"),
        ("1.2.*", "encountered more characters"),
        ("1." + "9" * 30, "too large"),
        (" 1.2", "expected a version component"),
    ],
)
def test_invalid_versions_say_why(text, reason):
    with pytest.raises(VersionError) as info:
        Version(text)
    assert reason in info.value.message
    assert repr(text)[1:-1] in info.value.message
    assert info.value.hint


def test_too_many_segments_before_local_part():
    with pytest.raises(VersionError, match="too many version segments"):
        Version(".".join(["1"] * 128) + "+local")
    assert Version(".".join(["1"] * 127) + "+local").local == ((0, "local"),)


def test_parse_is_cached_and_version_is_immutable():
    assert parse_version("1.2.3") is Version("1.2.3")
    with pytest.raises(AttributeError):
        Version("1.2").x = 1  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(Version("1!1.2+x"))) == Version("1!1.2+x")


def test_canonical_spelling_matches_rattler_display():
    assert Version("1.2RC1").canonical == "1.2rc1"
    assert Version("1996.07.12").canonical == "1996.7.12"
    assert Version("1!1.2a.3-rc1+Local-1").canonical == "1!1.2a.3-rc1+local-1"
    assert Version("1.0.1-").canonical == "1.0.1-"
    assert Version("1._").canonical == "1._"


# -- ordering -----------------------------------------------------------------------------------

ASCENDING = [
    "0.4", "0.4.1.rc", "0.4.1", "0.5a1", "0.5b3", "0.5C1", "0.5", "0.9.6", "0.960923", "1.0",
    "1.1dev1", "1.1_", "1.1a1", "1.1.dev1", "1.1.a1", "1.1.0rc1", "1.1", "1.1.post1",
    "1.1post1", "1996.07.12", "1!0.4.1", "1!3.1.1.6", "2!0.4.1",
]


def test_order_of_a_known_list():
    versions = [Version(t) for t in ASCENDING]
    assert sorted(reversed(versions)) == versions
    for smaller, larger in zip(versions, versions[1:]):
        assert smaller < larger and larger > smaller and smaller != larger


@pytest.mark.parametrize(
    ("left", "right"),
    [("1.1", "1.1.0"), ("1.1", "1.1.0.0.0"), ("0.4.1.rc", "0.4.1.RC"), ("1.1.0dev1", "1.1.dev1"),
     ("1.0.1-", "1.0.1_"), ("1.0", "1.00"), ("1.2+x", "1.2.0+x.0"), ("0", "0.0")],
)
def test_equal_versions_hash_alike(left, right):
    assert Version(left) == Version(right)
    assert hash(Version(left)) == hash(Version(right))
    assert len({Version(left), Version(right)}) == 1


def test_kind_order_dev_underscore_string_number_post():
    keys = [component_sort_key(c) for c in ("dev", "_", "a", "zz", 0, 7, "post")]
    assert keys == sorted(keys)


def test_missing_components_are_zero_even_inside_a_segment():
    # 'a' sorts below the 0 that '1.0' implies, and '1.0a0b' below '1.0a'.
    assert Version("1.0a") < Version("1.0")
    assert Version("1a0b") < Version("1a")
    assert Version("1.0.0.1") > Version("1")
    assert Version("1.0.0.a") < Version("1")


def test_local_part_only_breaks_ties():
    assert Version("1.2+zzz") < Version("1.2.1")
    assert Version("1.2") < Version("1.2+0.1")
    assert Version("1.2+abc") < Version("1.2+abc123def") < Version("1.2+123")


def test_epoch_beats_everything():
    assert Version("1!0.1") > Version("2024.1")
    assert Version("0!1.0") == Version("1.0")


# -- startswith / compatible_with ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "prefix", "expected"),
    [
        ("1.2.3", "1.2", True), ("1.2", "1.2", True), ("1.20", "1.2", False),
        ("1.2", "1.2.0", True), ("1.2a", "1.2", True), ("1.2", "1.2a", False),
        ("1.2a.3", "1.2.3", False), ("1.2dev", "1.2", True), ("1!1.2", "1.2", False),
        ("1.2+3.1", "1.2+3", True), ("1.2+4", "1.2+3", False), ("1.2.0a", "1.2.0.0", True),
    ],
)
def test_startswith(version, prefix, expected):
    assert Version(version).startswith(Version(prefix)) is expected


@pytest.mark.parametrize(
    ("version", "bound", "expected"),
    [("1.3", "1.2", True), ("2.0", "1.2", False), ("1.2.9", "1.2.3", True),
     ("1.3", "1.2.3", False), ("1.2.2", "1.2.3", False), ("5", "1", True)],
)
def test_compatible_with(version, bound, expected):
    assert Version(version).compatible_with(Version(bound)) is expected


# -- VersionSpec --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.2", "==1.2"), ("=1.2", "1.2.*"), ("1.2.*", "1.2.*"), ("1.2*", "1.2.*"),
        ("==1.2", "==1.2"), ("*", "*"), ("*.*", "*"), (">=*", "*"), ("~=1.2", "~=1.2"),
        ("!=1.2.*", "!=1.2.*"), (">=1.2.*", ">=1.2"), (">1.2.*", ">=1.2"), ("<1.2.*", "<1.2"),
        ("==1.2.*", "==1.2"), ("2023.*.*", "2023.*"), ("1.2.*.", "1.2.*"),
        (">=1.2 , <2", ">=1.2,<2"), ("1.2 | 1.3", "==1.2|==1.3"),
        ("(>=1|<0.5),!=0.7", "(>=1|<0.5),!=0.7"), ("((1))", "==1"), ("(1|2)|3", "==1|==2|==3"),
        ("1.2|(1.3|1.4),1.5", "==1.2|(==1.3|==1.4),==1.5"), (">=1.2RC", ">=1.2rc"),
        ("1.2.3+4*", "1.2.3+4.*"), ("3.4.*+aws", "3.4+aws.*"), ("  >=1.2  ", ">=1.2"),
    ],
)
def test_spec_canonical_text(text, canonical):
    assert str(VersionSpec(text)) == canonical
    assert VersionSpec(str(VersionSpec(text))) == VersionSpec(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"), ("~", "invalid operator '~'"), ("==", "expected a version"),
        ("!", "invalid operator '!'"), ("===3.3.2", "invalid operator '==='"),
        ("><2.4.5", "invalid operator '><'"), ("(1.5", "missing ')'"), ("1.5)", "unexpected"),
        ("1.5||1.6", "expected a version"), ("^1.5", "regex"), ("^1.7.1$", "regex"),
        ("1.*.1", "regex"), ("!=*", "incompatible"), (">*", "incompatible"),
        ("1.2 1.3", "unexpected"), (">= 1.2", "expected a version"), ("1.2.", "invalid version"),
        ("1!*", "expected a version component"),
    ],
)
def test_invalid_specs_say_why(text, reason):
    with pytest.raises(VersionError) as info:
        VersionSpec(text)
    assert reason in info.value.message
    assert f"'{text}'" in info.value.message


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("1.2", "1.2.0", True), ("1.2", "1.2.1", False), ("1.2", "1.2+3", False),
        ("=1.2", "1.2.5", True), ("1.2.*", "1.20", False), ("1.2*", "1.2a", True),
        ("!=1.2.*", "1.3", True), ("!=1.2.*", "1.2.7", False), (">1.2", "1.2+3", True),
        ("~=1.10", "1.11.0", True), ("~=1.10.0", "1.11.0", False),
        (">=2.7,!=3.0.*,!=3.1.*", "3.1.4", False), (">=2.7,!=3.0.*,!=3.1.*", "3.2", True),
        (">=1,<2|>=3", "2.5", False), (">=1,<2|>=3", "3.5", True),
        ("(>=1|<0.5),!=0.7", "0.7", False),
        ("*", "0.0.0dev0", True), (">=1.0.0*", "1.0.0", True), ("1.2.3+4*", "1.2.3+4.5.6", True),
        ("3.4.*+aws", "3.4.1+aws", True), ("3.4.*+aws", "3.4.1+gcp", False),
    ],
)
def test_spec_matches(spec, version, expected):
    assert VersionSpec(spec).matches(version) is expected
    assert VersionSpec(spec).matches(Version(version)) is expected


def test_trailing_dash_and_underscore_sort_alike_but_are_not_the_same_spelling():
    dash, underscore = Version("1.0.1-"), Version("1.0.1_")
    assert dash == underscore and hash(dash) == hash(underscore)
    assert not VersionSpec("==1.0.1-").matches(underscore)
    assert VersionSpec("!=1.0.1-").matches(underscore)
    assert VersionSpec(">=1.0.1-,<=1.0.1-").matches(underscore)
    assert not underscore.startswith(dash)


def test_and_binds_tighter_than_or():
    root = VersionSpec(">=1,<2|>=3").root
    assert isinstance(root, Group) and root.op == "or"
    both = (Constraint(">=", Version("1")), Constraint("<", Version("2")))
    assert root.items[0] == Group("and", both)
    assert isinstance(VersionSpec("*").root, AnyVersion)


def test_strict_mode_rejects_ambiguous_forms():
    with pytest.raises(VersionError, match="missing range specifier"):
        VersionSpec("1.2", strict=True)
    with pytest.raises(VersionError, match="incompatible"):
        VersionSpec(">=1.2.*", strict=True)
    assert str(VersionSpec("!=1.2.*", strict=True)) == "!=1.2.*"
    assert str(VersionSpec("==1.2", strict=True)) == "==1.2"


def test_spec_is_a_value():
    assert VersionSpec(">=1.2 , <2") == VersionSpec(">=1.2,<2")
    assert hash(VersionSpec("1.2*")) == hash(VersionSpec("1.2.*"))
    assert pickle.loads(pickle.dumps(VersionSpec(">=1|<0"))) == VersionSpec(">=1|<0")
    assert VersionSpec(" >=1.2").text == " >=1.2"
