"""Build the teaching PyPI index: a few tiny wheels and their simple-API pages, as static files.

The offline lesson needs a PyPI next to its conda channel. PyPI's *simple repository API* is
plain enough to be a folder of files: ``simple/<project>/`` holds the project page twice, as
``index.html`` (PEP 503: one ``<a>`` per file, the hash in the link's fragment) and as
``index.json`` (PEP 691), next to the project's files and, for each wheel, its ``METADATA``
alone as ``<wheel>.metadata`` (PEP 658), so a resolver reads dependencies without opening
the wheel. ``simple/index.html`` lists the projects. `pypi/index.py` reads such a folder
through a ``file://`` index URL, and offline mode puts it in place of https://pypi.org/simple
(`config.py`).

The projects come from the ``pypi:`` section of ``recipe.yaml``. Each wheel is a zip written
member by member with fixed dates and modes, so the same recipe gives the same bytes (a test
rebuilds the index and compares). An entry with ``sdist: true`` is published only as a source
archive (``.tar.gz``, fixed dates too): minipixi does not build from source, and the lesson
shows what happens then.

``conda-pypi-map.json`` says which conda packages of the teaching channel *are* PyPI packages
(conda name -> PyPI name), as Pixi's mapping service says it for conda-forge: the lock step
gives those packages a ``pkg:pypi`` purl, and PyPI does not install them a second time.

Lesson: Episode 2 ("Mixing conda and PyPI packages"). Read after `teaching/mirror/build.py`;
read next `pypi/index.py`.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import json
import tarfile
import zipfile
from pathlib import Path

import yaml

from minipixi.files import staged_folder
from minipixi.pypi.wheel import record_digest

HERE = Path(__file__).resolve().parent
RECIPE = HERE / "recipe.yaml"
INDEX = HERE / "pypi"
DATE = (2025, 1, 1, 0, 0, 0)  # every zip member's date: the same bytes on every build
EPOCH = 1735689600  # the same moment for tar members and the gzip header


def _dist(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}"


def metadata_text(entry: dict) -> str:
    """The ``METADATA`` file of one recipe entry (core metadata 2.1)."""
    lines = ["Metadata-Version: 2.1", f"Name: {entry['name']}", f"Version: {entry['version']}",
             f"Summary: {entry['summary']}"]
    if entry.get("requires_python"):
        lines.append(f"Requires-Python: {entry['requires_python']}")
    lines += [f"Requires-Dist: {r}" for r in entry.get("requires", [])]
    for extra, requirements in entry.get("extras", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {r}; extra == \"{extra}\"" for r in requirements]
    return "\n".join(lines) + "\n\n"


def wheel_bytes(entry: dict) -> tuple[str, bytes, bytes]:
    """(file name, wheel bytes, METADATA bytes) of one pure-Python wheel."""
    dist = _dist(entry["name"], entry["version"])
    members = {path: text.encode() for path, text in sorted(entry["files"].items())}
    metadata = metadata_text(entry).encode()
    members[f"{dist}.dist-info/METADATA"] = metadata
    members[f"{dist}.dist-info/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: minipixi-teaching\n"
                                          b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = "".join(f"{path},{record_digest(body)},{len(body)}\n" for path, body in members.items())
    members[f"{dist}.dist-info/RECORD"] = (record + f"{dist}.dist-info/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, body in members.items():
            info = zipfile.ZipInfo(member, DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return f"{dist}-py3-none-any.whl", buffer.getvalue(), metadata


def sdist_bytes(entry: dict) -> tuple[str, bytes]:
    """(file name, bytes) of a source archive: PKG-INFO and the files, under ``<name>-<version>/``."""
    dist = _dist(entry["name"], entry["version"])
    members = {"PKG-INFO": metadata_text(entry).encode(),
               **{path: text.encode() for path, text in sorted(entry["files"].items())}}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, body in members.items():
            info = tarfile.TarInfo(f"{dist}/{path}")
            info.size, info.mtime, info.mode = len(body), EPOCH, 0o644
            archive.addfile(info, io.BytesIO(body))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=EPOCH, filename="") as stream:
        stream.write(raw.getvalue())
    return f"{dist}.tar.gz", packed.getvalue()


def _page_html(name: str, files: list[dict]) -> str:
    links = []
    for f in files:
        attributes = f' data-requires-python="{html.escape(f["requires-python"])}"' if f.get("requires-python") else ""
        if f.get("core-metadata"):
            attributes += f' data-core-metadata="sha256={f["core-metadata"]["sha256"]}"'
        links.append(f'    <a href="{f["url"]}#sha256={f["hashes"]["sha256"]}"{attributes}>{f["filename"]}</a><br/>')
    return ("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n"
            f"    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n"
            + "\n".join(links) + "\n  </body>\n</html>\n")


# --8<-- [start:build_pypi]
def build_index(recipe_path: Path = RECIPE, out_dir: Path = INDEX) -> Path:
    """Build the index's ``simple/`` folder and ``conda-pypi-map.json`` into `out_dir`
    (replaced atomically). Returns `out_dir`."""
    recipe = yaml.safe_load(recipe_path.read_text(encoding="utf-8"))
    section = recipe["pypi"]
    with staged_folder(out_dir, prefix=".pypi-") as staging:
        projects: dict[str, list[dict]] = {}
        for entry in section["projects"]:
            folder = staging / "simple" / entry["name"]
            folder.mkdir(parents=True, exist_ok=True)
            file = {"requires-python": entry.get("requires_python")}
            if entry.get("sdist"):
                filename, data = sdist_bytes(entry)
            else:
                filename, data, metadata = wheel_bytes(entry)
                (folder / f"{filename}.metadata").write_bytes(metadata)
                file["core-metadata"] = {"sha256": hashlib.sha256(metadata).hexdigest()}
            (folder / filename).write_bytes(data)
            file.update(filename=filename, url=filename, hashes={"sha256": hashlib.sha256(data).hexdigest()})
            projects.setdefault(entry["name"], []).append({k: v for k, v in file.items() if v is not None})
        for name, files in sorted(projects.items()):
            files.sort(key=lambda f: f["filename"])
            page = {"meta": {"api-version": "1.1"}, "name": name, "files": files}
            (staging / "simple" / name / "index.json").write_text(json.dumps(page, indent=1, sort_keys=True) + "\n")
            (staging / "simple" / name / "index.html").write_text(_page_html(name, files))
        listing = "".join(f'    <a href="{name}/">{name}</a><br/>\n' for name in sorted(projects))
        (staging / "simple" / "index.html").write_text(
            "<!DOCTYPE html>\n<html>\n  <body>\n" + listing + "  </body>\n</html>\n")
        mapping = dict(sorted(section["conda_pypi_map"].items()))
        (staging / "conda-pypi-map.json").write_text(json.dumps(mapping, indent=1) + "\n")
    return out_dir
# --8<-- [end:build_pypi]
