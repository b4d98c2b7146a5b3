"""A shard is a stranger's msgpack: whatever it holds, reading it ends in records or in one
ChannelError, never in a traceback (issue 21, with the safety rules of issue 14). The same
records written as ``repodata.json`` go through the same checks (`repodata.record_from_entry`).

The hash in the index only proves that the server sent the file it meant to send; the file
itself can still be anything msgpack can encode. Hypothesis builds such files: records with
fields of every wrong type (numbers where text belongs, lists where numbers belong, raw bytes,
infinities, nested maps), shards of the wrong shape, and things that are not shards at all.
Each goes through what the shard walk does with a file that passed its hash: decode it, read
the names it depends on, build its records, and hand them to the solver.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import msgpack
import pytest
import zstandard
from hypothesis import example, given, strategies as st

from minipixi.channel.names import Channel
from minipixi.channel.repodata import SubdirRepodata
from minipixi.channel.shards import ShardedSubdir, ShardIndex, dependency_names, parse_index
from minipixi.errors import ChannelError, MinipixiError
from minipixi.records import check_record_paths
from minipixi.solver import RecordIndex, SolveTask, solve

CHANNEL = Channel.parse("https://example.invalid/chan")
SUBDIR = ShardedSubdir(CHANNEL, "linux-64", ShardIndex(
    {}, "https://example.invalid/chan/linux-64/shards/", "https://example.invalid/chan/linux-64",
    "https://example.invalid/chan/linux-64/repodata_shards.msgpack.zst"), gateway=None)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(),
                    st.text(max_size=12), st.binary(max_size=40),
                    st.sampled_from(["../../etc", "a/b", "", ".", "x\0y", "C:evil", "1.0", ">=1",
                                     "http://[::1/a-1.0-h_0.conda", "https://h/a-1.0-h_0.conda",
                                     float("inf"), float("-inf"), float("nan"), 2**64 - 1, True]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)
FIELDS = ["name", "version", "build", "build_number", "depends", "constrains", "subdir", "noarch",
          "track_features", "timestamp", "md5", "sha256", "size", "license", "license_family",
          "url", "fn", "channel", "features", "arch", "platform", "legacy_bz2_md5",
          "legacy_bz2_size", "python_site_packages_path"]
GOOD = {"name": "a", "version": "1.0", "build": "h_0", "build_number": 0, "depends": ["b >=1"],
        "sha256": bytes(32), "md5": bytes(16), "subdir": "linux-64", "timestamp": 1_700_000_000}
# A good record with one or two fields spoiled: each wrong value meets the code that reads it.
records = st.dictionaries(st.sampled_from(FIELDS), values, max_size=2).map(lambda bad: {**GOOD, **bad})
file_names = st.one_of(st.sampled_from(["a-1.0-h_0.conda", "a-1.0-h_0.tar.bz2", "../a.conda"]),
                       st.text(max_size=20))
shards = st.fixed_dictionaries({}, optional={
    "packages": st.one_of(st.dictionaries(file_names, records, max_size=3), values),
    "packages.conda": st.one_of(st.dictionaries(file_names, records, max_size=3), values),
    "removed": st.one_of(st.lists(file_names, max_size=2), values),
})


def read_like_the_walk(content: bytes) -> list:
    """What `ShardGateway.reach` does with a file whose hash matched; returns the records."""
    shard = SUBDIR.decode("a", content, "test")
    dependency_names(shard)
    return SUBDIR.make_records(shard, "test")


def one_record(**spoiled) -> dict:
    return {"packages.conda": {"a-1.0-h_0.conda": {**GOOD, **spoiled}}}


@given(st.one_of(shards, values))
@example(one_record(depends=5))  # was a TypeError while reading the dependency names
@example(one_record(timestamp=float("inf")))  # an OverflowError
@example(one_record(build_number=None))  # a TypeError in the solver's sort
@example(one_record(license=["MIT"]))  # an unhashable record
@example(one_record(md5=5))  # a checksum that is a number
@example(one_record(url="http://[::1/a-1.0-h_0.conda"))  # an install's urlparse failed on it
def test_any_shard_gives_records_or_one_channel_error(shard):
    content = zstandard.ZstdCompressor().compress(msgpack.packb(shard, use_bin_type=True))
    try:
        found = read_like_the_walk(content)
    except ChannelError:
        return
    check_usable(found)


def check_usable(found: list) -> None:
    """Records that were accepted are safe, hashable, of the types the code after them reads,
    and the solver answers in words for them."""
    for record in found:
        assert check_record_paths(record) is record
        hash(record)  # records are set members
        assert record.url is None or urlsplit(record.url)  # an install downloads it
        assert all(isinstance(text, str) for text in record.depends + record.constrains)
        assert record.md5 is None or isinstance(record.md5, str)
        assert record.sha256 is None or isinstance(record.sha256, str)
        assert record.timestamp is None or isinstance(record.timestamp, int)
    try:
        solve(SolveTask(specs=["a"], sources=[RecordIndex(found)], platform="linux-64"))
    except MinipixiError:
        pass  # unsolvable, or a spec the solver cannot read: said in words


@given(st.binary(max_size=200))
def test_any_bytes_give_one_channel_error_or_a_shard(content):
    try:
        read_like_the_walk(zstandard.ZstdCompressor().compress(content))
    except ChannelError:
        pass


def as_json(value):
    """`value` as JSON can hold it: bytes become hex text (as repodata.json writes hashes)."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


