"""Build the teaching channel: from a hand-written recipe to repodata and real `.conda` files.

A conda channel is only a folder per subdir, each with a ``repodata.json`` index and the
package files it lists. This script makes one from ``recipe.yaml`` in three steps:

1. **expand** every recipe entry into one build per (subdir, python version), filling the
   ``{py}``, ``{pyver}``, ``{hash}``... placeholders of its build string, dependencies and files;
2. **pack** each build's files into a `.conda` with `minipixi.install.package_writer.write_conda`
   (``info/index.json`` says what the package is; ``info/link.json`` lists the entry points of
   noarch python packages);
3. **index** each subdir: ``repodata.json`` lists every package with its size and hashes.

Everything is deterministic (sorted members, fixed timestamps), so the same recipe gives the
same bytes; a test rebuilds the channel and compares it with the one shipped in the package.

Run it with ``python -m minipixi.teaching.mirror.build`` after editing the recipe; it builds
the teaching PyPI index next to the channel too (`teaching/mirror/pypi_index.py`).

Windows builds (win-64) take an entry's ``win_files`` instead of its ``files`` when it has them:
``.cmd`` shims where POSIX builds have ``#!/bin/sh`` ones, in conda's Windows layout (``python.cmd``
in the prefix, programs in ``Library/bin``, python files in ``Lib/site-packages``). An entry with
``prefix_placeholder: true`` is built with `PLACEHOLDER` in place of ``{placeholder}`` in its
files (a file with a NUL byte is a binary one).

Lesson: Episode 4 ("What is inside a conda package") uses these packages as its specimens.
Read after `install/package_writer.py`, the writer of each ``.conda`` file.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from minipixi.files import staged_folder
from minipixi.install.package_writer import write_conda
from minipixi.teaching.mirror.pypi_index import build_index

HERE = Path(__file__).resolve().parent
RECIPE = HERE / "recipe.yaml"
CHANNEL = HERE / "channel"
SUBDIRS = ("linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64", "noarch")
# The prefix a package was "built in", for entries with ``prefix_placeholder: true``:
# ``{placeholder}`` in their files becomes this, and paths.json marks each file that holds it
# (text or binary), so the installer writes the environment's real path there. Long, as conda-build's is, because
# a binary file has no room to grow: the real prefix must not be longer than the placeholder.
PLACEHOLDER = "/opt/minipixi-teaching/build/_h_env_" + "placehold_" * 21
# Where python files go in a Windows environment (conda's layout: Lib/site-packages).
WINDOWS_SITE_PACKAGES = "Lib/site-packages"


@dataclass
class Build:
    """One package build: its repodata fields and the files it ships."""

    subdir: str
    index: dict
    files: dict[str, str] = field(default_factory=dict)
    entry_points: list[str] = field(default_factory=list)
    has_placeholder: bool = False

    @property
    def filename(self) -> str:
        i = self.index
        return f"{i['name']}-{i['version']}-{i['build']}.conda"


def _short_hash(*parts: object) -> str:
    """A 7-character hash standing in for conda-build's hash of the build's variant."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:7]


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def expand_entry(entry: dict, recipe: dict) -> list[Build]:
    """All builds of one recipe entry: one per subdir and python version."""
    builds = []
    for subdir in entry["subdirs"]:
        for pyver in entry.get("python", [None]):
            builds.append(_expand_one(entry, recipe, subdir, pyver))
    return builds


def _expand_one(entry: dict, recipe: dict, subdir: str, pyver: str | None) -> Build:
    values = {"version": str(entry["version"])}
    if pyver is None and entry["name"] == "python":  # the interpreter knows its own X.Y
        pyver = ".".join(str(entry["version"]).split(".")[:2])
    if pyver:
        major, minor = pyver.split(".")
        values.update(py=f"{major}{minor}", pyver=pyver, pyver_next=f"{major}.{int(minor) + 1}")
    depends = [_fill(d, values) for d in entry.get("depends", [])]
    if subdir.startswith("linux"):
        depends += entry.get("linux_depends", [])
    constrains = [_fill(c, values) for c in entry.get("constrains", [])]
    values["hash"] = _short_hash(entry["name"], entry["version"], subdir, depends, constrains)
    build = _fill(entry["build"], values)
    values["variant"] = "CUDA" if build.startswith("cuda") else "CPU"
    index = {
        "name": entry["name"], "version": str(entry["version"]), "build": build,
        "build_number": int(entry.get("build_number", 0)), "depends": sorted(depends),
        "constrains": sorted(constrains), "license": entry.get("license", recipe["license"]),
        "subdir": subdir, "timestamp": int(recipe["timestamp"]),
    }
    if entry.get("noarch"):
        index["noarch"] = entry["noarch"]
    if entry.get("track_features"):
        index["track_features"] = " ".join(entry["track_features"])
    if entry["name"] == "python" and subdir.startswith("win"):
        index["python_site_packages_path"] = WINDOWS_SITE_PACKAGES
    if entry.get("prefix_placeholder"):
        values["placeholder"] = PLACEHOLDER
    source = entry.get("win_files") if subdir.startswith("win") and "win_files" in entry else entry.get("files")
    files = {_fill(p, values): _fill(t, values) for p, t in (source or {}).items()}
    return Build(subdir, index, _place_files(files, entry, pyver, subdir), list(entry.get("entry_points", [])),
                 bool(entry.get("prefix_placeholder")))


