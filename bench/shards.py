"""Benchmark: a cold solve from a conda-forge-sized channel over HTTP, whole index or shards.

One channel (``bench/repodata.py``'s generator: 300,000 linux-64 records, and an empty
``noarch``) is served on 127.0.0.1 two ways: ``/mono`` has ``repodata.json[.zst]`` only,
``/sharded`` also has CEP 16 shards (``minipixi.channel.shards.build_shards``). Each measurement is a
fresh subprocess with an empty cache that loads the channel and solves python, numpy, pandas,
scipy and matplotlib-base; the server counts the bytes it sends. Sides:

- minipixi reading ``/mono`` (``repodata.json.zst``) and ``/sharded`` (shards);
- py-rattler's ``Gateway`` reading ``/mono`` (sharding off) and ``/sharded`` (sharding on),
  then ``rattler.solve`` with that gateway.

Run: ``python bench/shards.py [--records 300000] [--keep DIR] [--repeats 5] [--delay-ms 20]``
(``--delay-ms``: every answer waits that long, as on a link with that round trip). The two tools
run alternately; each figure is a median, and the ratios are medians of back-to-back pairs
(a shared machine is noisy). CPU seconds are printed too: they vary less than the clock. Goal
(issue 21): with shards, bytes and time within 1.2x of py-rattler's, peak memory under it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTED = ["python", "numpy", "pandas", "scipy", "matplotlib-base"]


# ---- the channel on disk -----------------------------------------------------------------------


def prepare(folder: Path, records: int) -> None:
    """Write <folder>/mono/<subdir>/repodata.json[.zst] and <folder>/sharded/<subdir>/... with shards."""
    import zstandard

    from minipixi.channel.shards import build_shards

    source = folder / "linux-64.json"
    if not source.is_file():
        subprocess.run([sys.executable, str(HERE / "repodata.py"), "--generate", str(source),
                        "--records", str(records)], check=True)
    noarch = {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}
    compressor = zstandard.ZstdCompressor(level=12, threads=-1)
    for subdir, body in (("linux-64", source.read_bytes()), ("noarch", json.dumps(noarch).encode())):
        for kind in ("mono", "sharded"):
            out = folder / kind / subdir
            out.mkdir(parents=True, exist_ok=True)
            (out / "repodata.json").write_bytes(body)
            (out / "repodata.json.zst").write_bytes(compressor.compress(body))
        index, shards = build_shards(json.loads(body))
        out = folder / "sharded" / subdir
        (out / "repodata_shards.msgpack.zst").write_bytes(index)
        (out / "shards").mkdir(exist_ok=True)
        for name, content in shards.items():
            (out / "shards" / name).write_bytes(content)
    (folder / "ready").write_text("ok")


# ---- the server --------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes = self.requests = 0

    def add(self, size: int) -> None:
        with self.lock:
            self.bytes += size
            self.requests += 1


def serve(folder: Path, counter: Counter, delay: float = 0.0) -> ThreadingHTTPServer:
    """Serve `folder` on 127.0.0.1; each answer waits `delay` seconds first (a slower link's
    round trip: loopback has none, a classroom's Wi-Fi to a CDN some tens of ms)."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection carries many requests

        def setup(self):
            super().setup()  # headers and body leave at once, not 40 ms apart (Nagle)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self, head: bool = False):  # noqa: N802
            if delay:
                time.sleep(delay)
            path = (folder / self.path.lstrip("/")).resolve()
            if folder not in path.parents or not path.is_file():
                body, status = b"not found", 404
            else:
                body, status = path.read_bytes(), 200
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                counter.add(len(body))
                self.wfile.write(body)

        def do_HEAD(self):  # noqa: N802 (rattler asks whether a .zst exists)
            self.do_GET(head=True)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # a real server's backlog; 5 drops parallel connects for 1 s
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


# ---- the two sides, each in its own process ------------------------------------------------------


def run_minipixi(url: str, cache: Path) -> dict:
    from minipixi.channel.load import load_channel_records
    from minipixi.solver import SolveTask, solve

    sharded = (lambda channel: True) if url.endswith("/sharded") else None
    sources = load_channel_records([url], "linux-64", cache_dir=cache, sharded=sharded)
    solved = solve(SolveTask(specs=list(REQUESTED), sources=sources, platform="linux-64"))
    return {"solved": sorted(f"{r.name}={r.version}={r.build}" for r in solved)}


def run_rattler(url: str, cache: Path) -> dict:
    import asyncio

    import rattler

    config = rattler.SourceConfig(sharded_enabled=url.endswith("/sharded"))
    gateway = rattler.Gateway(cache_dir=cache, default_config=config)
    solved = asyncio.run(rattler.solve([rattler.Channel(url)], list(REQUESTED), gateway=gateway,
                                       platforms=["linux-64", "noarch"]))
    return {"solved": sorted(f"{r.name.normalized}={r.version}={r.build}" for r in solved)}


def peak_rss_mib(usage) -> float:
    """This program's peak resident memory. On Linux, /proc's VmHWM: ``ru_maxrss`` would also
    count the memory of the parent it was forked from (the server, once it has sent 24 MiB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return usage.ru_maxrss / 1024


def child(kind: str, url: str) -> None:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        result = (run_minipixi if kind == "minipixi" else run_rattler)(url, Path(cache))
        result["seconds"] = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mib"] = peak_rss_mib(usage)
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # less noisy than the clock on a busy machine
    print(json.dumps(result), flush=True)
    os._exit(0)  # py-rattler 0.28 can crash while tearing down after an asyncio solve


def run_once(kind: str, url: str, counter: Counter, env: dict) -> dict:
    """One cold run in a fresh process, with the bytes and requests the server counted."""
    before = (counter.bytes, counter.requests)
    out = subprocess.run([sys.executable, __file__, "--child", kind, url], check=True,
                         capture_output=True, text=True, env=env).stdout
    run = json.loads(out.strip().splitlines()[-1])
    run["bytes"], run["requests"] = counter.bytes - before[0], counter.requests - before[1]
    return run


def measure(url: str, counter: Counter, repeats: int, env: dict) -> dict[str, list[dict]]:
    """`repeats` cold runs of each side, alternated (minipixi, rattler, minipixi, ...), so that
    whatever else the machine is doing falls on both alike; one unmeasured run of each first,
    which writes the bytecode cache that an installed package would already have."""
    for kind in ("minipixi", "rattler"):
        run_once(kind, url, counter, env)
    runs: dict[str, list[dict]] = {"minipixi": [], "rattler": []}
    for _ in range(repeats):
        for kind in runs:
            runs[kind].append(run_once(kind, url, counter, env))
    return runs


def median(values) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the channel here and keep it")
    parser.add_argument("--sharded-only", action="store_true",
                        help="skip the repodata.json.zst runs (quicker, for comparing shards alone)")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="each request waits this long before it is answered (a round trip)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
    elif args.prepare:
        prepare(args.prepare, args.records)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run_all((args.keep or Path(tmp)).resolve(), args)
    return 0


def run_all(folder: Path, args: argparse.Namespace) -> None:
    if not (folder / "ready").is_file():
        started = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, __file__, "--prepare", str(folder), "--records",
                        str(args.records)], check=True)  # its own process: a big parent spoils
        print(f"prepared the channel in {time.perf_counter() - started:.0f} s")  # children's RSS
    shards = list((folder / "sharded" / "linux-64" / "shards").iterdir())
    print(f"{args.records} records; repodata.json.zst "
          f"{(folder / 'mono' / 'linux-64' / 'repodata.json.zst').stat().st_size / 2**20:.1f} MiB; "
          f"shard index {(folder / 'sharded' / 'linux-64' / 'repodata_shards.msgpack.zst').stat().st_size / 2**10:.0f} KiB; "
          f"{len(shards)} shards")
    counter = Counter()
    httpd = serve(folder, counter, args.delay_ms / 1000)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    # minipixi runs from its source tree: without a bytecode cache (PYTHONDONTWRITEBYTECODE)
    # each run would compile it again, which an installed package never does. Both sides get
    # one cache folder of their own here.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    print(f"medians of {args.repeats} cold runs each, the two tools alternated"
          + (f", {args.delay_ms:g} ms before each answer:" if args.delay_ms else ":"))
    results = {}
    for layout in ("sharded",) if args.sharded_only else ("mono", "sharded"):
        runs = measure(f"{base}/{layout}", counter, args.repeats, env)
        for kind, kind_runs in runs.items():
            results[kind, layout] = kind_runs
            print(f"  {kind:>8} {layout:>7}: {median(r['bytes'] for r in kind_runs) / 2**20:7.2f} MiB in "
                  f"{median(r['requests'] for r in kind_runs):4.0f} requests, "
                  f"{median(r['seconds'] for r in kind_runs):6.2f} s "
                  f"(CPU {median(r['cpu_seconds'] for r in kind_runs):5.2f} s), peak RSS "
                  f"{median(r['peak_rss_mib'] for r in kind_runs):5.0f} MiB, "
                  f"{len(kind_runs[0]['solved'])} packages")
    httpd.shutdown()
    ours, theirs = results["minipixi", "sharded"], results["rattler", "sharded"]

    def ratio(key: str) -> float:  # the median of the pairs' ratios (each pair ran back to back)
        return median(a[key] / b[key] for a, b in zip(ours, theirs))

    times = " ".join(f"{a['seconds'] / b['seconds']:.2f}" for a, b in zip(ours, theirs))
    print(f"  sharded, minipixi / py-rattler: bytes {ratio('bytes'):.2f}x, time {ratio('seconds'):.2f}x "
          f"(pairs: {times}), CPU {ratio('cpu_seconds'):.2f}x, "
          f"peak memory {ratio('peak_rss_mib'):.2f}x")
    if not args.sharded_only:
        solved = {r["solved"] == ours[0]["solved"] for r in ours + results["minipixi", "mono"]}
        print(f"  minipixi solves the same from shards as from repodata.json: {solved == {True}}")


if __name__ == "__main__":
    sys.exit(main())
