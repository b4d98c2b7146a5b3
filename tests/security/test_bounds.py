"""Bounds on everything that can blow up on the way in (issue 14, "Hangs and bombs").

Each test builds its hostile input itself: a lock file with a YAML alias bomb, an HTTP server on
127.0.0.1 that trickles, declares or sends too much (it runs in a thread of this test, answers
only while the test runs, and stops with it), a compressed bomb, malformed repodata. The limits
of `minipixi.http` are set low through their environment variables so each case ends in about a
second; the defaults are tested for being what the documentation says.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zstandard

from minipixi import http
from minipixi.channel.fetch import CacheEntry, fetch_repodata
from minipixi.channel.load import load_channel_records
from minipixi.channel.names import Channel
from minipixi.errors import ChannelError, LockError
from minipixi.lock.read import parse_lock, read_lock
from minipixi.channel.repodata import SubdirRepodata

MiB = 2**20

# ---- the lock file --------------------------------------------------------------------------

ALIAS_BOMB = """\
version: 6
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
environments: *i
packages: []
"""

MANIFEST = """\
[workspace]
name = "bomb"
channels = ["conda-forge"]
platforms = ["linux-64"]

[dependencies]
"""


def test_alias_bomb_in_lock_is_refused_before_it_is_expanded():
    started = time.monotonic()
    with pytest.raises(LockError) as info:
        parse_lock(ALIAS_BOMB, "pixi.lock")
    assert time.monotonic() - started < 2
    error = info.value
    assert "pixi.lock" in error.message and "anchor" in error.message
    assert error.where.line == 2  # the first anchor, `&a`
    assert "regenerate" in error.hint or "remove" in error.hint


def test_a_lone_alias_or_anchor_is_refused_too():
    with pytest.raises(LockError, match="alias") as info:
        parse_lock("version: 6\npackages: *x\n", "pixi.lock")
    assert info.value.where.line == 2
    with pytest.raises(LockError, match="anchor"):
        parse_lock("version: &v 6\nenvironments: {}\npackages: []\n", "pixi.lock")


def test_alias_bomb_does_not_hang_a_command(tmp_path):
    """The whole CLI, in a child with 1 GiB of address space: exit 1, the error, no traceback."""
    (tmp_path / "pixi.toml").write_text(MANIFEST)
    (tmp_path / "pixi.lock").write_text(ALIAS_BOMB)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    env = {**os.environ, "MINIPIXI_OFFLINE": "1", "MINIPIXI_HOME": str(tmp_path / "home"),
           "MINIPIXI_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "minipixi", "list", "--frozen"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60,
                          preexec_fn=limit_memory)
    assert proc.returncode == 1, proc.stderr
    assert "anchor" in proc.stderr and "pixi.lock" in proc.stderr
    assert "Traceback" not in proc.stderr and "this is a bug" not in proc.stderr


@pytest.mark.parametrize("depth", [200, 5000, 100_000])
def test_lock_nesting_depth_is_bounded(depth):
    deep = "version: 6\nenvironments: " + "[" * depth + "]" * depth + "\npackages: []\n"
    with pytest.raises(LockError, match="nest") as info:
        parse_lock(deep, "pixi.lock")
    assert info.value.where.line == 2
    if depth == 200:  # deeper ones are stopped by libyaml's own limit (1000) first
        assert "MAX_LOCK_DEPTH" in info.value.message


def test_lock_size_is_bounded(tmp_path, monkeypatch):
    from minipixi.lock import yaml_dialect as lock_yaml

    assert lock_yaml.MAX_LOCK_SIZE >= 64 * MiB  # generous: real locks are a few MB
    monkeypatch.setattr(lock_yaml, "MAX_LOCK_SIZE", 1000)
    path = tmp_path / "pixi.lock"
    path.write_text("version: 6\n" + "# padding\n" * 200)
    with pytest.raises(LockError, match="larger than") as info:
        read_lock(path)
    assert "MAX_LOCK_SIZE" in info.value.message and str(path) in info.value.message
    with pytest.raises(LockError, match="MAX_LOCK_SIZE"):  # text handed over directly, too
        parse_lock(path.read_text(), "pixi.lock")


# ---- hostile HTTP servers -------------------------------------------------------------------


class Behaviour:
    """What the server does for one path: a status, headers, and a body given as pieces with a
    pause before each. `stop` ends every answer in progress (set when the test ends)."""

    def __init__(self, body=b"", *, status=200, headers=None, pieces=None, pause=0.0,
                 length: int | None = -1):
        self.status, self.headers = status, dict(headers or {})
        self.pieces = pieces if pieces is not None else [body]
        self.pause = pause
        total = sum(len(p) for p in self.pieces)
        self.length = total if length == -1 else length  # None: no Content-Length


@pytest.fixture
def server():
    """{path: Behaviour} served on 127.0.0.1; stops (and ends slow answers) when the test ends."""
    routes: dict[str, Behaviour] = {}
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self):
            try:
                super().handle()
            except OSError:  # the client hung up: expected when it gives up on us
                pass

        def do_GET(self):  # noqa: N802 (http.server's naming)
            route = routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(route.status)
            for key, value in route.headers.items():
                self.send_header(key, value)
            if route.length is not None:
                self.send_header("Content-Length", str(route.length))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            try:
                for piece in route.pieces:
                    if route.pause and stop.wait(route.pause):
                        return
                    self.wfile.write(piece)
                    self.wfile.flush()
            except OSError:  # the client gave up: that is the point of most of these tests
                return
            if route.length is None:
                self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def low_limits(monkeypatch):
    """Limits small enough that every hostile case ends in about a second."""
    monkeypatch.setenv("MINIPIXI_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("MINIPIXI_STALL_TIMEOUT", "1")
    monkeypatch.setenv("MINIPIXI_DOWNLOAD_DEADLINE", "2")
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "1MiB")
    monkeypatch.setenv("MINIPIXI_MAX_PACKAGE_SIZE", "1MiB")


def leftovers(folder: Path) -> list[str]:
    """Everything below `folder` except cache metadata: what a failed download left behind."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