def _place_files(files: dict[str, str], entry: dict, pyver: str | None, subdir: str = "linux-64") -> dict[str, str]:
    """Where each file goes inside the package.

    noarch python packages keep ``site-packages/...`` (the installer moves it under the
    environment's python); packages built for one python put it under ``lib/pythonX.Y/``, or
    ``Lib/`` on Windows (conda's Windows layout, where the python record says so in
    ``python_site_packages_path``).
    """
    placed = {}
    for path, text in files.items():
        if path.startswith("site-packages/") and entry.get("noarch") != "python":
            folder = WINDOWS_SITE_PACKAGES if subdir.startswith("win") else f"lib/python{pyver}/site-packages"
            path = folder + path[len("site-packages"):]
        placed[path] = text
    return placed


def expand_recipe(recipe: dict) -> list[Build]:
    """Every build of the channel, in recipe order."""
    return [b for entry in recipe["packages"] for b in expand_entry(entry, recipe)]


def _package_tree(build: Build, root: Path, note: str) -> None:
    """Lay out one build as the folder a `.conda` is made from (payload + info/)."""
    for rel, text in build.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix in (".cmd", ".bat"):
            text = text.replace("\n", "\r\n")  # cmd.exe's labels misbehave with bare \n lines
        target.write_text(text, encoding="utf-8", newline="")  # the same bytes on every system
        mode = 0o755 if text.startswith("#!") else 0o644
        target.chmod(mode)
    info = root / "info"
    info.mkdir(parents=True, exist_ok=True)
    about = {"summary": note, "license": build.index["license"]}
    (info / "about.json").write_text(json.dumps(about, indent=2, sort_keys=True) + "\n")
    if build.index.get("noarch") == "python":
        link = {"noarch": {"type": "python", "entry_points": build.entry_points}, "package_metadata_version": 1}
        (info / "link.json").write_text(json.dumps(link, indent=2, sort_keys=True) + "\n")


def index_json(build: Build) -> dict:
    """``info/index.json``: the repodata fields plus the platform the build is for."""
    arch = {"linux-64": "x86_64", "linux-aarch64": "aarch64", "osx-64": "x86_64", "osx-arm64": "arm64",
            "win-64": "x86_64"}.get(build.subdir)
    index = dict(build.index)
    index["arch"] = arch
    index["platform"] = None if arch is None else build.subdir.split("-")[0]
    return index


# --8<-- [start:build]
def build_channel(recipe_path: Path = RECIPE, out_dir: Path = CHANNEL) -> Path:
    """Build the whole channel into `out_dir` (replaced atomically). Returns `out_dir`."""
    recipe = yaml.safe_load(recipe_path.read_text(encoding="utf-8"))
    builds = expand_recipe(recipe)
    with staged_folder(out_dir, prefix=".channel-") as staging:
        repodata = {s: {} for s in SUBDIRS}
        for build in builds:
            with tempfile.TemporaryDirectory() as tree:
                _package_tree(build, Path(tree), recipe["teaching_note"])
                placeholder = PLACEHOLDER if build.has_placeholder else None
                target = write_conda(Path(tree), staging / build.subdir, index_json(build),
                                     prefix_placeholder=placeholder)
            data = target.read_bytes()
            record = dict(build.index)
            record.update(md5=hashlib.md5(data).hexdigest(), sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            repodata[build.subdir][build.filename] = dict(sorted(record.items()))
        for subdir, records in repodata.items():
            folder = staging / subdir
            folder.mkdir(parents=True, exist_ok=True)
            index = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": dict(sorted(records.items())),
                     "removed": [], "repodata_version": 1}
            (folder / "repodata.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    return out_dir
# --8<-- [end:build]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else CHANNEL
    print(f"built {build_channel(RECIPE, out)}")
    if len(sys.argv) <= 1:
        print(f"built {build_index(RECIPE)}")
