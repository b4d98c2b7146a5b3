"""HTTP downloads with bounds: every file arrives in bounded time and bounded size, or not at all.

A channel server is a stranger. It can answer slowly on purpose (one byte every two seconds,
forever), declare or send a 10 GB "package", or send 48 kB of zstd that decompresses to 3 GB.
`download` (to a file) and `fetch_bytes` (into memory) are the one way minipixi fetches over
HTTP: repodata (`channel/fetch.py`), package archives (`install/`) and repodata shards
(`channel/shards.py`) all go through them, and get the same five bounds:

==========================  =============================  ==========================================
bound                       environment variable           default
==========================  =============================  ==========================================
connect timeout             ``MINIPIXI_CONNECT_TIMEOUT``   30 s to open a connection
stall timeout               ``MINIPIXI_STALL_TIMEOUT``     60 s without receiving a single byte
deadline (per file)         ``MINIPIXI_DOWNLOAD_DEADLINE`` 3600 s for one whole file, however it drips
decompressed repodata size  ``MINIPIXI_MAX_REPODATA_SIZE`` 2 GiB (conda-forge's largest: ~0.3 GiB)
package archive size        ``MINIPIXI_MAX_PACKAGE_SIZE``  8 GiB (the largest CUDA archives: ~3 GiB)
==========================  =============================  ==========================================

Times are seconds (``1.5`` is fine); sizes are bytes, or a number with ``KiB``, ``MiB``, ``GiB``
(``512MiB``). A value that is not a positive number is an error that names the variable. Pixi
has no settings for these (its downloads use reqwest's defaults), so they are minipixi's own;
Pixi's ``concurrency.downloads`` (how many at once) is a different knob.

How each bound is kept:

- **connect and stall**: httpx's ``connect`` and ``read`` timeouts. The read timeout bounds
  each wait for the next bytes, which is exactly a stall timeout.
- **deadline**: the stall timeout alone is beaten by a server that sends one byte just before
  it runs out. The transfer runs in a helper thread; we wait for it at most the deadline, then
  tell it to stop and report the error. The helper notices at its next byte (or stall), and
  removes its temp file. A deadline checked only between body chunks would miss a server
  that trickles its *headers*.
- **size**: a ``Content-Length`` above the cap is refused before the body is read; then the
  bytes are counted as they arrive, *after* decompression, so a bomb is cut off at the cap.
  We decompress ourselves, in small steps (``Content-Encoding: gzip/deflate/zstd``, and
  ``.zst`` files): httpx would inflate a whole network chunk in memory at once, and one 64 kB
  chunk of zstd can hold gigabytes.
- **no half files**: the body goes to a temp file in the destination's folder, renamed over
  the destination only when it is complete and checked; on any failure the temp file is
  removed, so the cache holds the old file or the new one.
- **one failure ends the batch**: downloads that run side by side (an install's packages, a
  solve's shards) share a `download_threads` pool, which drops the ones still queued as soon
  as one fails or the user presses Ctrl-C, so the error is reported at once.

Lesson: Episode 4 ("Where packages come from"), with `channel/fetch.py`. Read after `config.py`;
read next `channel/names.py`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import ssl
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import certifi  # httpx's own CA bundle (a dependency of httpx), see tls_context()

from minipixi.errors import ChannelError, MinipixiError, shorten
from minipixi.files import new_file_mode, write_atomic

GiB = 2**30
MiB = 2**20
USER_AGENT = "minipixi"
# How much compressed input one decompression step gets. A zstd block of 4 bytes can expand to
# 128 KiB, so 1 KiB of input yields at most 32 MiB: memory per step stays bounded.
ZSTD_STEP = 1024
PIECE = MiB  # the most a gzip/deflate step may produce


class LimitSettingError(MinipixiError):
    """A ``MINIPIXI_*`` limit variable holds something that is not a positive number."""


class DownloadError(ChannelError):
    """A download broke a bound or failed on the way. `transient`: trying again may help."""

    def __init__(self, message: str, *, url: str, hint: str, transient: bool = False) -> None:
        super().__init__(message, where=url, hint=hint)
        self.url = url
        self.transient = transient


# --8<-- [start:limits]
@dataclass(frozen=True)
class Limits:
    """The bounds of one download; see the table above. Times in seconds, sizes in bytes."""

    connect_timeout: float = 30.0
    stall_timeout: float = 60.0
    deadline: float = 3600.0
    max_repodata_size: int = 2 * GiB
    max_package_size: int = 8 * GiB

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """The defaults, with each ``MINIPIXI_*`` variable that is set taking its place."""
        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            name = ENV_VARS[item.name]
            text = environ.get(name, "").strip()
            if text:
                values[item.name] = (parse_seconds if item.type == "float" else parse_size)(
                    text, name)
        return cls(**values)


ENV_VARS = {
    "connect_timeout": "MINIPIXI_CONNECT_TIMEOUT",
    "stall_timeout": "MINIPIXI_STALL_TIMEOUT",
    "deadline": "MINIPIXI_DOWNLOAD_DEADLINE",
    "max_repodata_size": "MINIPIXI_MAX_REPODATA_SIZE",
    "max_package_size": "MINIPIXI_MAX_PACKAGE_SIZE",
}
# --8<-- [end:limits]

# At most 15 digits before the point: a 400-digit "size" is refused, not turned into infinity.
_SIZE = re.compile(r"(\d{1,15}(?:\.\d{1,6})?)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T)?",
                   re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


MAX_SECONDS = 10**6  # about 12 days: more is "never", which is what the bounds are against


def parse_seconds(text: str, name: str) -> float:
    """A number of seconds in (0, `MAX_SECONDS`], or a LimitSettingError naming `name`."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SECONDS:  # also refuses nan
        raise LimitSettingError(f"{name}={text!r} is not a number of seconds between 0 and "
                                f"{MAX_SECONDS:,}", where=name,
                                hint=f"set {name} to e.g. 30, or unset it")
    return value


