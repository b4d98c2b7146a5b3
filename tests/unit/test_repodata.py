"""Lazy repodata: the byte-offset index finds exactly the records a full JSON parse finds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.errors import ChannelError
from minipixi.records import PackageRecord
from minipixi.channel.repodata import SubdirRepodata, index_repodata, shadow_tar_bz2

CHANNEL = "https://conda.anaconda.org/conda-forge/"


def record(name, version="1.0", build="0", **extra):
    return {"name": name, "version": version, "build": build, "build_number": 0,
            "depends": extra.pop("depends", []), "subdir": "linux-64", **extra}


def repodata(packages=None, conda=None, **top):
    return {"info": {"subdir": "linux-64"}, "packages": packages or {},
            "packages.conda": conda or {}, **top}


def load(doc, **dumps) -> SubdirRepodata:
    data = json.dumps(doc, **dumps).encode()
    return SubdirRepodata.from_bytes(data, channel=CHANNEL, subdir="linux-64")


def expected_records(doc) -> dict[str, set[str]]:
    """What a full json parse says: file names per package name, .conda shadowing .tar.bz2."""
    entries = {**doc.get("packages", {}), **doc.get("packages.conda", {})}
    out: dict[str, set[str]] = {}
    for fn in shadow_tar_bz2(sorted(entries)):
        out.setdefault(entries[fn]["name"], set()).add(fn)
    return out


def test_records_of_a_name_carry_url_and_channel():
    doc = repodata(packages={"zlib-1.3-h0_0.tar.bz2": record("zlib", "1.3", "h0_0")})
    (rec,) = load(doc, indent=2).records("zlib")
    assert isinstance(rec, PackageRecord)
    assert (rec.name, rec.version, rec.build, rec.fn) == ("zlib", "1.3", "h0_0", "zlib-1.3-h0_0.tar.bz2")
    assert rec.url == CHANNEL + "linux-64/zlib-1.3-h0_0.tar.bz2"
    assert rec.channel == CHANNEL


def test_conda_file_shadows_its_tar_bz2_twin_but_not_other_builds():
    doc = repodata(
        packages={"a-1-0.tar.bz2": record("a", "1", "0"), "a-2-0.tar.bz2": record("a", "2", "0")},
        conda={"a-1-0.conda": record("a", "1", "0")},
    )
    assert sorted(r.fn for r in load(doc).records("a")) == ["a-1-0.conda", "a-2-0.tar.bz2"]


def test_names_with_dashes_and_unknown_names():
    doc = repodata(conda={
        "python-dateutil-2.9.0-pyhd8ed1ab_0.conda": record("python-dateutil", "2.9.0", "pyhd8ed1ab_0"),
        "python-3.13.1-h0_0.conda": record("python", "3.13.1", "h0_0"),
    })
    repo = load(doc)
    assert repo.names() == ["python", "python-dateutil"]
    assert [r.version for r in repo.records("python")] == ["3.13.1"]
    assert repo.records("numpy") == []


def test_only_the_asked_name_is_decoded(monkeypatch):
    doc = repodata(conda={f"p{i}-1-0.conda": record(f"p{i}") for i in range(50)})
    repo = load(doc)
    built = []
    original = PackageRecord.from_repodata.__func__

    def counting(cls, fn, data, **kw):
        built.append(fn)
        return original(cls, fn, data, **kw)

    monkeypatch.setattr(PackageRecord, "from_repodata", classmethod(counting))
    repo.records("p7")
    repo.records("p7")  # remembered: not decoded twice
    assert built == ["p7-1-0.conda"]


def test_signatures_keyed_by_file_name_are_not_records():
    doc = repodata(conda={"a-1-0.conda": record("a")},
                   signatures={"a-1-0.conda": {"abc123": {"signature": "00ff"}},
                               "b-1-0.conda": {"abc123": {"signature": "00ff"}}})
    repo = load(doc, indent=1)
    assert repo.names() == ["a"]
    assert [r.fn for r in repo.records("a")] == ["a-1-0.conda"]


def test_info_base_url_relative_and_absolute():
    rec = {"a-1-0.conda": record("a")}
    relative = repodata(conda=rec)
    relative["info"]["base_url"] = "../files/linux-64"
    assert load(relative).records("a")[0].url == CHANNEL + "files/linux-64/a-1-0.conda"
    absolute = repodata(conda=rec)
    absolute["info"]["base_url"] = "https://cdn.example.org/cf/linux-64/"
    assert load(absolute).records("a")[0].url == "https://cdn.example.org/cf/linux-64/a-1-0.conda"


def test_a_broken_record_names_the_source_and_spares_the_others():
    text = json.dumps(repodata(conda={"a-1-0.conda": record("a"), "b-1-0.conda": record("b")}))
    text = text.replace('"name": "a"', '"name": "a" "oops"')
    repo = SubdirRepodata.from_bytes(text.encode(), channel=CHANNEL, subdir="linux-64",
                                     source="https://example.org/linux-64/repodata.json")
    assert [r.name for r in repo.records("b")] == ["b"]
    with pytest.raises(ChannelError) as info:
        repo.records("a")
    assert "a-1-0.conda" in info.value.message
    assert info.value.where == "https://example.org/linux-64/repodata.json"


def test_neighbouring_records_decode_together_and_a_broken_one_is_still_named():
    """A name's records side by side in the file are decoded by one JSON call; one broken
    record among them still gets its own error, and the other names are untouched."""
    doc = repodata(conda={**{f"a-{i}-0.conda": record("a", str(i)) for i in range(5)},
                          "b-1-0.conda": record("b")})
    assert [r.version for r in load(doc, indent=1).records("a")] == ["0", "1", "2", "3", "4"]
    text = json.dumps(doc).replace('"version": "2"', '"version": "2" "oops"')
    repo = SubdirRepodata.from_bytes(text.encode(), channel=CHANNEL, subdir="linux-64")
    assert [r.name for r in repo.records("b")] == ["b"]
    with pytest.raises(ChannelError, match="a-2-0.conda"):
        repo.records("a")


def test_a_record_without_version_is_a_channel_error():
    bad = record("a")
    del bad["version"]
    with pytest.raises(ChannelError, match="version"):
        load(repodata(conda={"a-1-0.conda": bad})).records("a")


@pytest.mark.parametrize("text", [b"", b"<html>502 Bad Gateway</html>", b'{"packages": {"a-1-0.conda": {"na'])
def test_truncated_or_non_json_is_rejected_on_open(text, tmp_path):
    path = tmp_path / "linux-64" / "repodata.json"
    path.parent.mkdir()
    path.write_bytes(text)
    with pytest.raises(ChannelError, match="not a complete JSON object") as info:
        SubdirRepodata.read(path)
    assert info.value.where == str(path)


def test_read_from_a_channel_folder_defaults_channel_and_subdir(tmp_path):
    path = tmp_path / "chan" / "osx-arm64" / "repodata.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"packages": {"a-1-0.tar.bz2": record("a")}}))
    repo = SubdirRepodata.read(path)
    assert repo.subdir == "osx-arm64"
    assert repo.records("a")[0].url == (tmp_path / "chan").as_uri() + "/osx-arm64/a-1-0.tar.bz2"


def test_index_holds_offsets_not_objects():
    doc = repodata(conda={"a-1-0.conda": record("a"), "a-2-0.conda": record("a", "2")})
    data = json.dumps(doc).encode()
    index = index_repodata(data)
    assert set(index.by_name) == {"a"}
    assert all(isinstance(offset, int) for offset in index.by_name["a"])
    assert [data[o:o + 13] for o in sorted(index.by_name["a"])] == [b'"a-1-0.conda"', b'"a-2-0.conda"']


# ---- property: the index agrees with a full parse, whatever the JSON layout ----------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True)
builds = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)
# Strings that look like keys or braces must not fool the byte scan.
tricky = st.sampled_from(['x.conda": {', "a-1-0.tar.bz2", '{"}', "\\", "é ü", "packages.conda"])


@st.composite
def repodata_docs(draw):
    entries = draw(st.lists(st.tuples(names, versions, builds, st.sampled_from([".conda", ".tar.bz2", "both"]),
                                      st.lists(tricky, max_size=2)), max_size=12))
    doc = {"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}
    for name, version, build, kind, depends in entries:
        for ext in (".conda", ".tar.bz2") if kind == "both" else (kind,):  # "both": twins
            section = "packages.conda" if ext == ".conda" else "packages"
            doc[section][f"{name}-{version}-{build}{ext}"] = record(name, version, build, depends=depends)
    if draw(st.booleans()):
        doc["signatures"] = {fn: {"k": {"signature": "00"}} for fn in doc["packages.conda"]}
    doc["removed"] = draw(st.lists(st.sampled_from(["z-1-0.tar.bz2", "y-1-0.conda"]), max_size=2))
    return doc


@given(doc=repodata_docs(), indent=st.sampled_from([None, 0, 1, 2, 4]),
       compact=st.booleans(), sort_keys=st.booleans(), ascii_only=st.booleans())
def test_index_matches_a_full_parse(doc, indent, compact, sort_keys, ascii_only):
    separators = (",", ":") if compact else None
    repo = load(doc, indent=indent, separators=separators, sort_keys=sort_keys,
                ensure_ascii=ascii_only)
    expected = expected_records(doc)
    assert repo.names() == sorted(expected)
    for name, fns in expected.items():
        got = repo.records(name)
        assert {r.fn for r in got} == fns
        entries = {**doc["packages"], **doc["packages.conda"]}
        assert all(list(r.depends) == entries[r.fn]["depends"] for r in got)


# ---- the real indexes in the corpus --------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", [
    "mamba__conda-forge-numpy-linux-64.json",  # has a "signatures" section
    "rattler__dummy-linux-64.json",  # .conda files in "packages" too
    "rattler__pytorch-linux-64.json",
    "conda__main_noarch.json",
])
def test_corpus_repodata_matches_a_full_parse(corpus_dir: Path, name: str):
    path = corpus_dir / "data" / "repodata" / name
    doc = json.loads(path.read_text())
    repo = SubdirRepodata.read(path, channel=CHANNEL, subdir="linux-64")
    expected = expected_records(doc)
    assert repo.names() == sorted(expected)
    for package, fns in expected.items():
        assert {r.fn for r in repo.records(package)} == fns


# ---- differential: the same records as py-rattler's SparseRepoData -------------------------


def rattler_vs_ours(rattler, path: Path, subdir: str) -> dict[str, tuple[list, list]]:
    """{name: (rattler's (fn, url) list, ours)} for every name where they differ."""
    sparse = rattler.SparseRepoData(rattler.Channel(CHANNEL), subdir, str(path))
    ours = SubdirRepodata.read(path, channel=CHANNEL, subdir=subdir)
    assert sorted(sparse.package_names()) == ours.names()
    differ = {}
    for name in ours.names():
        theirs = sorted((r.file_name, r.url) for r in sparse.load_records(rattler.PackageName(name)))
        mine = sorted((r.fn, r.url) for r in ours.records(name))
        if theirs != mine:
            differ[name] = (theirs, mine)
    return differ


@pytest.mark.corpus
@pytest.mark.parametrize("name, subdir", [
    pytest.param("mamba__conda-forge-numpy-linux-64.json", "linux-64", marks=pytest.mark.xfail(
        strict=True, raises=OSError,
        reason='py-rattler cannot read this real index ("constrains": null); we can')),
    ("rattler__pytorch-linux-64.json", "linux-64"),
    ("conda__main_noarch.json", "noarch"),
])
def test_same_records_as_py_rattler(rattler, corpus_dir: Path, name: str, subdir: str):
    assert rattler_vs_ours(rattler, corpus_dir / "data" / "repodata" / name, subdir) == {}


@pytest.mark.corpus
@pytest.mark.xfail(strict=True, reason=(
    "rattler shadows a .tar.bz2 only by a twin in 'packages.conda'; we (like conda) shadow by "
    "file name wherever the .conda is listed, and this test channel lists one in 'packages'"))
def test_same_records_as_py_rattler_conda_file_in_packages(rattler, corpus_dir: Path):
    path = corpus_dir / "data" / "repodata" / "rattler__dummy-linux-64.json"
    assert rattler_vs_ours(rattler, path, "linux-64") == {}


def _conda_shadowing(files: list) -> list:
    """Apply conda's rule to a (fn, url) list: a .tar.bz2 with a .conda twin is not offered."""
    names = {fn for fn, _ in files}
    return [(fn, url) for fn, url in files
            if not (fn.endswith(".tar.bz2") and fn[: -len(".tar.bz2")] + ".conda" in names)]


@given(doc=repodata_docs())
def test_same_records_as_py_rattler_on_random_indexes(rattler, tmp_path_factory, doc):
    """Same names, files and URLs as py-rattler. py-rattler 0.28 sometimes keeps a .tar.bz2
    beside its .conda twin (it depends on the order of the entries: e.g. b-0-0.tar.bz2 stays
    when b-1-0.conda comes between the twins); we always shadow it, as conda does, so the
    comparison applies that rule to rattler's side too (see also the strict xfail above)."""
    path = tmp_path_factory.mktemp("chan") / "repodata.json"
    path.write_text(json.dumps(doc, indent=1))
    differ = rattler_vs_ours(rattler, path, "linux-64")
    assert {name: pair for name, pair in differ.items() if _conda_shadowing(pair[0]) != pair[1]} == {}
