"""Sharded repodata (CEP 16) from a channel the test builds and serves itself on 127.0.0.1.

The server serves one small channel both ways (``repodata.json[.zst]`` and shards), answers
``If-None-Match`` with 304, and logs each request with its status and body size, so the tests
can say exactly which shards were fetched and how many bytes that cost.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgpack
import pytest
import zstandard

from minipixi.channel.load import load_channel_records
from minipixi.config import Config, load_config
from minipixi.errors import ChannelError, MinipixiError
from minipixi.channel.shards import build_shards, digest_matches
from minipixi.app.project import open_project
from minipixi.app.relock import update_lock

# ---- a channel: a few names with depends chains, .tar.bz2/.conda twins, a noarch package -------


def record(name: str, version: str, build: str, subdir: str, depends=(), **extra) -> dict:
    digest = hashlib.sha256(f"{name}-{version}-{build}-{subdir}".encode()).hexdigest()
    return {"build": build, "build_number": int(build.rsplit("_", 1)[-1]), "depends": list(depends),
            "license": "MIT", "md5": digest[:32], "name": name, "sha256": digest,
            "size": 1000 + len(name), "subdir": subdir, "timestamp": 1700000000000,
            "version": version, **extra}


def channel_repodata(*, with_extra: bool = False) -> dict[str, dict]:
    """{subdir: repodata.json object}. `with_extra` adds package 'extra' (and its 'newdep')."""
    linux: dict[str, dict] = {"packages": {}, "packages.conda": {}}
    noarch: dict[str, dict] = {"packages": {}, "packages.conda": {}}

    def add(repo, subdir, name, version, build, depends=(), ext=".conda", **extra):
        section = "packages.conda" if ext == ".conda" else "packages"
        repo[section][f"{name}-{version}-{build}{ext}"] = record(name, version, build, subdir,
                                                                 depends, **extra)

    for v in ("1.0", "1.1", "2.0"):
        add(linux, "linux-64", "libz", v, "h1_0", ["libc >=1"])
    add(linux, "linux-64", "libz", "0.9", "h1_0", ["libc >=1"], ext=".tar.bz2")
    add(linux, "linux-64", "libc", "1.0", "h2_0")
    add(linux, "linux-64", "libc", "1.0", "h2_0", ext=".tar.bz2")  # shadowed by its .conda twin
    add(linux, "linux-64", "python", "3.12.1", "h3_0", ["libz >=1", "libc"])
    add(linux, "linux-64", "python", "3.13.0", "h3_0", ["libz >=1.1", "libc"],
        constrains=["tool >=2"])
    add(linux, "linux-64", "app", "1.0", "py_0", ["python >=3.12", "helper"])
    add(linux, "linux-64", "app", "1.1", "py_0", ["python >=3.13", "helper >=0.2"])
    add(linux, "linux-64", "unused", "1.0", "h_0", ["libc"])  # nothing reaches it
    for i in range(100):  # the rest of a channel, which no solve here reaches
        for v in ("1.0", "2.0"):
            add(linux, "linux-64", f"other{i}", v, "h_0", ["libc", f"other{i // 2}"])
    add(noarch, "noarch", "helper", "0.1", "pyh_0", ["python"], noarch="python")
    add(noarch, "noarch", "helper", "0.2", "pyh_0", ["python", "libz"], noarch="python")
    if with_extra:
        add(linux, "linux-64", "extra", "1.0", "h_0", ["libc", "newdep"])
        add(linux, "linux-64", "newdep", "1.0", "h_0", ["libz"])
    return {"linux-64": {"info": {"subdir": "linux-64"}, **linux},
            "noarch": {"info": {"subdir": "noarch"}, **noarch}}


# ---- the server ------------------------------------------------------------------------------


@dataclass
class Served:
    files: dict[str, bytes] = field(default_factory=dict)
    log: list[tuple[str, int, int]] = field(default_factory=list)  # (path, status, body bytes)
    stall: float = 0.0  # seconds to wait before answering a shard request

    def paths(self, status: int | None = None) -> list[str]:
        return [p for p, s, _ in self.log if status is None or s == status]

    def bytes_sent(self) -> int:
        return sum(size for _, _, size in self.log)


def make_handler(served: Served):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if served.stall and "/shards/" in self.path:
                time.sleep(served.stall)
            body = served.files.get(self.path)
            if body is None:
                return self.reply(404, b"not found")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self.reply(304, b"", etag)
            self.reply(200, body, etag)

        def reply(self, status, body, etag=None):
            served.log.append((self.path, status, len(body)))
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@dataclass
class Server:
    served: Served
    httpd: ThreadingHTTPServer
    url: str

    def publish(self, repodata: dict[str, dict], *, shards: bool = True, index_info=None) -> None:
        """Serve `repodata` under /chan/<subdir>/ both ways (shards only if `shards`)."""
        compress = zstandard.ZstdCompressor().compress
        for subdir, repo in repodata.items():
            body = json.dumps(repo, indent=1).encode()
            self.served.files[f"/chan/{subdir}/repodata.json"] = body
            self.served.files[f"/chan/{subdir}/repodata.json.zst"] = compress(body)
            if shards:
                info = dict((index_info or {}).get(subdir, {}))
                folder = info.pop("shards_folder", f"/chan/{subdir}/shards/")
                index, files = build_shards(repo, **info)
                self.served.files[f"/chan/{subdir}/repodata_shards.msgpack.zst"] = index
                for name, content in files.items():
                    self.served.files[folder + name] = content

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 64  # shards are fetched in parallel; 5 would drop connects for 1 s


@pytest.fixture
def server():
    served = Served()
    httpd = Backlogged(("127.0.0.1", 0), make_handler(served))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    running = Server(served, httpd, f"http://127.0.0.1:{httpd.server_address[1]}")
    running.publish(channel_repodata())
    yield running
    running.stop()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIPIXI_OFFLINE", raising=False)
    return tmp_path


def workspace(folder: Path, channel: str, deps: dict[str, str], *, sharded: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(f'{name} = "{spec}"\n' for name, spec in deps.items())
    (folder / "pixi.toml").write_text(
        f'[workspace]\nname = "ws"\nchannels = ["{channel}"]\nplatforms = ["linux-64"]\n\n'
        f"[dependencies]\n{lines}")
    if not sharded:
        (folder / ".pixi").mkdir(exist_ok=True)
        (folder / ".pixi" / "config.toml").write_text("[repodata-config]\ndisable-sharded = true\n")
    return folder / "pixi.toml"


def lock_text(manifest: Path, *, offline: bool = False) -> str:
    update_lock(open_project(manifest, offline=offline))
    return (manifest.parent / "pixi.lock").read_text()


def shard_requests(served: Served) -> list[str]:
    return [p for p in served.paths() if p.endswith(".msgpack.zst") and "/shards/" in p]


def shard_of(server: Server, subdir: str, name: str) -> str:
    """The served path of `name`'s shard in `subdir` (read back from the served index)."""
    index = msgpack.unpackb(zstandard.ZstdDecompressor().stream_reader(
        server.served.files[f"/chan/{subdir}/repodata_shards.msgpack.zst"]).read())
    return f"/chan/{subdir}/shards/{index['shards'][name].hex()}.msgpack.zst"