def parse_size(text: str, name: str) -> int:
    """``1048576``, ``512MiB``, ``2GiB`` (K/M/G/T are powers of 1024) -> bytes, positive."""
    match = _SIZE.fullmatch(text)
    value = 0
    if match:
        value = int(float(match.group(1)) * _UNITS[(match.group(2) or "")[:1].lower()])
    if value <= 0:
        raise LimitSettingError(f"{name}={text!r} is not a positive size",
                                where=name, hint=f"set {name} to e.g. 2GiB or 536870912, "
                                "or unset it")
    return value


def describe_size(size: int) -> str:
    """``1 MiB``, ``2 GiB``, ``10.0 GiB``: how errors show a size."""
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", 2**10)):
        if size >= scale:
            return f"{size // scale} {unit}" if size % scale == 0 else f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


# ---- clients ------------------------------------------------------------------------------


def timeouts(limits: Limits):
    """httpx's timeouts for `limits`: connect (and waiting for a pooled connection), and the
    stall timeout for every read and write."""
    import httpx  # lazy: the CLI starts faster when a command downloads nothing

    return httpx.Timeout(connect=limits.connect_timeout, read=limits.stall_timeout,
                         write=limits.stall_timeout, pool=limits.connect_timeout)


def new_client(limits: Limits | None = None):
    """An httpx.Client with our timeouts, redirects followed and our User-Agent."""
    import httpx  # lazy: the CLI starts faster when a command downloads nothing

    return httpx.Client(timeout=timeouts(limits or Limits.from_env()), follow_redirects=True,
                        headers={"User-Agent": USER_AGENT}, verify=tls_context())


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings httpx would make, made once per process (each client shares them).

    The trusted certificates are those httpx trusts: the file in ``SSL_CERT_FILE``, the folder
    in ``SSL_CERT_DIR``, else certifi's bundle. They are read at the first TLS handshake, not
    here (`TrustOnFirstHandshake`): reading them costs 30 ms of CPU, which a command that only
    reads ``http://`` channels (a local mirror, ``bench/shards.py``) would pay for nothing.
    """
    return TrustOnFirstHandshake(ssl.PROTOCOL_TLS_CLIENT)


class TrustOnFirstHandshake(ssl.SSLContext):
    """A client context like ``ssl.create_default_context()``'s (the server's certificate and
    host name are checked) that loads its trusted certificates just before its first handshake.
    Every TLS connection starts in `wrap_socket` (or `wrap_bio`), so none starts without them.
    """

    def __init__(self, protocol: int) -> None:
        super().__init__()
        if sys.version_info >= (3, 13):  # what create_default_context adds there
            self.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        self.trusted = False
        self._lock = threading.Lock()

    def trust(self) -> None:
        """Load the trusted certificates, once (threads may shake hands at the same time)."""
        with self._lock:
            if self.trusted:
                return
            if os.environ.get("SSL_CERT_FILE"):
                where, place = {"cafile": os.environ["SSL_CERT_FILE"]}, "SSL_CERT_FILE"
            elif os.environ.get("SSL_CERT_DIR"):
                where, place = {"capath": os.environ["SSL_CERT_DIR"]}, "SSL_CERT_DIR"
            else:
                where, place = {"cafile": certifi.where()}, "certifi's CA bundle"
            try:
                self.load_verify_locations(**where)
            except (OSError, ssl.SSLError) as err:
                raise DownloadError(f"cannot read the trusted certificates ({err})",
                                    url=next(iter(where.values())),
                                    hint=f"check {place}: it should name a readable CA bundle "
                                    "(PEM), or unset it to use certifi's") from None
            self.trusted = True

    def wrap_socket(self, *args, **kwargs):
        if not self.trusted:
            self.trust()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args, **kwargs):
        if not self.trusted:
            self.trust()
        return super().wrap_bio(*args, **kwargs)


# ---- downloading --------------------------------------------------------------------------


@dataclass
class Fetched:
    """What the server answered: its status and headers, and for `fetch_bytes` the body.

    Only a 200 has a body; `download` wrote it to the destination, `fetch_bytes` returns it.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


