"""Fetching repodata over HTTP from a channel that the test serves itself on 127.0.0.1.

The server (``http.server`` in a thread) counts requests, answers ``If-None-Match`` /
``If-Modified-Since`` with 304, and can be told to serve broken files or to go away.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zstandard

from minipixi.channel.fetch import CacheEntry, SubdirNotFound, fetch_repodata
from minipixi.channel.load import load_channel_records
from minipixi.channel.names import Channel
from minipixi.errors import ChannelError

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


def repodata_bytes(subdir: str, versions: list[str]) -> bytes:
    packages = {f"demo-{v}-0.conda": {"name": "demo", "version": v, "build": "0",
                                       "depends": ["dep >=1"], "subdir": subdir} for v in versions}
    return json.dumps({"info": {"subdir": subdir}, "packages.conda": packages}, indent=2).encode()


@dataclass
class FakeChannel:
    """What the server serves: {path: bytes}, plus switches and a log of requests."""

    files: dict[str, bytes] = field(default_factory=dict)
    use_etag: bool = True
    use_last_modified: bool = False
    log: list[tuple[str, int]] = field(default_factory=list)  # (path, status)

    def put(self, path: str, body: bytes, *, zst: bool = True, json_too: bool = True) -> None:
        if zst:
            self.files[path + ".zst"] = zstandard.ZstdCompressor(write_checksum=True).compress(body)
        if json_too:
            self.files[path] = body

    def requests(self, suffix: str = "") -> list[tuple[str, int]]:
        return [entry for entry in self.log if entry[0].endswith(suffix)]


def make_handler(channel: FakeChannel):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            body = channel.files.get(self.path)
            if body is None:
                return self.reply(404, b"not found")
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers = {}
            if channel.use_etag:
                headers["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    return self.reply(304, b"", headers)
            if channel.use_last_modified:
                headers["Last-Modified"] = LAST_MODIFIED
                if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                    return self.reply(304, b"", headers)
            self.reply(200, body, headers)

        def reply(self, status, body, headers=None):
            channel.log.append((self.path, status))
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


@dataclass
class Server:
    channel: FakeChannel
    httpd: ThreadingHTTPServer
    url: str

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def start_server() -> Server:
    channel = FakeChannel()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(channel))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return Server(channel, httpd, f"http://127.0.0.1:{httpd.server_address[1]}")


@pytest.fixture
def server():
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def served(server):
    """A channel 'chan' with linux-64 (demo 1, 2) and an empty noarch, .zst and .json."""
    server.channel.put("/chan/linux-64/repodata.json", repodata_bytes("linux-64", ["1", "2"]))
    server.channel.put("/chan/noarch/repodata.json", repodata_bytes("noarch", []))
    return server


def fetch(server, tmp_path, subdir="linux-64", *, offline=False, mirrors=None) -> Path:
    return fetch_repodata(Channel.parse(server.url + "/chan", mirrors=mirrors), subdir,
                          cache_dir=tmp_path, offline=offline)


def test_zst_is_preferred_and_cached_decompressed(served, tmp_path):
    path = fetch(served, tmp_path)
    assert served.channel.log == [("/chan/linux-64/repodata.json.zst", 200)]
    assert path.read_bytes() == served.channel.files["/chan/linux-64/repodata.json"]
    info = json.loads(CacheEntry.for_subdir(tmp_path, Channel.parse(served.url + "/chan"),
                                            "linux-64").info_path.read_text())
    assert info["url"] == served.url + "/chan/linux-64/repodata.json.zst"
    assert info["etag"].startswith('"')


def test_second_fetch_is_a_304_without_download(served, tmp_path):
    first = fetch(served, tmp_path)
    mtime = first.stat().st_mtime_ns
    second = fetch(served, tmp_path)
    assert second == first and second.stat().st_mtime_ns == mtime
    assert [status for _, status in served.channel.log] == [200, 304]


def test_changed_repodata_is_downloaded_again(served, tmp_path):
    fetch(served, tmp_path)
    new = repodata_bytes("linux-64", ["1", "2", "3"])
    served.channel.put("/chan/linux-64/repodata.json", new)
    assert fetch(served, tmp_path).read_bytes() == new
    assert [status for _, status in served.channel.log] == [200, 200]


def test_json_fallback_when_there_is_no_zst(served, tmp_path):
    del served.channel.files["/chan/linux-64/repodata.json.zst"]
    path = fetch(served, tmp_path)
    assert served.channel.log == [("/chan/linux-64/repodata.json.zst", 404),
                                  ("/chan/linux-64/repodata.json", 200)]
    assert path.read_bytes() == served.channel.files["/chan/linux-64/repodata.json"]
    fetch(served, tmp_path)  # remembered: the .json is asked first, conditionally
    assert served.channel.log[-1] == ("/chan/linux-64/repodata.json", 304)


def test_last_modified_revalidation_without_etag(served, tmp_path):
    served.channel.use_etag, served.channel.use_last_modified = False, True
    fetch(served, tmp_path)
    fetch(served, tmp_path)
    assert [status for _, status in served.channel.log] == [200, 304]


def test_missing_subdir_is_subdir_not_found(served, tmp_path):
    with pytest.raises(SubdirNotFound) as info:
        fetch(served, tmp_path, subdir="win-64")
    assert "win-64" in info.value.message
    assert [status for _, status in served.channel.log] == [404, 404]


@pytest.mark.parametrize("break_it, message", [
    (lambda z: z[: len(z) // 2], "truncated"),
    (lambda z: z[:20] + bytes(b ^ 0xFF for b in z[20:40]) + z[40:], "not valid zstd"),
    (lambda z: b"<html>oops</html>", "not valid zstd"),
])
def test_corrupt_zst_is_a_clear_error_and_keeps_the_cache(served, tmp_path, break_it, message):
    fetch(served, tmp_path, subdir="noarch")
    good = fetch(served, tmp_path).read_bytes()
    zst = served.channel.files["/chan/linux-64/repodata.json.zst"]
    served.channel.files["/chan/linux-64/repodata.json.zst"] = break_it(zst)
    with pytest.raises(ChannelError, match=message) as info:
        fetch(served, tmp_path)
    assert info.value.where == served.url + "/chan/linux-64/repodata.json.zst"
    entry = CacheEntry.for_subdir(tmp_path, Channel.parse(served.url + "/chan"), "linux-64")
    assert entry.path.read_bytes() == good
    assert not list(entry.path.parent.glob("*.partial"))
    # The cache still works, offline too.
    (source,) = load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path,
                                     offline=True)
    assert sorted(r.version for r in source.records("demo")) == ["1", "2"]


@pytest.mark.parametrize("body", [
    lambda good: good[: len(good) // 2],  # truncated JSON
    lambda good: b"<html><body>502 Bad Gateway</body></html>",  # not JSON at all
])
def test_truncated_or_non_json_is_a_clear_error_and_keeps_the_cache(served, tmp_path, body):
    del served.channel.files["/chan/linux-64/repodata.json.zst"]
    good = fetch(served, tmp_path).read_bytes()
    served.channel.files["/chan/linux-64/repodata.json"] = body(good)
    with pytest.raises(ChannelError, match="not a complete JSON object") as info:
        fetch(served, tmp_path)
    assert info.value.where == served.url + "/chan/linux-64/repodata.json"
    entry = CacheEntry.for_subdir(tmp_path, Channel.parse(served.url + "/chan"), "linux-64")
    assert entry.path.read_bytes() == good


def test_server_down_with_warm_cache_works_offline(served, tmp_path):
    load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path)
    requests_so_far = len(served.channel.log)
    served.stop()
    with pytest.raises(ChannelError, match="cannot reach") as info:
        load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path)
    assert "--offline" in info.value.hint
    (source,) = load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path,
                                     offline=True)
    assert sorted(r.version for r in source.records("demo")) == ["1", "2"]
    assert source.records("demo")[0].url.startswith(served.url + "/chan/linux-64/demo-")
    assert len(served.channel.log) == requests_so_far


def test_offline_with_a_cold_cache_is_a_clear_error(served, tmp_path):
    with pytest.raises(ChannelError, match="no cached repodata") as info:
        fetch(served, tmp_path, offline=True)
    assert "online" in info.value.hint
    assert served.channel.log == []


def test_server_error_is_reported_with_its_status(served, tmp_path):
    served.stop()
    broken = start_server()
    try:
        broken.httpd.RequestHandlerClass.do_GET = lambda self: self.reply(503, b"busy")
        with pytest.raises(ChannelError, match="HTTP 503"):
            fetch(broken, tmp_path)
    finally:
        broken.stop()


# ---- mirrors -------------------------------------------------------------------------------


@pytest.fixture
def mirror(served):
    """A second server holding the same channel under another path."""
    other = start_server()
    for path, body in served.channel.files.items():
        other.channel.files[path.replace("/chan/", "/mirrored/chan/")] = body
    yield other
    other.stop()


def dead_url() -> str:
    gone = start_server()
    gone.stop()
    return gone.url


def test_mirror_is_used_instead_of_the_channel_and_records_keep_the_channel_url(served, mirror, tmp_path):
    channel_url = served.url + "/chan"
    mirrors = {served.url: [mirror.url + "/mirrored"]}
    (source,) = load_channel_records([channel_url], "linux-64", cache_dir=tmp_path, mirrors=mirrors)
    assert served.channel.log == []  # the original is not used unless it is listed
    assert sorted(p for p, _ in mirror.channel.log) == ["/mirrored/chan/linux-64/repodata.json.zst",
                                                        "/mirrored/chan/noarch/repodata.json.zst"]
    assert all(r.url.startswith(channel_url + "/linux-64/") for r in source.records("demo"))
    assert all(r.channel == channel_url + "/" for r in source.records("demo"))


def test_mirrors_are_tried_in_order(served, mirror, tmp_path):
    mirrors = {served.url + "/chan": [dead_url() + "/chan", mirror.url + "/mirrored/chan", served.url + "/chan"]}
    fetch(served, tmp_path, mirrors=mirrors)
    assert mirror.channel.log == [("/mirrored/chan/linux-64/repodata.json.zst", 200)]
    assert served.channel.log == []


def test_all_mirrors_failing_lists_each_failure(served, tmp_path):
    mirrors = {served.url + "/chan": [dead_url() + "/a", served.url + "/nothing-here"]}
    with pytest.raises(ChannelError) as info:
        fetch(served, tmp_path, mirrors=mirrors)
    assert "any of its 2 mirrors" in info.value.message
    assert "cannot reach" in info.value.details and "HTTP 404" in info.value.details


def test_cache_filled_through_a_mirror_serves_the_channel_offline(served, mirror, tmp_path):
    mirrors = {served.url: [mirror.url + "/mirrored"]}
    load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path, mirrors=mirrors)
    mirror.stop()
    (source,) = load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path,
                                     offline=True)
    assert len(source.records("demo")) == 2


def test_zst_with_several_frames_is_read_whole(served, tmp_path):
    body = served.channel.files["/chan/linux-64/repodata.json"]
    compress = zstandard.ZstdCompressor(write_checksum=True).compress
    served.channel.files["/chan/linux-64/repodata.json.zst"] = b"".join(
        compress(body[i:i + 100]) for i in range(0, len(body), 100))
    assert fetch(served, tmp_path).read_bytes() == body


def test_subdirs_of_remote_channels_are_downloaded_at_the_same_time(served, tmp_path):
    """Each repodata request waits until the other one has arrived too: fetched one after the
    other, the first would time out (and the load fail); fetched together, both pass."""
    meet = threading.Barrier(2, timeout=5)
    original = served.httpd.RequestHandlerClass.do_GET

    def do_get(handler):
        if handler.path.endswith("repodata.json.zst"):
            meet.wait()
        original(handler)

    served.httpd.RequestHandlerClass.do_GET = do_get
    loaded = load_channel_records([served.url + "/chan"], "linux-64", cache_dir=tmp_path)
    assert [s.subdir for s in loaded[0].subdirs] == ["linux-64", "noarch"]
    assert sorted(str(r.version) for r in loaded[0].records("demo")) == ["1", "2"]