def cache_snapshot(cache: Path) -> dict[str, bytes]:
    return {str(p.relative_to(cache)): p.read_bytes() for p in sorted(cache.rglob("*")) if p.is_file()}


# ---- the same answers, fewer bytes -------------------------------------------------------------


def test_lock_from_shards_equals_lock_from_repodata_json(server, isolated, monkeypatch):
    channel = server.url + "/chan"
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(isolated / "cache-mono"))
    mono = lock_text(workspace(isolated / "mono", channel, {"app": "*"}, sharded=False))
    assert shard_requests(server.served) == []
    json_bytes = server.served.bytes_sent()
    server.served.log.clear()

    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(isolated / "cache-sharded"))
    sharded = lock_text(workspace(isolated / "sharded", channel, {"app": "*"}))
    assert sharded == mono
    assert "app" in sharded and "helper" in sharded and "sha256: " in sharded
    assert not any("repodata.json" in p for p in server.served.paths())
    fetched = {(p.split("/")[2], p) for p in shard_requests(server.served)}
    reached = {("linux-64", shard_of(server, "linux-64", n)) for n in ("app", "python", "libz", "libc")}
    reached |= {("noarch", shard_of(server, "noarch", "helper"))}
    assert fetched == reached  # breadth first over depends: never 'unused', never a 404
    assert shard_of(server, "linux-64", "unused") not in server.served.paths()
    assert server.served.bytes_sent() < json_bytes


