"""What makes a cold solve from shards quick, checked for what it must not change.

- `solver.solve` hands every requested name to a sharded channel at once (``prefetch``), so the
  shards they reach come in one breadth-first walk, each fetched once, and the answer is the one
  ``repodata.json`` gives;
- the pool's threads only download; decoding and building records stay in the walk's thread;
- what is made while the cycle collector is paused goes to its oldest generation;
- a solve that succeeds imports none of the modules that explain a failure.

The channel is served by the test itself on 127.0.0.1 (see ``tests/http/test_shards.py`` for
the format's own tests).
"""

from __future__ import annotations

import gc
import hashlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import zstandard

from minipixi.channel import shards
from minipixi.channel.load import load_channel_records
from minipixi.channel.shards import build_shards, cycle_collector_paused
from minipixi.solver import SolveTask, solve


def entry(name: str, version: str, depends=()) -> dict:
    digest = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
    return {"name": name, "version": version, "build": "h_0", "build_number": 0,
            "depends": list(depends), "sha256": digest, "md5": digest[:32], "subdir": "linux-64"}


def repodata() -> dict[str, dict]:
    """Two chains (app -> lib -> base, tool -> helper -> base) and a name nothing reaches."""
    linux = {"app": ["lib >=1"], "lib": ["base"], "tool": ["helper"], "helper": ["base"],
             "base": [], "unused": ["base"]}
    packages = {f"{name}-{v}-h_0.conda": entry(name, v, deps)
                for name, deps in linux.items() for v in ("1.0", "2.0")}
    return {"linux-64": {"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": packages},
            "noarch": {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}}


@pytest.fixture
def channel():
    """Serve `repodata()` as ``repodata.json.zst`` and as shards; yield (url, request log)."""
    files, log = {}, []
    for subdir, repo in repodata().items():
        body = json.dumps(repo).encode()
        files[f"/chan/{subdir}/repodata.json.zst"] = zstandard.ZstdCompressor().compress(body)
        index, shard_files = build_shards(repo)
        files[f"/chan/{subdir}/repodata_shards.msgpack.zst"] = index
        files.update({f"/chan/{subdir}/shards/{name}": content for name, content in shard_files.items()})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = files.get(self.path)
            log.append(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/chan", log
    httpd.shutdown()
    httpd.server_close()


def test_a_solve_fetches_what_its_specs_reach_in_one_walk(channel, tmp_path, monkeypatch):
    url, log = channel
    walks = []  # the names each walk that fetched something started from
    reach = shards.ShardGateway.reach

    def counting_reach(self, names):
        names = list(names)
        before = sum(len(subdir.shards) for subdir in self.subdirs)
        reach(self, names)
        if sum(len(subdir.shards) for subdir in self.subdirs) > before:
            walks.append(names)

    monkeypatch.setattr(shards.ShardGateway, "reach", counting_reach)
    specs = ["app", "tool >=2"]
    sources = load_channel_records([url], "linux-64", cache_dir=tmp_path / "a", sharded=lambda c: True)
    solved = solve(SolveTask(specs=specs, sources=sources, platform="linux-64"))
    assert walks == [["app", "tool"]]
    fetched = [path for path in log if "/shards/" in path]
    assert len(fetched) == len(set(fetched)) == 5  # app, lib, tool, helper, base; never 'unused'
    whole = load_channel_records([url], "linux-64", cache_dir=tmp_path / "b")
    assert solved == solve(SolveTask(specs=specs, sources=whole, platform="linux-64"))
    assert [(r.name, r.version) for r in solved] == [
        ("app", "2.0"), ("base", "2.0"), ("helper", "2.0"), ("lib", "2.0"), ("tool", "2.0")]


def test_the_threads_only_download_and_the_walk_does_the_python_work(channel, tmp_path, monkeypatch):
    """Decoding a shard and building its records run in the walk's own thread: Python work in
    sixteen threads would only pass the GIL around. Downloads run in the pool's threads."""
    url, _ = channel
    threads: dict[str, set] = {"download": set(), "decode": set(), "make_records": set()}
    for owner, method in ((shards.ShardGateway, "download"), (shards.ShardedSubdir, "decode"),
                          (shards.ShardedSubdir, "make_records")):
        def watched(self, *args, _method=method, _original=getattr(owner, method)):
            threads[_method].add(threading.current_thread())
            return _original(self, *args)
        monkeypatch.setattr(owner, method, watched)
    sources = load_channel_records([url], "linux-64", cache_dir=tmp_path, sharded=lambda c: True)
    solve(SolveTask(specs=["app", "tool"], sources=sources, platform="linux-64"))
    main = threading.current_thread()
    assert threads["decode"] == threads["make_records"] == {main}
    assert threads["download"] and main not in threads["download"]


def test_a_malformed_spec_is_left_to_the_solver_to_report(channel, tmp_path):
    url, _ = channel
    sources = load_channel_records([url], "linux-64", cache_dir=tmp_path, sharded=lambda c: True)
    with pytest.raises(Exception) as caught:
        solve(SolveTask(specs=["app", "lib >>=1"], sources=sources, platform="linux-64"))
    assert "lib >>=1" in str(caught.value) + str(getattr(caught.value, "details", ""))


def test_what_is_made_while_the_collector_is_paused_goes_to_the_oldest_generation():
    with cycle_collector_paused():
        made = [[i] for i in range(2000)]
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(obj) in oldest for obj in made)
    assert gc.isenabled()


def test_a_successful_solve_imports_nothing_that_explains_a_failure():
    code = (
        "import sys\n"
        "from minipixi.records import PackageRecord\n"
        "from minipixi.solver import RecordIndex, SolveTask, solve\n"
        "index = RecordIndex([PackageRecord('a', '1.0', '0', depends=('b',)), PackageRecord('b', '1.0', '0')])\n"
        "print([r.name for r in solve(SolveTask(specs=['a'], sources=[index]))])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('derivation', 'explain', 'check')))\n"
        "from minipixi.solver import find_violations, failure_report, render_explanation, render_hint\n"
        "import minipixi.solver as solver\n"
        "print(callable(solver.find_violations), solver.render_hint.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60).stdout.splitlines()
    assert out == ["['a', 'b']", "[]", "True minipixi.solver.explain"]
    with pytest.raises(AttributeError):
        import minipixi.solver as solver
        solver.no_such_name  # noqa: B018
