"""Channels: names to URLs, mirrors, local channels, the cache key and offline mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.channel.fetch import CacheEntry, SubdirNotFound, candidate_urls, fetch_repodata
from minipixi.channel.load import load_channel_records
from minipixi.channel.names import Channel, download_urls, find_mirrors
from minipixi.errors import ChannelError

CF = "https://conda.anaconda.org/conda-forge"


@pytest.mark.parametrize("text, name, base_url", [
    ("conda-forge", "conda-forge", CF),
    ("  conda-forge  ", "conda-forge", CF),
    ("conda-forge/label/rc", "conda-forge/label/rc", CF + "/label/rc"),
    ("bioconda", "bioconda", "https://conda.anaconda.org/bioconda"),
    ("https://conda.anaconda.org/conda-forge/", "conda-forge", CF),
    ("https://prefix.dev/conda-forge", "conda-forge", "https://prefix.dev/conda-forge"),
    ("https://repo.prefix.dev/bioconda/", "bioconda", "https://repo.prefix.dev/bioconda"),
    ("http://127.0.0.1:8000/chan", "chan", "http://127.0.0.1:8000/chan"),
    ("file:///srv/chan/", "chan", "file:///srv/chan"),
])
def test_parse_names_and_urls(text, name, base_url):
    channel = Channel.parse(text)
    assert (channel.name, channel.base_url, channel.url) == (name, base_url, base_url + "/")
    assert channel.download_bases() == [base_url]


def test_parse_paths_become_file_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for text in ("./chan", "./chan/", "./other/../chan", str(tmp_path / "chan"), "~/chan"):
        assert Channel.parse(text).base_url == (tmp_path / "chan").as_uri()
    assert Channel.parse("../x").base_url == (tmp_path.parent / "x").as_uri()


def test_channel_alias_can_be_changed():
    channel = Channel.parse("conda-forge", channel_alias="https://prefix.dev/")
    assert channel.base_url == "https://prefix.dev/conda-forge"
    assert channel.name == "conda-forge"


@pytest.mark.parametrize("text, message", [
    ("", "cannot be empty"),
    ("conda forge", "not a channel name"),
    ("s3://bucket/chan", "unsupported channel URL scheme 's3'"),
    ("conda-forge::numpy", "not a channel name"),
])
def test_bad_channel_text_is_a_clear_error(text, message):
    with pytest.raises(ChannelError, match=message) as info:
        Channel.parse(text)
    assert info.value.hint


def test_mirrors_longest_prefix_wins_and_the_rest_is_appended():
    mirrors = {
        "https://conda.anaconda.org": ["https://mirror.example/all"],
        "https://conda.anaconda.org/conda-forge/": ["https://a.example/cf", "https://b.example/cf/"],
    }
    assert find_mirrors(CF, mirrors) == ("https://a.example/cf", "https://b.example/cf")
    assert find_mirrors(CF + "/label/rc", mirrors) == ("https://a.example/cf/label/rc",
                                                      "https://b.example/cf/label/rc")
    assert find_mirrors("https://conda.anaconda.org/bioconda", mirrors) == (
        "https://mirror.example/all/bioconda",)
    assert find_mirrors("https://prefix.dev/conda-forge", mirrors) == ()


def test_mirror_prefix_matches_only_at_a_path_boundary():
    mirrors = {CF: ["https://a.example/cf"]}
    assert find_mirrors(CF + "-extra", mirrors) == ()


def test_channel_keeps_its_url_while_downloading_from_mirrors(tmp_path):
    channel = Channel.parse("conda-forge", mirrors={CF: [str(tmp_path), "https://b.example/cf"]})
    assert channel.base_url == CF
    assert channel.download_bases() == [tmp_path.as_uri(), "https://b.example/cf"]


def test_cache_entry_is_per_channel_and_subdir_and_ignores_mirrors(tmp_path):
    plain = CacheEntry.for_subdir(tmp_path, Channel.parse("conda-forge"), "linux-64")
    mirrored = CacheEntry.for_subdir(
        tmp_path, Channel.parse("conda-forge", mirrors={CF: ["https://m.example/cf"]}), "linux-64")
    other = CacheEntry.for_subdir(tmp_path, Channel.parse("conda-forge"), "noarch")
    assert plain == mirrored
    assert plain.path != other.path
    assert plain.path.parent == tmp_path / "repodata"
    assert plain.info_path.name.endswith(".info.json")


def test_candidate_urls_prefer_zst_then_what_worked_last_time():
    base = "https://x.example/c"
    assert candidate_urls(base, "noarch", {}) == [f"{base}/noarch/repodata.json.zst",
                                                  f"{base}/noarch/repodata.json"]
    last = {"url": f"{base}/noarch/repodata.json"}
    assert candidate_urls(base, "noarch", last)[0] == f"{base}/noarch/repodata.json"


# ---- local channels ------------------------------------------------------------------------


def write_channel(root: Path, subdirs: dict[str, dict[str, str]]) -> Path:
    """A channel folder: {subdir: {file name: version}} of package 'demo' (and 'tool')."""
    for subdir, files in subdirs.items():
        packages = {}
        for fn, version in files.items():
            name = fn.rsplit("-", 2)[0]
            packages[fn] = {"name": name, "version": version, "build": "0", "build_number": 0,
                            "depends": [], "subdir": subdir}
        (root / subdir).mkdir(parents=True, exist_ok=True)
        (root / subdir / "repodata.json").write_text(json.dumps(
            {"info": {"subdir": subdir}, "packages.conda": packages}))
    return root


def test_local_channel_is_read_in_place_without_cache(tmp_path):
    chan = write_channel(tmp_path / "chan", {"linux-64": {"demo-1-0.conda": "1"}, "noarch": {}})
    cache = tmp_path / "cache"
    path = fetch_repodata(Channel.parse(str(chan)), "linux-64", cache_dir=cache, offline=True)
    assert path == chan / "linux-64" / "repodata.json"
    assert not cache.exists()


def test_local_channel_missing_subdir_is_subdir_not_found(tmp_path):
    chan = write_channel(tmp_path / "chan", {"noarch": {}})
    with pytest.raises(SubdirNotFound) as info:
        fetch_repodata(Channel.parse(str(chan)), "win-64", cache_dir=tmp_path)
    assert "win-64" in info.value.message


def test_load_channel_records_merges_platform_and_noarch_in_priority_order(tmp_path):
    first = write_channel(tmp_path / "first", {
        "linux-64": {"demo-2-0.conda": "2"}, "noarch": {"tool-1-0.conda": "1"}})
    second = write_channel(tmp_path / "second", {"noarch": {"demo-1-0.conda": "1"}})
    sources = load_channel_records([str(first), str(second)], "linux-64", cache_dir=tmp_path)
    assert [s.label for s in sources] == ["first", "second"]
    assert [r.version for r in sources[0].records("demo")] == ["2"]
    assert [r.subdir for r in sources[0].records("tool")] == ["noarch"]
    # `second` has no linux-64 folder: only its noarch records, no error.
    assert [(r.version, r.channel) for r in sources[1].records("demo")] == [("1", second.as_uri() + "/")]


def test_load_channel_records_without_noarch_is_an_error(tmp_path):
    chan = write_channel(tmp_path / "chan", {"linux-64": {}})
    with pytest.raises(SubdirNotFound, match="noarch"):
        load_channel_records([str(chan)], "linux-64", cache_dir=tmp_path)


def test_offline_mirror_on_disk_serves_a_remote_channel(tmp_path):
    """The teaching-channel setup: conda-forge mirrored by a folder, records keep conda-forge."""
    mirror = write_channel(tmp_path / "teaching", {"linux-64": {"demo-1-0.conda": "1"}, "noarch": {}})
    sources = load_channel_records(["conda-forge"], "linux-64", cache_dir=tmp_path / "cache",
                                   offline=True, mirrors={CF: [mirror.as_uri()]})
    (rec,) = sources[0].records("demo")
    assert rec.url == CF + "/linux-64/demo-1-0.conda"
    assert rec.channel == CF + "/"
    assert sources[0].subdirs[0].label == "conda-forge/linux-64"


def test_offline_without_cache_says_how_to_fill_it(tmp_path):
    with pytest.raises(ChannelError) as info:
        fetch_repodata(Channel.parse("conda-forge"), "linux-64", cache_dir=tmp_path, offline=True)
    assert "offline" in info.value.message and "conda-forge/linux-64" in info.value.message
    assert "online" in info.value.hint


def test_offline_uses_the_cached_copy_without_any_network(tmp_path):
    channel = Channel.parse("https://unreachable.invalid/chan")
    entry = CacheEntry.for_subdir(tmp_path, channel, "noarch")
    entry.path.parent.mkdir(parents=True)
    entry.path.write_text(json.dumps({"packages": {"demo-1-0.tar.bz2": {
        "name": "demo", "version": "1", "build": "0"}}}))
    sources = load_channel_records([channel], "noarch", cache_dir=tmp_path, offline=True)
    assert [r.url for r in sources[0].records("demo")] == [
        "https://unreachable.invalid/chan/noarch/demo-1-0.tar.bz2"]


@pytest.mark.corpus
def test_corpus_channel_conda_format_repo(corpus_dir: Path, tmp_path):
    chan = corpus_dir / "data" / "channels" / "conda_format_repo"
    (source,) = load_channel_records([str(chan)], "linux-64", cache_dir=tmp_path)
    (zlib,) = source.records("zlib")  # the .conda shadows its .tar.bz2 twin
    assert zlib.fn == "zlib-1.2.11-h7b6447c_3.conda"
    assert zlib.url == chan.as_uri() + "/linux-64/zlib-1.2.11-h7b6447c_3.conda"


def test_default_cache_dir_is_minipixi_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "env-cache"))
    channel = Channel.parse("https://unreachable.invalid/chan")
    entry = CacheEntry.for_subdir(tmp_path / "env-cache", channel, "noarch")
    entry.path.parent.mkdir(parents=True)
    entry.path.write_text('{"packages": {}}')
    assert fetch_repodata(channel, "noarch", offline=True) == entry.path


def test_mirror_keys_may_be_channel_names_or_paths(tmp_path):
    assert find_mirrors(CF, {"conda-forge": ["https://a.example/cf"]}) == ("https://a.example/cf",)
    local = Channel.parse(str(tmp_path / "chan")).base_url
    assert find_mirrors(local, {str(tmp_path): ["https://a.example/x"]}) == ("https://a.example/x/chan",)


channel_names = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,12}(/[a-z0-9_.-]{1,8}){0,2}", fullmatch=True)


@given(name=channel_names)
def test_name_url_round_trip(name):
    channel = Channel.parse(name)
    assert channel.base_url == f"https://conda.anaconda.org/{name}"
    assert channel.name == name
    again = Channel.parse(channel.url)
    assert (again.base_url, again.name) == (channel.base_url, name)


def test_download_urls_maps_package_urls_through_mirrors(tmp_path):
    url = CF + "/linux-64/zlib-1.3-h0_0.conda"
    assert download_urls(url, {}) == [url]
    assert download_urls(url, {CF: [tmp_path.as_uri(), "https://m.example/cf"]}) == [
        tmp_path.as_uri() + "/linux-64/zlib-1.3-h0_0.conda",
        "https://m.example/cf/linux-64/zlib-1.3-h0_0.conda",
    ]