def test_second_lock_after_adding_a_package_fetches_only_the_new_shards(server, isolated):
    manifest = workspace(isolated / "ws", server.url + "/chan", {"app": "*"})
    lock_text(manifest)
    server.publish(channel_repodata(with_extra=True))  # the channel gains 'extra' and 'newdep'
    server.served.log.clear()
    manifest.write_text(manifest.read_text() + 'extra = "*"\n')
    text = lock_text(manifest)
    assert "extra-1.0" in text and "newdep-1.0" in text
    assert sorted(shard_requests(server.served)) == sorted(
        [shard_of(server, "linux-64", "extra"), shard_of(server, "linux-64", "newdep")])
    indexes = [(p, s) for p, s, _ in server.served.log if p.endswith("repodata_shards.msgpack.zst")]
    assert sorted(s for _, s in indexes) == [200, 304]  # linux-64 changed, noarch revalidated


def test_offline_lock_from_cached_shards_and_a_missing_shard_names_its_package(server, isolated):
    manifest = workspace(isolated / "ws", server.url + "/chan", {"app": "*"})
    online = lock_text(manifest)
    server.publish(channel_repodata(with_extra=True))
    (isolated / "ws" / "pixi.lock").unlink()
    lock_text(manifest)  # the new index is cached, the shards of 'extra' are not
    server.stop()
    (isolated / "ws" / "pixi.lock").unlink()
    assert lock_text(manifest, offline=True) == online
    manifest.write_text(manifest.read_text() + 'extra = "*"\n')
    with pytest.raises(ChannelError) as info:
        lock_text(manifest, offline=True)
    assert "offline" in info.value.message and "'extra'" in info.value.message
    assert "without --offline" in info.value.hint


# ---- broken channels ---------------------------------------------------------------------------


def load(server: Server, cache: Path, offline: bool = False):
    (linux,) = load_channel_records([server.url + "/chan"], "linux-64", cache_dir=cache,
                                    offline=offline, sharded=lambda url: True)
    return linux


def test_a_shard_that_does_not_match_its_hash_is_an_error_and_nothing_is_cached(server, tmp_path):
    load(server, tmp_path).records("libc")  # fills the cache with a few shards
    before = cache_snapshot(tmp_path)
    path = shard_of(server, "linux-64", "app")
    server.served.files[path] = server.served.files[shard_of(server, "linux-64", "libc")]
    with pytest.raises(ChannelError) as info:
        load(server, tmp_path).records("app")
    assert "'app'" in info.value.message and "does not match its sha256" in info.value.message
    assert path in str(info.value.where)
    after = cache_snapshot(tmp_path)
    assert {k: v for k, v in after.items() if "shards-v1" in k} == \
        {k: v for k, v in before.items() if "shards-v1" in k}


def test_a_corrupt_shard_is_an_error_naming_its_package(server, tmp_path):
    """The index lists the hash of the broken bytes: the hash holds, the content does not."""
    repo = channel_repodata()["linux-64"]
    index, files = build_shards(repo)
    broken = b"\x28\xb5\x2f\xfd this is not zstd"
    digest = hashlib.sha256(broken).digest()
    table = msgpack.unpackb(zstandard.ZstdDecompressor().stream_reader(index).read())
    table["shards"]["python"] = digest
    server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"] = zstandard.ZstdCompressor(
        ).compress(msgpack.packb(table, use_bin_type=True))
    server.served.files[f"/chan/linux-64/shards/{digest.hex()}.msgpack.zst"] = broken
    with pytest.raises(ChannelError) as info:
        load(server, tmp_path).records("python")
    assert "shard of package 'python'" in info.value.message and "zstd" in info.value.message
    assert not (tmp_path / "shards-v1" / f"{digest.hex()}.msgpack.zst").exists()