# --8<-- [start:download]
def download(url: str, dest: Path, *, limits: Limits | None = None, size_limit: str =
             "max_package_size", client=None, headers: Mapping[str, str] | None = None,
             decompress: str | None = None, check: Callable[[Path], None] | None = None,
             on_start: Callable[[int | None], None] | None = None,
             on_progress: Callable[[int], None] | None = None) -> Fetched:
    """GET `url` into `dest`, within `limits` (default: `Limits.from_env()`).

    `size_limit` names the size bound that applies (``max_package_size`` or
    ``max_repodata_size``). `decompress="zstd"` decodes a ``.zst`` body as it arrives.
    `check(temp_path)` may refuse the complete file before it replaces `dest`. `on_start`
    gets the declared size, `on_progress` the bytes written so far.

    Any status is returned (a 404 or 304 writes nothing); a broken bound, a network failure,
    or a corrupt compressed body raises DownloadError naming `url` and the bound.
    """
    def write(response, job: _Job, limits: Limits) -> Fetched:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with job.lock:
            if job.stopped:
                raise _Abandoned()
            handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.",
                                            suffix=".partial")
            tmp = job.temp = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                done = 0
                for piece in _body(response, url, limits, size_limit, decompress, job):
                    out.write(piece)
                    done += len(piece)
                    if on_progress:
                        on_progress(done)
            if check:
                check(tmp)
            with job.lock:  # the waiting side may give up at this very moment: decide once
                if job.stopped:
                    raise _Abandoned()
                os.chmod(tmp, new_file_mode())
                os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return Fetched(response.status_code, response.headers)

    return _transfer(url, write, limits=limits, size_limit=size_limit, client=client,
                     headers=headers, on_start=on_start)
# --8<-- [end:download]


def fetch_bytes(url: str, *, limits: Limits | None = None, size_limit: str = "max_repodata_size",
                client=None, headers: Mapping[str, str] | None = None,
                decompress: str | None = None) -> Fetched:
    """GET `url` into memory (for small files such as shards), with the bounds of `download`."""
    def read(response, job: _Job, limits: Limits) -> Fetched:
        body = b"".join(_body(response, url, limits, size_limit, decompress, job))
        return Fetched(response.status_code, response.headers, body)

    return _transfer(url, read, limits=limits, size_limit=size_limit, client=client,
                     headers=headers)