REPODATA = json.dumps({"info": {"subdir": "noarch"}, "packages.conda": {
    "demo-1.0-0.conda": {"name": "demo", "version": "1.0", "build": "0", "build_number": 0,
                         "depends": [], "subdir": "noarch"}}}).encode()


def fetch(base: str, cache: Path) -> Path:
    return fetch_repodata(Channel.parse(base), "noarch", cache_dir=cache)


def test_a_trickling_repodata_server_hits_the_stall_timeout(server, low_limits, tmp_path):
    routes, base = server
    routes["/noarch/repodata.json.zst"] = Behaviour(pieces=[b"x"] * 50, pause=2.0)
    started = time.monotonic()
    with pytest.raises(ChannelError) as info:
        fetch(base, tmp_path / "cache")
    assert time.monotonic() - started < 6
    assert "MINIPIXI_STALL_TIMEOUT" in info.value.message and "1 s" in info.value.message
    assert f"{base}/noarch/repodata.json.zst" in str(info.value.where)
    assert leftovers(tmp_path / "cache") == []


def test_a_slow_but_steady_server_hits_the_deadline(server, low_limits, tmp_path):
    """One byte every 0.3 s never stalls for 1 s, but the file must arrive within 2 s."""
    routes, base = server
    routes["/noarch/repodata.json"] = Behaviour(pieces=[b"x"] * 100, pause=0.3)
    started = time.monotonic()
    with pytest.raises(ChannelError, match="MINIPIXI_DOWNLOAD_DEADLINE") as info:
        fetch(base, tmp_path / "cache")
    assert time.monotonic() - started < 6
    assert "2 s" in info.value.message and base in str(info.value.where)
    assert leftovers(tmp_path / "cache") == []


