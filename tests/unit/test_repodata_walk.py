"""channel/repodata.py's two ways to index a file agree: the walk over the top level (one pass,
the usual way) and the search for section keys (the way for unusual files), whatever the
order of the sections, the JSON layout, or a "signatures" section keyed by file names."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.channel.repodata import index_repodata, search_records, walk_top_level
from minipixi.errors import ChannelError

names = st.from_regex(r"[a-z][a-z0-9_]{0,5}(-[a-z]{1,3})?", fullmatch=True)
# Values that look like keys, braces or escapes must not fool either scan.
texts = st.sampled_from(["x", 'y.conda": {', "}", "{}", "\\", "é", "packages.conda", "a-1-0.tar.bz2"])


@st.composite
def repodata_docs(draw, nested: bool = False):
    doc: dict = {}
    packages: dict = {}
    conda: dict = {}
    for name in draw(st.lists(names, max_size=8)):
        fn = f"{name}-1.{draw(st.integers(0, 9))}-0"
        entry = {"name": name, "version": "1.0", "build": "0", "depends": draw(st.lists(texts, max_size=2))}
        if nested and draw(st.booleans()):
            entry["extra"] = {"k": {"x": 1}}  # a nested object: the walk gives up, the search does not
        if draw(st.booleans()):
            packages[fn + ".tar.bz2"] = entry
        else:
            conda[fn + ".conda"] = entry
    sections = [("info", {"subdir": "linux-64"}), ("metadata", {"repodata_version": 2}),
                ("packages", packages), ("packages.conda", conda),
                ("removed", draw(st.lists(st.sampled_from(["z-1-0.tar.bz2", "y-1-0.conda"]), max_size=3))),
                ("repodata_version", 1),
                ("signatures", {fn: {"pk": {"signature": "00"}} for fn in conda})]
    chosen = draw(st.lists(st.sampled_from(sections), unique_by=lambda s: s[0], min_size=1))
    doc.update(chosen)
    return doc


def encode(doc, indent, compact, ascii_only) -> bytes:
    return json.dumps(doc, indent=indent, separators=(",", ":") if compact else None,
                      ensure_ascii=ascii_only).encode()


layouts = dict(indent=st.sampled_from([None, 0, 1, 2]), compact=st.booleans(), ascii_only=st.booleans())


@given(doc=repodata_docs(), **layouts)
def test_the_walk_reads_every_usual_file_as_the_search_does(doc, indent, compact, ascii_only):
    data = encode(doc, indent, compact, ascii_only)
    walked = walk_top_level(data)
    assert walked is not None
    assert walked == search_records(data, "test")


@given(doc=repodata_docs(nested=True), **layouts)
def test_an_unusual_file_is_left_to_the_search(doc, indent, compact, ascii_only):
    data = encode(doc, indent, compact, ascii_only)
    walked = walk_top_level(data)
    assert walked is None or walked == search_records(data, "test")
    index = index_repodata(data)
    sections, by_name = search_records(data, "test")
    assert (index.sections, index.by_name) == (sections, {k.decode(): v for k, v in by_name.items()})


def test_signatures_after_a_number_are_still_not_records():
    data = b'{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0"}},' \
           b' "repodata_version": 1, "signatures": {"b-1-0.tar.bz2": {"pk": {"signature": "00"}}}}'
    assert set(index_repodata(data).by_name) == {"a"}


@pytest.mark.parametrize("data", [
    b'{"packages": {"a-1-0.tar.bz2": 5}}',
    b'{"packages": {"a-1-0.tar.bz2": {"name": "a"}, "b-1-0.tar.bz2": []}}',
])
def test_an_entry_that_is_not_an_object_is_still_named(data):
    with pytest.raises(ChannelError, match="is not an object"):
        index_repodata(data)


def test_a_nested_object_in_a_record_makes_the_walk_give_up_not_guess():
    data = (b'{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "x": {"k": 1}},'
            b' "b-1-0.tar.bz2": {"name": "b", "version": "1", "build": "0"}}}')
    assert walk_top_level(data) is None
    assert set(index_repodata(data).by_name) == {"a", "b"}