@contextlib.contextmanager
def download_threads(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of `workers` threads for downloads, which lets go at once when its block fails.

    ``ThreadPoolExecutor``'s own ``with`` block, when it ends in an error or a Ctrl-C, still
    runs every job queued so far before the error reaches the user: on a slow network, minutes
    of downloads that nobody wants any more. Here the queued jobs are dropped; only the running
    ones are waited for, and each of those ends within its own bounds.
    """
    with ThreadPoolExecutor(workers) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


class _Job:
    """One transfer, shared by the thread that waits and the helper thread that works."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stopped = False  # the waiting thread gave up (deadline, Ctrl-C)
        self.temp: Path | None = None  # the helper's temp file, while it has one

    def give_up(self) -> None:
        """Stop waiting: the helper stops at its next byte; its temp file goes now, so a
        command that exits right after the error leaves nothing behind."""
        with self.lock:
            self.stopped = True
            if self.temp is not None:
                self.temp.unlink(missing_ok=True)


class _Abandoned(Exception):
    """Raised in the helper thread when the caller stopped waiting for it."""


def _transfer(url: str, consume, *, limits: Limits | None, size_limit: str, client,
              headers: Mapping[str, str] | None, on_start=None) -> Fetched:
    """Run the request and `consume(response, job, limits)` in a helper thread, waiting for
    it at most the deadline. See "How each bound is kept" above."""
    limits = limits or Limits.from_env()
    job = _Job()
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["value"] = _request(url, consume, limits, size_limit, client, headers,
                                        on_start, job)
        except BaseException as err:  # handed to the waiting thread, raised there
            outcome["error"] = err

    helper = threading.Thread(target=work, name=f"download {url}", daemon=True)
    helper.start()
    try:
        helper.join(limits.deadline)
    finally:
        if helper.is_alive():  # the deadline passed, or Ctrl-C
            job.give_up()
    if job.stopped or isinstance(outcome.get("error"), _Abandoned):
        raise _deadline_error(url, limits)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _deadline_error(url: str, limits: Limits) -> DownloadError:
    return DownloadError(
        f"the download did not finish within {_seconds(limits.deadline)} "
        f"(MINIPIXI_DOWNLOAD_DEADLINE)", url=url,
        hint="the server is too slow or sends data very slowly; try again later, use a "
        "mirror, or raise MINIPIXI_DOWNLOAD_DEADLINE")


def _request(url: str, consume, limits: Limits, size_limit: str, client, headers, on_start,
             job: _Job) -> Fetched:
    import httpx  # lazy: the CLI starts faster when a command downloads nothing

    own = client is None
    http = new_client(limits) if own else client
    # We decode Content-Encoding ourselves (see above); ask for gzip, the one servers know.
    request_headers = {"Accept-Encoding": "gzip", **(headers or {})}
    try:
        with http.stream("GET", url, headers=request_headers, timeout=timeouts(limits)) as response:
            if response.status_code != 200:
                return Fetched(response.status_code, response.headers)
            declared = _declared_size(response)
            cap = getattr(limits, size_limit)
            if declared is not None and declared > cap:
                raise _too_large(url, size_limit, cap, f"the server declares "
                                 f"{describe_size(declared)}")
            if on_start:
                on_start(declared)
            return consume(response, job, limits)
    except httpx.ConnectTimeout as err:
        raise DownloadError(f"could not connect within {_seconds(limits.connect_timeout)} "
                            "(MINIPIXI_CONNECT_TIMEOUT)", url=url, transient=True,
                            hint="check the network and the channel URL, or raise "
                            "MINIPIXI_CONNECT_TIMEOUT") from err
    except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout) as err:
        raise DownloadError(f"the server sent nothing for {_seconds(limits.stall_timeout)} "
                            "(MINIPIXI_STALL_TIMEOUT)", url=url, transient=True,
                            hint="the server stalled; try again later, use a mirror, or "
                            "raise MINIPIXI_STALL_TIMEOUT") from err
    except httpx.InvalidURL as err:  # a channel, mirror or index written so that no URL parser reads it
        raise DownloadError(f"'{shorten(url)}' is not a valid URL ({err})", url=url,
                            hint="check how the URL is written (a channel, a mirror or an index, in "
                            "pixi.toml or the config)") from err
    except httpx.HTTPError as err:
        if job.stopped:
            raise _Abandoned() from err
        raise DownloadError(f"cannot reach the server: {err or type(err).__name__}", url=url,
                            transient=isinstance(err, httpx.TransportError),
                            hint="check the network, or use --offline (the bundled teaching mirror of "
                            "conda-forge, which needs no network and no cache)") from err
    finally:
        if own:
            http.close()