def test_trickled_headers_hit_the_deadline(tmp_path, low_limits):
    """A server that sends its status line and headers one byte at a time, forever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def trickle():
        listener.settimeout(5)
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/pkg.conda"
    started = time.monotonic()
    try:
        with pytest.raises(ChannelError, match="MINIPIXI_DOWNLOAD_DEADLINE"):
            http.download(url, tmp_path / "pkg.conda")
        assert time.monotonic() - started < 6
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    assert leftovers(tmp_path) == []


def test_connect_timeout(tmp_path, low_limits):
    """A listener whose queue is full: the kernel drops our SYN, connect() would wait minutes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue (never accepted)
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(ChannelError) as info:
            http.download(f"http://127.0.0.1:{port}/x.conda", tmp_path / "x.conda")
        assert time.monotonic() - started < 6
        message = info.value.message
        assert "MINIPIXI_CONNECT_TIMEOUT" in message or "MINIPIXI_DOWNLOAD_DEADLINE" in message
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_url_no_parser_reads_is_a_download_error(tmp_path):
    """The last line of defence, whatever wrote the URL (a channel, a mirror, an index)."""
    for url in ("http://[::1/x", "http://host:port/x", "http://h\x00/x"):
        with pytest.raises(http.DownloadError, match="not a valid URL"):
            http.fetch_bytes(url)


def test_a_failed_download_drops_the_ones_still_queued():
    """When one download of a batch fails (or Ctrl-C), the error reaches the user at once: the
    downloads still queued never start. (ThreadPoolExecutor's own block would run all of them
    first; on a slow network that is minutes for nothing.)"""
    started = []

    def job(number: int) -> None:
        started.append(number)
        if number == 0:
            raise ChannelError("the first download fails")
        time.sleep(0.2)  # each other download takes a while

    begun = time.monotonic()
    with pytest.raises(ChannelError, match="first download fails"):
        with http.download_threads(1) as pool:
            futures = [pool.submit(job, number) for number in range(20)]
            futures[0].result()
    assert started[0] == 0 and len(started) <= 2  # the one running when it failed, at most
    assert time.monotonic() - begun < 2  # not 19 x 0.2 s


def test_a_trickling_package_server_fails_the_install_download(server, low_limits, tmp_path):
    from minipixi.install import package_cache

    routes, base = server
    routes["/pkg-1-0.conda"] = Behaviour(pieces=[b"x"] * 50, pause=2.0)
    cache = tmp_path / "pkgs"
    started = time.monotonic()
    with pytest.raises(ChannelError, match="MINIPIXI_STALL_TIMEOUT") as info:
        package_cache.download(f"{base}/pkg-1-0.conda", cache / "pkg-1-0.conda", retries=0)
    assert time.monotonic() - started < 6
    assert f"{base}/pkg-1-0.conda" in str(info.value.where)
    assert leftovers(cache) == []


# ---- bombs and oversized answers -------------------------------------------------------------


