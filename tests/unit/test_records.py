"""PackageRecord: reading and writing repodata entries, and package file names."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.errors import RecordError
from minipixi.files import check_component
from minipixi.records import (
    PackageFilename,
    PackageRecord,
    _is_plain_name,
    normalize_timestamp,
    parse_package_filename,
    parse_track_features,
)
from strategies_records import package_records

NUMPY_ENTRY = {
    "build": "py313h8e6d8d4_0",
    "build_number": 0,
    "constrains": ["numpy-base <0a0"],
    "depends": ["libblas >=3.9.0,<4.0a0", "python >=3.13,<3.14.0a0", "python_abi 3.13.* *_cp313"],
    "license": "BSD-3-Clause",
    "license_family": "BSD",
    "md5": "0123456789abcdef0123456789abcdef",
    "name": "numpy",
    "sha256": "ab" * 32,
    "size": 8_500_000,
    "subdir": "linux-64",
    "timestamp": 1_730_000_000_123,
    "version": "2.1.3",
}


def test_from_repodata_reads_every_field():
    record = PackageRecord.from_repodata(
        "numpy-2.1.3-py313h8e6d8d4_0.conda",
        NUMPY_ENTRY,
        channel="conda-forge",
        base_url="https://conda.anaconda.org/conda-forge/linux-64/",
    )
    assert (record.name, record.version, record.build) == ("numpy", "2.1.3", "py313h8e6d8d4_0")
    assert record.depends[1] == "python >=3.13,<3.14.0a0"
    assert record.constrains == ("numpy-base <0a0",)
    assert record.timestamp == 1_730_000_000_123
    assert record.fn == "numpy-2.1.3-py313h8e6d8d4_0.conda"
    assert record.url == (
        "https://conda.anaconda.org/conda-forge/linux-64/numpy-2.1.3-py313h8e6d8d4_0.conda"
    )
    assert record.channel == "conda-forge"
    assert record.noarch is None and record.track_features == ()


def test_to_repodata_gives_back_the_entry_in_key_order():
    record = PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", NUMPY_ENTRY)
    out = record.to_repodata()
    assert out == NUMPY_ENTRY
    assert list(out) == sorted(NUMPY_ENTRY)


def test_missing_optional_fields_take_defaults():
    record = PackageRecord.from_repodata(
        "tiny-1-0.tar.bz2", {"name": "tiny", "version": "1", "build": "0", "depends": None},
        subdir="noarch",
    )
    assert record.build_number == 0 and record.depends == () and record.subdir == "noarch"
    assert record.timestamp is None and record.md5 is None and record.url is None
    assert record.to_repodata() == {
        "build": "0", "build_number": 0, "depends": [], "name": "tiny", "subdir": "noarch",
        "version": "1",
    }


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", ()),
        (None, ()),
        ("cuda92", ("cuda92",)),
        ("foo,bar", ("foo", "bar")),
        ("foo bar", ("foo", "bar")),
        (" foo , bar ", ("foo", "bar")),
        (["a", "b"], ("a", "b")),
    ],
)
def test_track_features_forms(value, expected):
    assert parse_track_features(value) == expected
    entry = {"name": "x", "version": "1", "build": "0", "track_features": value}
    assert PackageRecord.from_repodata("x-1-0.conda", entry).track_features == expected


def test_timestamps_in_seconds_become_milliseconds():
    assert normalize_timestamp(1_510_715_425) == 1_510_715_425_000
    assert normalize_timestamp(1_510_715_425_612) == 1_510_715_425_612
    assert normalize_timestamp(None) is None


def test_noarch_true_means_generic():
    entry = {"name": "x", "version": "1", "build": "0", "noarch": True}
    assert PackageRecord.from_repodata("x-1-0.conda", entry).noarch == "generic"
    entry["noarch"] = "python"
    assert PackageRecord.from_repodata("x-1-0.conda", entry).noarch == "python"


@pytest.mark.parametrize(
    "entry, missing",
    [
        ({"version": "1", "build": "0"}, "name"),
        ({"name": "x", "build": "0"}, "version"),
        ({"name": "x", "version": 1, "build": "0"}, "version"),
        ({"name": "x", "version": "1"}, "build"),
    ],
)
def test_broken_entries_are_refused_with_the_file_name(entry, missing):
    with pytest.raises(RecordError) as caught:
        PackageRecord.from_repodata("x-1-0.conda", entry)
    assert "x-1-0.conda" in caught.value.message and f"'{missing}'" in caught.value.message


def test_non_integer_build_number_is_refused():
    entry = {"name": "x", "version": "1", "build": "0", "build_number": "3"}
    with pytest.raises(RecordError, match="not an integer"):
        PackageRecord.from_repodata("x-1-0.conda", entry)


def test_records_are_hashable_values_and_versions_are_parsed_once():
    first = PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", NUMPY_ENTRY)
    second = PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", dict(NUMPY_ENTRY))
    assert first == second and len({first, second}) == 1
    assert first.parsed_version is first.parsed_version
    assert str(first.parsed_version) == "2.1.3"
    with pytest.raises(AttributeError):
        first.name = "other"  # type: ignore[misc]


@given(package_records())
def test_repodata_round_trip(record):
    back = PackageRecord.from_repodata(record.fn, record.to_repodata(), channel=record.channel)
    assert back == record
    assert back.to_repodata() == record.to_repodata()


@pytest.mark.parametrize(
    "fn, expected",
    [
        ("numpy-2.1.3-py313h8e6d8d4_0.conda", ("numpy", "2.1.3", "py313h8e6d8d4_0", ".conda")),
        ("python-dateutil-2.9.0-pyhd8ed1ab_0.tar.bz2",
         ("python-dateutil", "2.9.0", "pyhd8ed1ab_0", ".tar.bz2")),
        ("_libgcc_mutex-0.1-conda_forge.tar.bz2", ("_libgcc_mutex", "0.1", "conda_forge", ".tar.bz2")),
        ("r-data.table-1.15.4-r43h0d4f4ea_0.conda",
         ("r-data.table", "1.15.4", "r43h0d4f4ea_0", ".conda")),
        ("x264-1!164.3095-h166bdaf_2.tar.bz2", ("x264", "1!164.3095", "h166bdaf_2", ".tar.bz2")),
        ("a-b-c-d-1.0-0.conda", ("a-b-c-d", "1.0", "0", ".conda")),
    ],
)
def test_parse_package_filename(fn, expected):
    assert parse_package_filename(fn) == PackageFilename(*expected)


@pytest.mark.parametrize(
    "fn",
    ["numpy-2.1.3.conda", "numpy.conda", "numpy-2.1.3-py_0.zip", "-1.0-0.conda", "numpy--0.conda",
     "numpy-1.0-.tar.bz2", ".conda"],
)
def test_parse_package_filename_refuses_other_shapes(fn):
    with pytest.raises(RecordError) as caught:
        parse_package_filename(fn)
    assert fn in caught.value.message


def test_from_repodata_makes_the_value_the_constructor_makes():
    """from_repodata fills a record's fields in one step (a solve reads ~15,000): the result
    must be the same value as the dataclass constructor's, field for field, hash for hash."""
    record = PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", NUMPY_ENTRY,
                                         channel="conda-forge", base_url="https://c/linux-64")
    rebuilt = PackageRecord(**{f.name: getattr(record, f.name) for f in dataclasses.fields(record)})
    assert record == rebuilt and hash(record) == hash(rebuilt) and repr(record) == repr(rebuilt)
    assert set(vars(record)) == {f.name for f in dataclasses.fields(record)}