def _declared_size(response) -> int | None:
    """The Content-Length, when the server sent one (encoded or not, more than the cap is
    more than we will take)."""
    text = response.headers.get("content-length", "")
    return int(text) if text.isdigit() and len(text) < 30 else None


def _too_large(url: str, size_limit: str, cap: int, why: str) -> DownloadError:
    variable = ENV_VARS[size_limit]
    return DownloadError(f"refused: {why}, more than the {describe_size(cap)} allowed "
                         f"({variable})", url=url,
                         hint=f"if this file is really that large, raise {variable}; "
                         "otherwise the server sends something else than it should")


# ---- the body, decoded and counted --------------------------------------------------------


def _body(response, url: str, limits: Limits, size_limit: str, decompress: str | None,
          job: _Job) -> Iterator[bytes]:
    """The body's bytes as we will store them: Content-Encoding undone, then `decompress`;
    at most the size cap (counting the bytes on the wire, too); stops when `job` is given up."""
    cap = getattr(limits, size_limit)
    received = 0

    def raw() -> Iterator[bytes]:
        nonlocal received
        for chunk in response.iter_raw():
            if job.stopped:
                raise _Abandoned()
            received += len(chunk)
            if received > cap:
                raise _too_large(url, size_limit, cap, "the server sent more")
            yield chunk

    pieces: Iterable[bytes] = raw()
    for encoding in _encodings(response, url):
        pieces = _decoder(encoding, pieces, url)
    if decompress:
        pieces = _decoder(decompress, pieces, url)
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > cap:
            raise _too_large(url, size_limit, cap, "it decompresses to more")
        yield piece


def _encodings(response, url: str) -> list[str]:
    """The Content-Encodings to undo, last applied first."""
    header = response.headers.get("content-encoding", "")
    names = [name.strip().lower() for name in header.split(",") if name.strip()]
    names = [name for name in names if name != "identity"]
    for name in names:
        if name not in _DECODERS:
            raise DownloadError(f"the server sent Content-Encoding '{name}', which minipixi "
                                "does not decode", url=url,
                                hint="use a mirror that sends plain or gzip-encoded files")
    return names[::-1]


def _decoder(name: str, chunks: Iterable[bytes], url: str) -> Iterator[bytes]:
    import zstandard  # lazy: only a compressed download needs the zstd library

    try:
        yield from _DECODERS[name](chunks, url)
    except (zlib.error, zstandard.ZstdError) as err:
        raise DownloadError(f"the download is not valid {name} data ({err})", url=url,
                            transient=True, hint="fetch again; if this persists, the server "
                            "sends a broken file") from err


def zstd_pieces(chunks: Iterable[bytes], url: str) -> Iterator[bytes]:
    """Decompress a zstd stream (one frame or several, one after the other) in small steps.

    Each step feeds at most `ZSTD_STEP` bytes, so no step can produce more than ~32 MiB; the
    caller counts the total. A stream that ends inside a frame is an error (truncated).
    """
    import zstandard  # lazy: only a compressed download needs the zstd library

    frame = None
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), ZSTD_STEP):
            data = view[start:start + ZSTD_STEP]
            while data:
                if frame is None or frame.eof:
                    frame = zstandard.ZstdDecompressor().decompressobj()
                out = frame.decompress(data)
                if out:
                    yield out
                data = frame.unused_data if frame.eof else b""
    if frame is None or not frame.eof:
        raise DownloadError("the download is truncated (the zstd stream ends early)", url=url,
                            transient=True, hint="fetch again; the connection was probably cut")