def zstd_bomb(size: int) -> bytes:
    """`size` zero bytes, zstd-compressed (a few kB for hundreds of MB), with no size declared."""
    compressor = zstandard.ZstdCompressor(level=3, write_content_size=False)
    chunk = b"\0" * MiB
    out = compressor.compressobj()
    parts = [out.compress(chunk) for _ in range(size // MiB)]
    parts.append(out.flush())
    return b"".join(parts)


def test_zstd_repodata_bomb_is_capped(server, low_limits, tmp_path):
    routes, base = server
    bomb = zstd_bomb(64 * MiB)
    assert len(bomb) < 48_000
    routes["/noarch/repodata.json.zst"] = Behaviour(bomb)
    cache = tmp_path / "cache"
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_REPODATA_SIZE") as info:
        fetch(base, cache)
    assert "1 MiB" in info.value.message and "repodata.json.zst" in str(info.value.where)
    assert leftovers(cache) == []


def test_zstd_bomb_declaring_a_huge_content_size_is_capped(server, low_limits, tmp_path):
    routes, base = server
    bomb = zstandard.ZstdCompressor(level=3).compress(b"{" + b" " * (64 * MiB) + b"}")
    routes["/noarch/repodata.json.zst"] = Behaviour(bomb)
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_REPODATA_SIZE"):
        fetch(base, tmp_path / "cache")
    assert leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_content_encoding_bomb_is_capped(server, low_limits, tmp_path, encoding):
    """httpx would decode a Content-Encoding in memory, unbounded: we decode it ourselves."""
    routes, base = server
    if encoding == "gzip":
        body = gzip.compress(b"{" + b" " * (16 * MiB) + b"}", compresslevel=6)
    else:
        body = zstd_bomb(64 * MiB)
    routes["/noarch/repodata.json"] = Behaviour(body, headers={"Content-Encoding": encoding})
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_REPODATA_SIZE"):
        fetch(base, tmp_path / "cache")
    assert leftovers(tmp_path / "cache") == []


def test_gzip_content_encoding_within_the_cap_is_decoded(server, low_limits, tmp_path):
    routes, base = server
    routes["/noarch/repodata.json"] = Behaviour(gzip.compress(REPODATA),
                                                headers={"Content-Encoding": "gzip"})
    path = fetch(base, tmp_path / "cache")
    assert path.read_bytes() == REPODATA


def test_a_previous_cache_survives_a_bomb(server, low_limits, tmp_path):
    routes, base = server
    routes["/noarch/repodata.json.zst"] = Behaviour(zstandard.ZstdCompressor().compress(REPODATA))
    cache = tmp_path / "cache"
    path = fetch(base, cache)
    before = leftovers(cache)
    routes["/noarch/repodata.json.zst"] = Behaviour(zstd_bomb(64 * MiB))  # a new ETag-less body
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_REPODATA_SIZE"):
        fetch(base, cache)
    assert path.read_bytes() == REPODATA and leftovers(cache) == before


def test_package_larger_than_declared_cap_is_refused_before_download(server, low_limits, tmp_path):
    from minipixi.install import package_cache

    routes, base = server
    # Declares 10 GiB but sends a few bytes: refused on the header, nothing read or written.
    routes["/big-1-0.conda"] = Behaviour(pieces=[b"x" * 10], length=10 * 2**30)
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_PACKAGE_SIZE") as info:
        package_cache.download(f"{base}/big-1-0.conda", tmp_path / "pkgs" / "big-1-0.conda", retries=0)
    assert "10 GiB" in info.value.message and "1 MiB" in info.value.message
    assert leftovers(tmp_path / "pkgs") == []


def test_package_sending_more_than_the_cap_is_cut_off(server, low_limits, tmp_path):
    from minipixi.install import package_cache

    routes, base = server
    routes["/big-1-0.conda"] = Behaviour(pieces=[b"x" * 65536] * 64, length=None)  # 4 MiB
    with pytest.raises(ChannelError, match="MINIPIXI_MAX_PACKAGE_SIZE"):
        package_cache.download(f"{base}/big-1-0.conda", tmp_path / "pkgs" / "big-1-0.conda", retries=0)
    assert leftovers(tmp_path / "pkgs") == []


def test_package_within_the_limits_downloads(server, low_limits, tmp_path):
    from minipixi.install import package_cache

    routes, base = server
    routes["/ok-1-0.conda"] = Behaviour(pieces=[b"a" * 1000, b"b" * 1000])
    dest = package_cache.download(f"{base}/ok-1-0.conda", tmp_path / "pkgs" / "ok-1-0.conda")
    assert dest.read_bytes() == b"a" * 1000 + b"b" * 1000
    assert leftovers(tmp_path / "pkgs") == ["ok-1-0.conda"]


# ---- the limits themselves ----------------------------------------------------------------------


def test_default_limits_are_generous_and_documented(monkeypatch):
    for name in http.ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    limits = http.Limits.from_env()
    assert limits == http.Limits()
    assert limits.max_repodata_size == 2 * 2**30 and limits.max_package_size >= 4 * 2**30
    assert limits.connect_timeout >= 10 and limits.stall_timeout >= 30 and limits.deadline >= 600
    for name in http.ENV_VARS.values():  # every variable is explained in the module docstring
        assert name in http.__doc__


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf", "1e400", "1e300", "12XB"])
def test_a_bad_limit_setting_is_an_error_naming_it(monkeypatch, value):
    monkeypatch.setenv("MINIPIXI_STALL_TIMEOUT", value)
    with pytest.raises(http.LimitSettingError, match="MINIPIXI_STALL_TIMEOUT"):
        http.Limits.from_env()


@pytest.mark.parametrize("value", ["0", "-5", "9" * 400, "1.5.5GiB", "2 GiBs", "MiB", "0.0001"])
def test_a_bad_size_setting_is_an_error_naming_it(monkeypatch, value):
    monkeypatch.setenv("MINIPIXI_MAX_PACKAGE_SIZE", value)
    with pytest.raises(http.LimitSettingError, match="MINIPIXI_MAX_PACKAGE_SIZE"):
        http.Limits.from_env()


def test_sizes_accept_units(monkeypatch):
    monkeypatch.setenv("MINIPIXI_MAX_PACKAGE_SIZE", "3GiB")
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "512MiB")
    limits = http.Limits.from_env()
    assert limits.max_package_size == 3 * 2**30 and limits.max_repodata_size == 512 * MiB


# ---- malformed repodata -------------------------------------------------------------------------


def record(**fields) -> dict:
    return {"name": "a", "version": "1", "build": "0", "build_number": 0, "depends": [], **fields}


BAD_REPODATA = {
    "record is a list": b'{"info":{"subdir":"noarch"},"packages.conda":{"a-1-0.conda": [1, 2]}}',
    "record is a string after a good one": json.dumps({"packages.conda": {
        "a-1-0.conda": record(), "a-2-0.conda": "x"}}).encode(),
    "packages is a list": b'{"info":{"subdir":"noarch"},"packages.conda":["a-1-0.conda"]}',
    "deep nesting in a record": (b'{"packages.conda":{"a-1-0.conda":{"name":"a","version":"1",'
                                 b'"build":"0","depends":' + b"[" * 100_000 + b"]" * 100_000
                                 + b"}}}"),
    "deep nesting in info": (b'{"info":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000
                             + b',"packages.conda":{"a-1-0.conda":{"name":"a"}}}'),
    "non-UTF-8 file name": (b'{"packages.conda":{"a-1-0\xff.conda":'
                            b'{"name":"a","version":"1","build":"0"}}}'),
    "non-UTF-8 package name": b'{"packages.conda":{"\xff-1-0.conda":{"name":"a"}}}',
    "non-UTF-8 field": b'{"packages.conda":{"a-1-0.conda":{"name":"a\xff","version":"1"}}}',
    "depends is a number": json.dumps({"packages.conda": {"a-1-0.conda": record(depends=5)}}
                                      ).encode(),
    "depends holds a list": json.dumps({"packages.conda": {
        "a-1-0.conda": record(depends=[["x"]])}}).encode(),
    "a 5000-digit build number": (b'{"packages.conda":{"a-1-0.conda":{"name":"a","version":"1",'
                                  b'"build":"0","build_number":' + b"9" * 5000 + b"}}}"),
}


@pytest.mark.parametrize("label", list(BAD_REPODATA))
def test_malformed_repodata_is_one_clean_error(tmp_path, label):
    subdir = tmp_path / "chan" / "noarch"
    subdir.mkdir(parents=True)
    path = subdir / "repodata.json"
    path.write_bytes(BAD_REPODATA[label])
    with pytest.raises(ChannelError) as info:
        repodata = SubdirRepodata.read(path)
        for name in repodata.names() or ["a"]:
            repodata.records(name)
    assert str(path) in str(info.value.where)
    assert info.value.hint


def test_malformed_repodata_through_a_channel(tmp_path):
    """The same, the way a command meets it: a local channel loaded for a solve."""
    chan = tmp_path / "chan"
    (chan / "noarch").mkdir(parents=True)
    (chan / "noarch" / "repodata.json").write_bytes(BAD_REPODATA["non-UTF-8 package name"])
    with pytest.raises(ChannelError) as info:
        for merged in load_channel_records([str(chan)], "noarch"):
            for subdir in merged.subdirs:
                for name in subdir.names():
                    subdir.records(name)
    assert "repodata.json" in str(info.value.where)


def test_good_repodata_still_reads(tmp_path):
    path = tmp_path / "noarch" / "repodata.json"
    path.parent.mkdir()
    path.write_bytes(REPODATA)
    repodata = SubdirRepodata.read(path)
    assert [r.version for r in repodata.records("demo")] == ["1.0"]


def test_cache_entry_of_a_failed_download_is_absent(server, low_limits, tmp_path):
    """No partial repodata and no info file after a failed first download."""
    routes, base = server
    routes["/noarch/repodata.json.zst"] = Behaviour(zstd_bomb(8 * MiB))
    cache = tmp_path / "cache"
    with pytest.raises(ChannelError):
        fetch(base, cache)
    entry = CacheEntry.for_subdir(cache, Channel.parse(base), "noarch")
    assert not entry.path.exists() and not entry.info_path.exists()


def test_other_yaml_can_be_checked_for_aliases_before_loading():
    """`check_no_aliases` is for YAML read with PyYAML's loaders (environment.yml, a learner's
    files): the bomb, a lone anchor and deep nesting are refused with their line; plain YAML
    and text that is not YAML at all (left to the loader) pass."""
    from minipixi.lock.yaml_dialect import YamlReadError, check_no_aliases

    with pytest.raises(YamlReadError, match="anchor") as info:
        check_no_aliases(ALIAS_BOMB)
    assert info.value.line == 2
    with pytest.raises(YamlReadError, match="alias"):
        check_no_aliases("dependencies: *deps\n")
    with pytest.raises(YamlReadError, match="nested more than 64"):
        check_no_aliases("a: " + "[" * 100 + "]" * 100 + "\n")
    check_no_aliases("name: x\ndependencies:\n- python >=3.11\n- pip:\n  - six\n")
    check_no_aliases("a: [unclosed\n")


def test_a_learner_yaml_bomb_fails_its_check_instead_of_hanging_the_grader(tmp_path):
    from minipixi.teaching.checks.files import read_yaml
    from minipixi.teaching.grade import CheckFailed, Submission

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "environment.yml").write_text(ALIAS_BOMB)
    with pytest.raises(CheckFailed, match="anchor") as info:
        read_yaml(Submission(tmp_path / "sub", tmp_path / "scratch"), "environment.yml")
    assert "environment.yml (line 2)" in str(info.value)


