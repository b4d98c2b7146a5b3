"""Wheels built with zipfile, and a PyPI simple index served on 127.0.0.1 by the test itself.

`build_wheel` writes a real wheel (METADATA, WHEEL, RECORD with correct digests, optional
entry points and ``.data`` files); `SimpleIndex` serves project pages as PEP 691 JSON or
PEP 503 HTML (`mode`), the files, and PEP 658 metadata files, answers ``If-None-Match`` with
304, and logs every request so tests can count them.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from minipixi.pypi.wheel import record_digest


def build_wheel(folder: Path, name: str, version: str, *, tag: str = "py3-none-any",
                modules: dict[str, str] | None = None, requires: tuple[str, ...] = (),
                extras: tuple[str, ...] = (), requires_python: str | None = None,
                entry_points: str = "", data: dict[str, bytes] | None = None,
                purelib: bool = True, tamper: str | None = None,
                extra_members: dict[str, bytes] | None = None) -> Path:
    """A wheel file in `folder`. `modules` maps paths (``pkg/__init__.py``) to source;
    `data` maps ``scripts/x`` etc. to bytes under the ``.data`` folder; `tamper` names a member
    whose bytes change after RECORD was written; `extra_members` are added unlisted."""
    dist = f"{name.replace('-', '_')}-{version}"
    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Provides-Extra: {extra}" for extra in extras]
    meta += [f"Requires-Dist: {req}" for req in requires]
    members = {path: text.encode() for path, text in (modules or {}).items()}
    for path, body in (data or {}).items():
        members[f"{dist}.data/{path}"] = body
    members[f"{dist}.dist-info/METADATA"] = ("\n".join(meta) + "\n\n").encode()
    members[f"{dist}.dist-info/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {str(purelib).lower()}\n"
        f"Tag: {tag}\n").encode()
    if entry_points:
        members[f"{dist}.dist-info/entry_points.txt"] = entry_points.encode()
    record = "".join(f"{path},{record_digest(body)},{len(body)}\n"
                     for path, body in members.items())
    record += f"{dist}.dist-info/RECORD,,\n"
    members[f"{dist}.dist-info/RECORD"] = record.encode()
    if tamper:
        members[tamper] = members[tamper] + b"# changed\n"
    members.update(extra_members or {})
    path = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, body in members.items():
            info = zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if "/scripts/" in member else 0o100644) << 16
            archive.writestr(info, body)
    return path


def metadata_of(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name)


@dataclass
class Entry:
    """One file on a project page, and what the page says about it."""

    filename: str
    body: bytes
    requires_python: str | None = None
    yanked: bool | str = False
    metadata: bytes | None = None  # served at <file>.metadata when set
    listed_hash: str | None = None  # what the page claims (default: the true sha256)


@dataclass
class SimpleIndex:
    """A simple repository in memory, served over HTTP on 127.0.0.1."""

    mode: str = "json"  # or "html"
    projects: dict[str, list[Entry]] = field(default_factory=dict)
    log: list[tuple[str, int]] = field(default_factory=list)
    pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, type), fixed
    server: ThreadingHTTPServer | None = None

    def add(self, project: str, entry: Entry) -> None:
        self.projects.setdefault(project, []).append(entry)

    def add_wheel(self, project: str, wheel: Path) -> None:
        """Serve a built wheel file, with its METADATA as a PEP 658 file beside it."""
        self.add(project, Entry(wheel.name, wheel.read_bytes(), metadata=metadata_of(wheel)))

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.root}/simple/"

    def count(self, prefix: str) -> int:
        return sum(1 for path, _ in self.log if path.startswith(prefix))

    def page(self, project: str) -> tuple[bytes, str]:
        entries = self.projects[project]
        if self.mode == "json":
            files = []
            for entry in entries:
                item = {"filename": entry.filename, "url": f"../../files/{entry.filename}",
                        "hashes": {"sha256": self._hash(entry)}}
                if entry.requires_python:
                    item["requires-python"] = entry.requires_python
                if entry.yanked:
                    item["yanked"] = entry.yanked
                if entry.metadata is not None:
                    item["core-metadata"] = {"sha256": hashlib.sha256(entry.metadata).hexdigest()}
                files.append(item)
            body = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
            return json.dumps(body).encode(), "application/vnd.pypi.simple.v1+json"
        links = []
        for entry in entries:
            attributes = f' href="../../files/{html.escape(entry.filename)}#sha256={self._hash(entry)}"'
            if entry.requires_python:
                attributes += f' data-requires-python="{html.escape(entry.requires_python)}"'
            if entry.yanked:
                reason = entry.yanked if isinstance(entry.yanked, str) else ""
                attributes += f' data-yanked="{html.escape(reason)}"'
            if entry.metadata is not None:
                attributes += (' data-dist-info-metadata="sha256='
                               f'{hashlib.sha256(entry.metadata).hexdigest()}"')
            links.append(f"<a{attributes}>{html.escape(entry.filename)}</a><br/>")
        body = ('<!DOCTYPE html><html><head><meta name="pypi:repository-version" '
                f'content="1.0"></head><body>{"".join(links)}</body></html>')
        return body.encode(), "text/html"

    @staticmethod
    def _hash(entry: Entry) -> str:
        return entry.listed_hash or hashlib.sha256(entry.body).hexdigest()

    def resolve(self, path: str) -> tuple[bytes, str] | None:
        fixed = self.pages.get(path.split("?", 1)[0])  # a find-links page, a mapping file...
        if fixed is not None:
            return fixed
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 2 and parts[0] == "simple" and parts[1] in self.projects:
            return self.page(parts[1])
        if len(parts) == 2 and parts[0] == "files":
            for entries in self.projects.values():
                for entry in entries:
                    if parts[1] == entry.filename:
                        return entry.body, "application/octet-stream"
                    if parts[1] == entry.filename + ".metadata" and entry.metadata is not None:
                        return entry.metadata, "application/octet-stream"
        return None

    def __enter__(self) -> "SimpleIndex":
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                found = index.resolve(self.path)
                if found is None:
                    return self.reply(404, b"not found", "text/plain")
                body, kind = found
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.reply(304, b"", kind, etag)
                self.reply(200, body, kind, etag)

            def do_HEAD(self):  # noqa: N802  (uv asks before it downloads a wheel)
                found = index.resolve(self.path)
                if found is None:
                    return self.reply(404, b"not found", "text/plain", head=True)
                self.reply(200, found[0], found[1], head=True)

            def reply(self, status, body, kind, etag=None, head=False):
                index.log.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