def _zlib_pieces(wbits: int) -> Callable[[Iterable[bytes], str], Iterator[bytes]]:
    def pieces(chunks: Iterable[bytes], url: str) -> Iterator[bytes]:
        inflate = zlib.decompressobj(wbits)
        for chunk in chunks:
            data = chunk
            while data:
                out = inflate.decompress(data, PIECE)  # at most PIECE bytes per step
                if out:
                    yield out
                data = inflate.unconsumed_tail
        if not inflate.eof:
            raise DownloadError("the download is truncated (the compressed stream ends early)",
                                url=url, transient=True,
                                hint="fetch again; the connection was probably cut")
    return pieces


_DECODERS = {
    "zstd": zstd_pieces,
    "gzip": _zlib_pieces(16 + zlib.MAX_WBITS),
    "x-gzip": _zlib_pieces(16 + zlib.MAX_WBITS),
    "deflate": _zlib_pieces(zlib.MAX_WBITS),
}


# ---- revalidating a cached copy ---------------------------------------------------------------

def conditional_headers(info: dict) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from what the server told us last time (the
    ``etag`` / ``last_modified`` a cache's info file kept; see `validators`). A ``304`` answer
    then means the cached copy is still right and nothing is downloaded."""
    headers = {}
    if info.get("etag"):
        headers["If-None-Match"] = info["etag"]
    if info.get("last_modified"):
        headers["If-Modified-Since"] = info["last_modified"]
    return headers


def validators(headers) -> dict[str, str | None]:
    """What to keep from a ``200`` answer to revalidate the copy next time."""
    return {"etag": headers.get("etag"), "last_modified": headers.get("last-modified")}


def cached_get(url: str, body_path: Path, parse: Callable[[bytes, str], object], *, offline: bool,
               headers: Mapping[str, str] | None = None, size_limit: str = "max_repodata_size",
               limits: Limits | None = None, most: int | None = None, client=None,
               info_path: Path | None = None, remember_not_found: bool = False) -> tuple[int, object] | None:
    """A small document (an index page, a find-links page, a conda -> PyPI map) through a cache
    file: ``(200, parse(body, content_type))``, or ``(status, None)`` for another answer, or
    None when `offline` and nothing is cached.

    The cached copy (`body_path`, its validators in `info_path`, by default ``<name>.info.json``
    beside it) is revalidated by the rule above: a ``304`` reuses it. A ``200`` body is parsed
    first, so a document that `parse` refuses is never cached, and is parsed only once.
    `remember_not_found`: a ``404`` is kept too, so that offline the answer is still 404.
    `most`: the document's own size bound, or the user's `size_limit` when that is smaller.
    """
    if most is not None:
        limits = limits or Limits.from_env()
        limits = replace(limits, **{size_limit: min(getattr(limits, size_limit), most)})
    info_path = info_path or body_path.with_name(body_path.name + ".info.json")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8")) if body_path.is_file() else {}
    except (OSError, ValueError):
        info = {}
    info = info if isinstance(info, dict) else {}

    def cached() -> tuple[int, object]:
        if info.get("status") == 404:  # remembered (remember_not_found)
            return 404, None
        return 200, parse(body_path.read_bytes(), str(info.get("content_type", "")))

    if offline:
        return cached() if info else None
    fetched = fetch_bytes(url, size_limit=size_limit, limits=limits, client=client,
                          headers={**(headers or {}), **conditional_headers(info)})
    if fetched.status == 304 and info:
        write_atomic(info_path, json.dumps({**info, "fetched": time.time()}, indent=2))
        return cached()
    if fetched.status == 404 and remember_not_found:
        body_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(body_path, b"")
        write_atomic(info_path, json.dumps({"url": url, "status": 404, "fetched": time.time()}))
    if fetched.status != 200:
        return fetched.status, None
    content_type = fetched.headers.get("content-type", "")
    value = parse(fetched.body, content_type)
    body_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(body_path, fetched.body)
    write_atomic(info_path, json.dumps({"url": url, **validators(fetched.headers), "content_type": content_type,
                                        "fetched": time.time()}, indent=2, sort_keys=True))
    return 200, value