def test_a_trickling_channel_fails_lock_cleanly(server, tmp_path):
    """The whole CLI against a channel that trickles: exit 1, one error naming the URL and the
    variable, no traceback, within seconds."""
    routes, base = server
    routes["/chan/noarch/repodata.json.zst"] = Behaviour(pieces=[b"x"] * 50, pause=2.0)
    routes["/chan/linux-64/repodata.json.zst"] = Behaviour(pieces=[b"x"] * 50, pause=2.0)
    (tmp_path / "pixi.toml").write_text(MANIFEST.replace('"conda-forge"', f'"{base}/chan"')
                                        + 'python = "*"\n')
    env = {**os.environ, "MINIPIXI_HOME": str(tmp_path / "home"),
           "MINIPIXI_CACHE_DIR": str(tmp_path / "cache"), "MINIPIXI_STALL_TIMEOUT": "1",
           "MINIPIXI_CONNECT_TIMEOUT": "1", "MINIPIXI_DOWNLOAD_DEADLINE": "5"}
    env.pop("MINIPIXI_OFFLINE", None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "minipixi", "lock"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 20
    assert proc.returncode == 1, proc.stderr
    assert "MINIPIXI_STALL_TIMEOUT" in proc.stderr and f"{base}/chan/" in proc.stderr
    assert "Traceback" not in proc.stderr and "this is a bug" not in proc.stderr
    assert not any(p.name.endswith(".partial") for p in (tmp_path / "cache").rglob("*"))
