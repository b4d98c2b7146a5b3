"""The simple repository API (minipixi/pypi/index.py) against an index served on 127.0.0.1.

Every test runs twice: the index answering PEP 691 JSON, and PEP 503 HTML.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, strategies as st
from packaging.tags import Tag
from packaging.version import Version

from minipixi.errors import MinipixiError
from minipixi.files import UnsafePathError
from minipixi.pypi import index
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

LINUX_312 = [Tag("cp312", "cp312", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]


@pytest.fixture(params=["json", "html"])
def served(request, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    one = build_wheel(wheels, "demo", "1.0", modules={"demo/__init__.py": "V = 1\n"},
                      requires=("attrs>=22",))
    two = build_wheel(wheels, "demo", "2.0", tag="cp312-cp312-manylinux_2_17_x86_64",
                      modules={"demo/__init__.py": "V = 2\n"}, extras=("test",),
                      requires=("attrs>=22", 'pytest>=8; extra == "test"',
                                'tomli; python_version < "3.11"'))
    yanked = build_wheel(wheels, "demo", "2.1", modules={"demo/__init__.py": "V = 21\n"})
    newpy = build_wheel(wheels, "demo", "3.0", requires_python=">=3.13",
                        modules={"demo/__init__.py": "V = 3\n"})
    bad = build_wheel(wheels, "bad-hash", "1.0", modules={"bad/__init__.py": ""})
    server = SimpleIndex(mode=request.param)
    server.add("demo", Entry(one.name, one.read_bytes(), metadata=metadata_of(one)))
    server.add("demo", Entry(two.name, two.read_bytes(), requires_python=">=3.9"))
    server.add("demo", Entry(yanked.name, yanked.read_bytes(), yanked="broken build"))
    server.add("demo", Entry(newpy.name, newpy.read_bytes(), requires_python=">=3.13"))
    server.add("only-sdist", Entry("only_sdist-1.0.tar.gz", b"not really a tarball"))
    server.add("bad-hash", Entry(bad.name, bad.read_bytes(), listed_hash="0" * 64))
    server.add("hostile", Entry("../../x.whl", b"payload"))
    with server:
        yield server, tmp_path / "cache"


def test_listing_reads_every_fact_of_a_page(served):
    server, cache = served
    page = index.fetch_project(server.url, "Demo", cache_dir=cache)
    assert page.format == server.mode and page.name == "demo"
    by_name = {dist.filename: dist for dist in page.files}
    assert sorted(by_name) == ["demo-1.0-py3-none-any.whl",
                               "demo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                               "demo-2.1-py3-none-any.whl", "demo-3.0-py3-none-any.whl"]
    one = by_name["demo-1.0-py3-none-any.whl"]
    assert one.metadata and "sha256" in one.metadata and one.yanked is None
    assert one.url.startswith("http://127.0.0.1:") and one.url.endswith("/files/" + one.filename)
    assert len(one.hashes["sha256"]) == 64
    assert by_name["demo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"].requires_python == ">=3.9"
    assert by_name["demo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"].metadata is None
    assert by_name["demo-2.1-py3-none-any.whl"].yanked == "broken build"
    assert server.count("/simple/demo/") == 1


def test_usable_files_follow_tags_requires_python_and_yanking(served):
    server, cache = served
    page = index.fetch_project(server.url, "demo", cache_dir=cache)
    versions = lambda files: [str(dist.version) for dist in files]  # noqa: E731
    assert versions(index.usable_files(page, python_version="3.12", tags=LINUX_312)) == \
        ["2.0", "1.0"]
    assert versions(index.usable_files(page, python_version="3.13", tags=LINUX_312)) == \
        ["3.0", "2.0", "1.0"]
    pure_only = [Tag("py3", "none", "any")]
    assert versions(index.usable_files(page, python_version="3.12", tags=pure_only)) == ["1.0"]
    assert versions(index.usable_files(page, python_version="3.12", tags=pure_only,
                                       pinned=Version("2.1"))) == ["2.1", "1.0"]


def test_metadata_from_the_pep658_file_skips_the_wheel(served):
    server, cache = served
    page = index.fetch_project(server.url, "demo", cache_dir=cache)
    one = next(d for d in page.files if str(d.version) == "1.0")
    metadata = index.fetch_metadata(one, project="demo", cache_dir=cache)
    assert metadata.name == "demo" and metadata.version == Version("1.0")
    assert [str(r) for r in metadata.requires_dist] == ["attrs>=22"]
    assert server.count(f"/files/{one.filename}.metadata") == 1
    assert server.count(f"/files/{one.filename}") == 1  # only the .metadata request


def test_metadata_from_inside_the_wheel_with_extras_and_markers(served):
    server, cache = served
    page = index.fetch_project(server.url, "demo", cache_dir=cache)
    two = next(d for d in page.files if str(d.version) == "2.0")
    metadata = index.fetch_metadata(two, project="demo", cache_dir=cache)
    assert server.count(f"/files/{two.filename}") == 1  # the wheel itself
    assert metadata.provides_extra == ("test",)
    py312 = {"python_version": "3.12"}
    assert [r.name for r in metadata.dependencies((), py312)] == ["attrs"]
    assert [r.name for r in metadata.dependencies(["test"], py312)] == ["attrs", "pytest"]
    assert [r.name for r in metadata.dependencies((), {"python_version": "3.10"})] == \
        ["attrs", "tomli"]


def test_hash_mismatch_is_refused_and_nothing_is_cached(served):
    server, cache = served
    page = index.fetch_project(server.url, "bad-hash", cache_dir=cache)
    with pytest.raises(index.PyPIHashMismatch) as caught:
        index.fetch_file(page.files[0], project="bad-hash", cache_dir=cache)
    assert "0" * 64 in caught.value.message and page.files[0].filename in caught.value.message
    assert not [p for p in (cache / "pypi" / "files").rglob("*") if p.is_file()]


def test_downloaded_file_has_checked_hash_and_is_reused(served):
    server, cache = served
    page = index.fetch_project(server.url, "demo", cache_dir=cache)
    one = next(d for d in page.files if str(d.version) == "1.0")
    first = index.fetch_file(one, project="demo", cache_dir=cache)
    again = index.fetch_file(one, project="demo", cache_dir=cache)
    assert first == again and server.count(f"/files/{one.filename}") == 1
    first.write_bytes(b"corrupted in the cache")  # re-hashed, so downloaded again
    assert index.fetch_file(one, project="demo", cache_dir=cache).read_bytes() != \
        b"corrupted in the cache"


def test_only_sdist_has_no_usable_file_and_no_metadata(served):
    server, cache = served
    page = index.fetch_project(server.url, "only-sdist", cache_dir=cache)
    assert [d.filename for d in page.files] == ["only_sdist-1.0.tar.gz"]
    assert index.usable_files(page, python_version="3.12", tags=LINUX_312) == []
    with pytest.raises(index.IndexError_, match="building from source is not supported"):
        index.fetch_metadata(page.files[0], project="only-sdist", cache_dir=cache)


def test_hostile_file_name_is_refused(served):
    server, cache = served
    with pytest.raises(UnsafePathError) as caught:
        index.fetch_project(server.url, "hostile", cache_dir=cache)
    assert "../../x.whl" in caught.value.message and "/simple/hostile/" in str(caught.value.where)
    assert not (cache / "pypi" / "simple").exists() or not list(
        (cache / "pypi" / "simple").rglob("hostile*"))


def test_revalidation_answers_304_and_offline_reads_the_cache(served):
    server, cache = served
    first = index.fetch_project(server.url, "demo", cache_dir=cache)
    one = next(d for d in first.files if str(d.version) == "1.0")
    index.fetch_metadata(one, project="demo", cache_dir=cache)
    second = index.fetch_project(server.url, "demo", cache_dir=cache)
    assert [status for path, status in server.log if path == "/simple/demo/"] == [200, 304]
    assert second == first
    requests = len(server.log)
    offline = index.fetch_project(server.url, "demo", cache_dir=cache, offline=True)
    assert offline == first
    metadata = index.fetch_metadata(one, project="demo", cache_dir=cache, offline=True)
    assert metadata.version == Version("1.0") and len(server.log) == requests


def test_offline_without_cache_names_the_project(served):
    server, cache = served
    with pytest.raises(index.IndexError_) as caught:
        index.fetch_project(server.url, "demo", cache_dir=cache, offline=True)
    assert "'demo'" in caught.value.message and "offline" in caught.value.message
    assert caught.value.hint and not server.log
    page = index.fetch_project(server.url, "demo", cache_dir=cache)
    two = next(d for d in page.files if str(d.version) == "2.0")
    with pytest.raises(index.IndexError_, match="not cached"):
        index.fetch_file(two, project="demo", cache_dir=cache, offline=True)


def test_unknown_project_and_bad_names(served):
    server, cache = served
    with pytest.raises(index.ProjectNotFound, match="'nothing-here'"):
        index.fetch_project(server.url, "Nothing_Here", cache_dir=cache)
    for name in ("../etc", "a/b", "", "-x"):
        with pytest.raises(MinipixiError):
            index.fetch_project(server.url, name, cache_dir=cache)


def test_a_future_api_major_version_is_refused():
    body = b'{"meta": {"api-version": "2.0"}, "name": "x", "files": []}'
    with pytest.raises(index.IndexError_, match="version '2.0'"):
        index.parse_page(body, index.JSON_TYPE, "http://127.0.0.1/simple/x/", "x")
    page = b'<meta name="pypi:repository-version" content="2.0"><a href="x-1.tar.gz">x-1.tar.gz</a>'
    with pytest.raises(index.IndexError_, match="version '2.0'"):
        index.parse_page(page, "text/html", "http://127.0.0.1/simple/x/", "x")


@pytest.mark.parametrize("page, content_type", [
    (b'<a href="http://[::1/x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>', "text/html"),
    (b'<base href="http://[::1/"><a href="x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>', "text/html"),
    (b'{"meta": {"api-version": "1.0"}, "name": "x", "files": [{"filename": "x-1.0-py3-none-any.whl",'
     b' "url": "http://[::1/x-1.0-py3-none-any.whl", "hashes": {}}]}', index.JSON_TYPE),
])
def test_a_link_that_is_not_a_url_is_one_clear_error(page, content_type):
    """urljoin raises ValueError for an unclosed IPv6 bracket: that was a traceback."""
    with pytest.raises(index.IndexError_, match="not a valid URL"):
        index.parse_page(page, content_type, "http://127.0.0.1/simple/x/", "x")


def test_an_index_url_that_is_not_a_url_is_one_clear_error(tmp_path):
    with pytest.raises(index.IndexError_, match="not a valid URL"):
        index.fetch_project("http://[::1/simple", "x", cache_dir=tmp_path)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                     st.sampled_from(["x-1.0-py3-none-any.whl", "http://[::1/x", "../x", "sha256=zz",
                                      ">=3.9", "file:///etc/passwd"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)), max_leaves=8)
_GOOD_FILE = {"filename": "x-1.0-py3-none-any.whl", "hashes": {"sha256": "00" * 32},
              "url": "https://files.example/x-1.0-py3-none-any.whl"}
_files = st.dictionaries(st.sampled_from(["filename", "url", "hashes", "requires-python", "yanked",
                                          "core-metadata", "dist-info-metadata"]),
                         _values, max_size=2).map(lambda bad: {**_GOOD_FILE, **bad})


@given(st.fixed_dictionaries({"meta": st.one_of(st.just({"api-version": "1.1"}), _values),
                              "name": _values,
                              "files": st.one_of(st.lists(_files, max_size=3), _values)}))
@example({"meta": "0", "name": None, "files": []})  # was an AttributeError
def test_any_json_project_page_gives_a_page_or_one_index_error(page):
    """An index is a stranger: whatever its PEP 691 page holds, the answer is the page's files
    or one error naming the page (IndexError_, or UnsafePathError for a file name that is not
    one), never a traceback."""
    try:
        index.parse_page(json.dumps(page).encode(), index.JSON_TYPE, "https://pypi.example/simple/x/", "x")
    except (index.IndexError_, UnsafePathError) as err:
        assert "pypi.example" in str(err.where)