def test_a_missing_shard_is_an_error_naming_its_package(server, tmp_path):
    del server.served.files[shard_of(server, "noarch", "helper")]
    with pytest.raises(ChannelError) as info:
        load(server, tmp_path).records("app")
    assert "'helper'" in info.value.message and "HTTP 404" in info.value.message


def test_download_bounds_hold_for_shards(server, tmp_path, monkeypatch):
    """The bounds of http.py (MINIPIXI_* variables) apply to the index and to each shard."""
    monkeypatch.setenv("MINIPIXI_STALL_TIMEOUT", "0.3")
    server.served.stall = 1.0
    with pytest.raises(ChannelError, match="MINIPIXI_STALL_TIMEOUT") as info:
        load(server, tmp_path).records("app")
    assert "/shards/" in str(info.value.where)
    assert not (tmp_path / "shards-v1").exists() or not any((tmp_path / "shards-v1").iterdir())
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "200")
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_REPODATA_SIZE") as info:
        load(server, tmp_path / "small")
    assert "repodata_shards.msgpack.zst" in str(info.value.where)


@pytest.mark.parametrize("index, message", [
    (b"not zstd at all", "not valid zstd"),
    (zstandard.ZstdCompressor().compress(b"\xc1 not msgpack"), "not valid msgpack"),
    (zstandard.ZstdCompressor().compress(msgpack.packb({"shards": {"a": b"short"}})), "'shards'"),
    (zstandard.ZstdCompressor().compress(msgpack.packb(
        {"info": {"shards_base_url": "file:///etc/"}, "shards": {}})), "not an http"),
])
def test_a_broken_index_is_one_clear_error_and_keeps_the_cache(server, tmp_path, index, message):
    load(server, tmp_path).records("libc")
    before = cache_snapshot(tmp_path)
    server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"] = index
    with pytest.raises(ChannelError, match=message) as info:
        load(server, tmp_path)
    assert "repodata_shards.msgpack.zst" in str(info.value.where)
    kept = lambda snapshot: {k: v for k, v in snapshot.items() if not k.endswith("info.json")}
    assert kept(cache_snapshot(tmp_path)) == kept(before)


def test_a_shard_matches_the_hash_of_its_file_or_of_the_msgpack_inside():
    """rattler-index (prefix.dev) hashes the .msgpack.zst file, older conda-index the msgpack."""
    inner = msgpack.packb({"packages": {}, "packages.conda": {}}, use_bin_type=True)
    content = zstandard.ZstdCompressor().compress(inner)
    assert digest_matches(content, hashlib.sha256(content).digest())
    assert digest_matches(content, hashlib.sha256(inner).digest())
    assert not digest_matches(content, hashlib.sha256(b"something else").digest())
    assert not digest_matches(b"not zstd", hashlib.sha256(inner).digest())


def test_no_index_falls_back_to_repodata_json(server, tmp_path):
    del server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"]
    linux = load(server, tmp_path)
    assert [str(r.version) for r in linux.records("libz")] == ["0.9", "1.0", "1.1", "2.0"]
    assert "/chan/linux-64/repodata.json.zst" in server.served.paths(200)
    assert ("/chan/linux-64/repodata_shards.msgpack.zst", 404) in [(p, s) for p, s, _ in server.served.log]
    assert "/chan/noarch/repodata.json.zst" not in server.served.paths()  # noarch kept its shards