@given(st.dictionaries(file_names, records, max_size=3))
@example({"a-1.0-h_0.conda": {**GOOD, "timestamp": float("inf")}})  # json reads Infinity
@example({"a-1.0-h_0.conda": {**GOOD, "license": {"spdx": "MIT"}}})
@example({"a-1.0-h_0.conda": {**GOOD, "url": []}})  # empty, so it passed the path checks
def test_the_same_records_in_repodata_json_give_records_or_one_channel_error(entries):
    body = json.dumps({"info": {"subdir": "linux-64"}, "packages.conda": as_json(entries)}).encode()
    try:
        repodata = SubdirRepodata.from_bytes(body, channel="https://example.invalid/chan/")
        found = [record for name in repodata.names() for record in repodata.records(name)]
    except ChannelError:
        return
    check_usable(found)


urls = st.one_of(values, st.sampled_from(["./", "../../x/", "file:///etc/", "http://[::1", "//evil/",
                                          "javascript:x", "\0", "https://other.example/shards/"]))
indexes = st.fixed_dictionaries({}, optional={
    "version": values,
    "info": st.one_of(values, st.fixed_dictionaries({}, optional={"base_url": urls, "shards_base_url": urls})),
    "shards": st.one_of(values, st.dictionaries(st.text(max_size=10), st.one_of(
        st.binary(min_size=32, max_size=32), values), max_size=3)),
})


@given(st.one_of(indexes, values))
@example({"shards": {}, "info": {"base_url": "http://[::1"}})  # was a ValueError from urljoin
@example({"shards": {}, "info": {"shards_base_url": "http://[::1"}})
@example({"shards": {}, "info": {"base_url": "file:///etc/"}})  # was followed
def test_any_shard_index_gives_an_index_or_one_channel_error(index):
    """The index names where shards come from: whatever it says, the result is an index whose
    shard URLs are http(s), or one ChannelError."""
    try:
        found = parse_index(msgpack.packb(index, use_bin_type=True), channel=CHANNEL, subdir="linux-64",
                            index_url="https://example.invalid/chan/linux-64/repodata_shards.msgpack.zst")
    except ChannelError:
        return
    assert found.shards_base_url.startswith(("http://", "https://"))
    assert found.package_base_url.startswith(("http://", "https://"))  # never file:// from afar
    assert all(isinstance(name, str) and len(digest) == 32 for name, digest in found.shards.items())


def test_a_remote_repodata_json_cannot_point_packages_at_local_files():
    body = json.dumps({"info": {"subdir": "linux-64", "base_url": "file:///etc/"},
                       "packages.conda": {}}).encode()
    with pytest.raises(ChannelError, match="not an http"):
        SubdirRepodata.from_bytes(body, channel="https://example.invalid/chan/")
    local = SubdirRepodata.from_bytes(body, channel="file:///srv/chan/")  # a local channel may
    assert local.base_url == "file:///etc/"