def test_raw_byte_hashes_become_hex_text():
    """A shard (CEP 16) stores md5 and sha256 as raw bytes; records always hold hex text."""
    entry = {**NUMPY_ENTRY, "md5": bytes.fromhex(NUMPY_ENTRY["md5"]),
             "sha256": bytes.fromhex(NUMPY_ENTRY["sha256"])}
    from_bytes = PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", entry)
    assert from_bytes == PackageRecord.from_repodata("numpy-2.1.3-py313h8e6d8d4_0.conda", NUMPY_ENTRY)
    assert entry["md5"] == bytes.fromhex(NUMPY_ENTRY["md5"])  # the entry is left as it came


@pytest.mark.parametrize("fn", ["x-1-0/../../evil.conda", "x-1-0.conda/..", "x-1-0\\..\\e.tar.bz2",
                                "x-1-0.conda\x00"])
def test_a_file_name_that_only_starts_like_the_archive_is_still_checked(fn):
    """`name-version-build` + an extension is known safe once the name is; anything longer
    that merely starts the same way goes through the full check."""
    with pytest.raises(RecordError, match="unsafe"):
        PackageRecord.from_repodata(fn, {"name": "x", "version": "1", "build": "0"})


def test_depends_on_reads_the_leading_name_of_each_spec():
    """One rule for "does this record need __cuda" (the lock diff and the grader both ask)."""
    import dataclasses

    from minipixi.records import PackageRecord

    record = PackageRecord.from_repodata("a-1-0.conda", {"name": "a", "version": "1", "build": "0",
                                                         "build_number": 0, "depends": [], "subdir": "linux-64"})
    for depends, expected in [(("__cuda >=12",), True), (("__cuda>=12",), True), (("__cuda",), True),
                              (("__cudax",), False), (("python", "__glibc >=2.17"), False), ((), False)]:
        assert dataclasses.replace(record, depends=depends).depends_on("__cuda") is expected, depends


@given(st.text(alphabet=st.sampled_from("ab1.-_+!=~/\\:\x00 é"), max_size=12)
       | st.sampled_from([".", "..", "a" * 255, "a" * 256, "-..-", "C:x"]))
def test_the_plain_name_shortcut_accepts_only_what_the_full_rule_accepts(text):
    """check_record_paths tries a character pattern before `files.check_component`: whatever
    the pattern lets through, the full rule must let through too."""
    if _is_plain_name(text):
        assert check_component(text, what="name") == text


def test_the_unrolled_check_of_fields_taken_as_is_agrees_with_their_table():
    """`_taken_fields_are_plain` writes `_TAKEN_AS_IS` out by hand for speed: a field in the
    table that the expression forgot would let a list into a record unchecked."""
    from minipixi.records import _FIELD_DEFAULTS, _TAKEN_AS_IS, _taken_fields_are_plain

    assert _taken_fields_are_plain(dict(_FIELD_DEFAULTS))
    for key, allowed in _TAKEN_AS_IS.items():
        for wrong in ([1], {"a": 1}, b"x", 1.5, "text" if int in allowed else 1):
            assert not _taken_fields_are_plain({**_FIELD_DEFAULTS, key: wrong}), (key, wrong)