def test_a_missing_index_is_remembered_for_fourteen_days(server, tmp_path):
    """rattler's rule: a 404 for the index is not asked again for 14 days, so a channel
    without shards costs one round trip per subdir once, not on every load."""
    del server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"]
    index = ("/chan/linux-64/repodata_shards.msgpack.zst", 404)
    load(server, tmp_path)
    second = load(server, tmp_path)
    assert [(p, s) for p, s, _ in server.served.log].count(index) == 1
    assert [str(r.version) for r in second.records("libz")] == ["0.9", "1.0", "1.1", "2.0"]

    # Fifteen days on, the channel is asked again, and now it serves shards: they are used.
    (marker,) = (tmp_path / "repodata").glob("*linux-64*.shards.missing.json")
    note = json.loads(marker.read_text())
    marker.write_text(json.dumps({**note, "checked": note["checked"] - 15 * 24 * 3600}))
    server.publish(channel_repodata())
    server.served.log.clear()
    third = load(server, tmp_path)
    assert ("/chan/linux-64/repodata_shards.msgpack.zst", 200) in [(p, s) for p, s, _ in server.served.log]
    assert len(third.records("app")) == 2
    assert not any(p.endswith("repodata.json.zst") for p in server.served.paths())

    # A note we cannot read, or from a clock set back, is not believed.
    del server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"]
    load(server, tmp_path)
    for text in ("not json", json.dumps({"url": note["url"], "checked": time.time() + 10**6})):
        marker.write_text(text)
        server.served.log.clear()
        load(server, tmp_path)
        assert index in [(p, s) for p, s, _ in server.served.log]


def test_offline_without_a_cached_index_uses_the_cached_repodata(server, tmp_path):
    load_channel_records([server.url + "/chan"], "linux-64", cache_dir=tmp_path)  # json only
    server.stop()
    linux = load(server, tmp_path, offline=True)
    assert len(linux.records("app")) == 2


# ---- the format: removed, hashes, base URLs ------------------------------------------------------


def test_records_from_shards_equal_records_from_repodata_json(server, tmp_path):
    sharded = load(server, tmp_path / "a")
    plain, = load_channel_records([server.url + "/chan"], "linux-64", cache_dir=tmp_path / "b")
    for name in ("app", "python", "libz", "libc", "helper", "unused", "nothing"):
        assert sharded.records(name) == plain.records(name), name
    libc = sharded.records("libc")
    assert [r.fn for r in libc] == ["libc-1.0-h2_0.conda"]  # .conda shadows its .tar.bz2 twin
    assert len(libc[0].sha256) == 64 and len(libc[0].md5) == 32  # bytes back to hex


def test_removed_files_are_not_offered(server, tmp_path):
    repo = channel_repodata()["linux-64"]
    index, files = build_shards(repo)
    table = msgpack.unpackb(zstandard.ZstdDecompressor().stream_reader(index).read())
    shard = msgpack.unpackb(zstandard.ZstdDecompressor().stream_reader(
        files[f"{table['shards']['libz'].hex()}.msgpack.zst"]).read())
    shard["removed"] = ["libz-2.0-h1_0.conda"]
    content = zstandard.ZstdCompressor().compress(msgpack.packb(shard, use_bin_type=True))
    table["shards"]["libz"] = hashlib.sha256(content).digest()
    server.served.files["/chan/linux-64/repodata_shards.msgpack.zst"] = zstandard.ZstdCompressor(
        ).compress(msgpack.packb(table, use_bin_type=True))
    server.served.files[f"/chan/linux-64/shards/{hashlib.sha256(content).hexdigest()}.msgpack.zst"] = content
    assert [str(r.version) for r in load(server, tmp_path).records("libz")] == ["0.9", "1.0", "1.1"]


def test_absolute_and_relative_base_urls_are_followed(server, tmp_path):
    server.publish(channel_repodata(), index_info={
        "linux-64": {"base_url": "https://files.example.org/pkgs/linux-64",
                     "shards_base_url": server.url + "/elsewhere/", "shards_folder": "/elsewhere/"},
        "noarch": {"base_url": "../noarch-files/", "shards_base_url": "../../shard-store/",
                   "shards_folder": "/shard-store/"},
    })
    for path in [p for p in server.served.files if "/shards/" in p]:
        del server.served.files[path]  # only the new places hold shards
    linux = load(server, tmp_path)
    assert [r.url for r in linux.records("libc")] == [
        "https://files.example.org/pkgs/linux-64/libc-1.0-h2_0.conda"]
    assert [r.url for r in linux.records("helper")][0] == \
        server.url + "/chan/noarch-files/helper-0.1-pyh_0.conda"
    assert all(r.channel == server.url + "/chan/" for r in linux.records("helper"))
    assert any(p.startswith("/elsewhere/") for p in server.served.paths(200))
    assert any(p.startswith("/shard-store/") for p in server.served.paths(200))


def test_a_mirror_serves_the_shards_and_records_still_name_the_channel(server, tmp_path):
    for path, body in list(server.served.files.items()):
        server.served.files["/mirror" + path] = body
    channel = server.url + "/chan"
    (linux,) = load_channel_records([channel], "linux-64", cache_dir=tmp_path, sharded=lambda url: True,
                                    mirrors={channel: [server.url + "/mirror/chan"]})
    assert [r.url for r in linux.records("libc")] == [channel + "/linux-64/libc-1.0-h2_0.conda"]
    assert server.served.paths() and all(p.startswith("/mirror/chan/") for p in server.served.paths())
    assert any("/shards/" in p for p in server.served.paths(200))


# ---- config --------------------------------------------------------------------------------------


def test_disable_sharded_as_pixi_writes_it(tmp_path):
    (tmp_path / ".pixi").mkdir()
    (tmp_path / ".pixi" / "config.toml").write_text(
        '[repodata-config]\ndisable-sharded = true\n\n'
        '[repodata-config."https://prefix.dev/"]\ndisable-sharded = false\n')
    config = load_config(tmp_path)
    assert config.use_shards("https://prefix.dev/conda-forge")
    assert not config.use_shards("https://conda.anaconda.org/conda-forge")
    assert Config().use_shards("https://conda.anaconda.org/conda-forge")


@pytest.mark.parametrize("text, message", [
    ("[repodata-config]\ndisable-zstd = true\n", "disable-zstd"),
    ("[repodata-config]\ndisable-sharded = 1\n", "true or false"),
    ('[repodata-config."https://x.org"]\nsharded = false\n', "sharded"),
])
def test_repodata_config_minipixi_does_not_implement_is_an_error(tmp_path, text, message):
    (tmp_path / ".pixi").mkdir()
    (tmp_path / ".pixi" / "config.toml").write_text(text)
    with pytest.raises(MinipixiError, match=message) as info:
        load_config(tmp_path)
    assert "config.toml" in str(info.value.where)


# ---- differential: py-rattler's Gateway reads the same shards ------------------------------------


def test_rattler_gateway_finds_the_same_records(server, tmp_path, rattler):
    if not hasattr(rattler, "Gateway") or not hasattr(rattler, "SourceConfig"):
        pytest.skip("this py-rattler has no Gateway with SourceConfig")
    del server.served.files["/chan/linux-64/repodata.json"]  # so rattler can only read shards
    del server.served.files["/chan/linux-64/repodata.json.zst"]
    gateway = rattler.Gateway(cache_dir=tmp_path / "rattler",
                              default_config=rattler.SourceConfig(sharded_enabled=True))
    specs = ["app", "unused"]
    found = asyncio.run(gateway.query([rattler.Channel(server.url + "/chan")],
                                      ["linux-64", "noarch"], specs, recursive=True))
    files = {r.file_name for records in found for r in records}
    theirs = sorted((r.name.normalized, str(r.version), str(r.build), r.sha256.hex(), r.md5.hex(),
                     r.url) for records in found for r in records  # minipixi keeps .conda twins
                    if r.file_name.removesuffix(".tar.bz2") + ".conda" not in files)
    linux = load(server, tmp_path / "ours")
    names = {name for name, *_ in theirs}
    ours = sorted((r.name, r.version, r.build, r.sha256, r.md5, r.url)
                  for name in names for r in linux.records(name))
    assert names == {"app", "python", "libz", "libc", "helper", "unused"}
    assert ours == theirs


def test_the_cycle_collector_is_paused_only_while_shards_are_decoded():
    import gc

    from minipixi.channel.shards import cycle_collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with cycle_collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("a broken shard")
    assert gc.isenabled()  # back on after an error
    gc.disable()  # a program that turned it off itself keeps it off
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
