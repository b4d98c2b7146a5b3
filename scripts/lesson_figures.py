"""The lesson's figures, drawn from the workspaces a real run of the lesson's commands just built.

`scripts/generate_lesson_outputs.py` runs each group of saved commands in a scratch HOME; before
it throws that folder away it calls `figures_for(group, home)`, which returns {file name: SVG}.
The figures are saved in ``lessons/figures/`` and compared byte for byte by ``--check`` (and by
``tests/site/test_lesson_outputs.py``), exactly like the text outputs: a figure can never show a
workspace, a lock or a package that the program did not make.

Two sources:

- any ``*.svg`` a command of the group wrote under ``~/pixi-lesson`` (Episode 5 draws its GPU
  environment with ``minipixi tree --format svg > gpu-environment.svg``);
- the builders below, which read what the group left behind: the pipeline (Episode 2's workspace,
  lock and environment), a ``.conda`` file's anatomy (the archive Episode 4 unpacks), and the
  deployment flow (the files Episode 7's exports wrote).

Every picture is drawn by `minipixi.app.graph.to_svg`: plain SVG, no script, no font, no network.
"""

from __future__ import annotations

import io
import tarfile
import tomllib
import zipfile
from pathlib import Path

from minipixi.app.graph import Graph, to_svg


def _svg_files(lesson: Path) -> dict[str, str]:
    """The SVG files the group's commands wrote (outside any environment folder)."""
    found = {}
    for path in sorted(lesson.rglob("*.svg")):
        if ".pixi" in path.relative_to(lesson).parts:
            continue
        if path.name in found:
            raise SystemExit(f"two figures named {path.name}: give each a unique file name")
        found[path.name] = path.read_text(encoding="utf-8")
    return found


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def pipeline(lesson: Path) -> dict[str, str]:
    """manifest -> solve -> lock -> install, labelled with Episode 2's real workspace."""
    from minipixi.lock.read import read_lock

    ws = lesson / "example"
    manifest = tomllib.loads((ws / "pixi.toml").read_text(encoding="utf-8"))
    workspace = manifest["workspace"]
    deps = manifest.get("dependencies", {})
    lock = read_lock(ws / "pixi.lock")
    default = lock.environments["default"]
    counts = [f"{p}: {_plural(len(default.conda_packages(p)), 'package')}" for p in sorted(default.packages)]
    installed = len(list((ws / ".pixi" / "envs" / "default" / "conda-meta").glob("*.json")))
    graph = Graph("From pixi.toml to an installed environment", legend=False, edge_labels=True, down=True)
    graph.add("manifest", "pixi.toml (you write it)",
              *[f"  {name} = {spec!r}" for name, spec in list(deps.items())[:3]],
              *(["  ..."] if len(deps) > 3 else []),
              f"  platforms: {len(workspace['platforms'])}", kind="step")
    graph.add("channel", f"channel: {', '.join(workspace['channels'])}",
              "  repodata.json per platform", "  (every build that exists)", kind="file")
    graph.add("solve", "solve", "  one build per package,", "  every spec satisfied", kind="tool")
    graph.add("lock", "pixi.lock (written for you)", *[f"  {line}" for line in counts],
              "  urls + sha256", kind="file")
    graph.add("install", "install", "  download, verify,", "  extract, link", kind="tool")
    graph.add("env", ".pixi/envs/default", f"  {_plural(installed, 'package')} installed", kind="step")
    graph.link("manifest", "solve", "what you asked for")
    graph.link("channel", "solve", "what exists")
    graph.link("solve", "lock", "exact builds, every platform")
    graph.link("lock", "install", "this machine's platform")
    graph.link("install", "env")
    return {"pipeline.svg": to_svg(graph)}


def _members(data: bytes, limit: int) -> list[str]:
    """The first `limit` member names of a zstd-compressed tar (folders end in /)."""
    import zstandard

    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)) as stream:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            names = [m.name + ("/" if m.isdir() else "") for m in tar]
    shown = sorted(names)[:limit]
    return shown + ([f"... {len(names) - limit} more"] if len(names) > limit else [])


def conda_anatomy(lesson: Path) -> dict[str, str]:
    """The layers of the ``.conda`` file Episode 4 copied and unpacked."""
    archives = sorted((lesson / "unpack").glob("*.conda"))
    if not archives:
        raise SystemExit("ep04 left no .conda file in ~/pixi-lesson/unpack: did its commands change?")
    path = archives[0]
    graph = Graph(f"Inside {path.name}", legend=False, edge_labels=True)
    graph.add("file", path.name, f"  a zip file, {path.stat().st_size} bytes", kind="step")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            kind = "tool" if info.filename.startswith("info-") else "file"
            graph.add(info.filename, info.filename, f"  {info.file_size} bytes, stored", kind=kind)
            graph.link("file", info.filename)
            if info.filename.endswith(".tar.zst"):
                inner = info.filename + "/"
                what = ("metadata for installers" if info.filename.startswith("info-")
                        else "the files to link")
                graph.add(inner, f"tar, zstd-compressed: {what}",
                          *[f"  {name}" for name in _members(archive.read(info), 8)], kind="file")
                graph.link(info.filename, inner)
    return {"conda-anatomy.svg": to_svg(graph)}


def deployment(lesson: Path) -> dict[str, str]:
    """workspace -> image -> registry -> HTCondor / Slurm, with the files Episode 7 wrote."""
    ws = lesson / "htcondor"
    submit = (ws / "mnist.sub").read_text(encoding="utf-8").splitlines()
    image = next(line.split("=", 1)[1].strip() for line in submit if line.startswith("container_image"))
    docker = (ws / "Dockerfile").read_text(encoding="utf-8").splitlines()
    stages = [line for line in docker if line.startswith("FROM ")]
    graph = Graph("From a workspace to jobs on a cluster", legend=False, edge_labels=True, down=True)
    graph.add("ws", "workspace", "  pixi.toml", "  pixi.lock", "  src/", kind="step")
    graph.add("dockerfile", "Dockerfile", *[f"  {stage}" for stage in stages],
              "  minipixi install --locked", kind="file")
    graph.add("image", "container image", "  the locked environment,", "  built by CI", kind="tool")
    registry, _, tag = image.removeprefix("docker://").rpartition(":")
    graph.add("registry", "registry", f"  {registry}", f"  tag {tag}", kind="step")
    graph.add("htcondor", "HTCondor (Episode 7)", "  mnist.sub: universe = container",
              "  submit.sh", kind="file")
    graph.add("slurm", "Slurm (Episode 8)", "  mnist.sbatch", "  apptainer / the locked env", kind="file")
    graph.link("ws", "dockerfile", "workspace export dockerfile")
    graph.link("dockerfile", "image", "docker build")
    graph.link("image", "registry", "docker push")
    graph.link("registry", "htcondor", "container_image")
    graph.link("registry", "slurm", "apptainer pull")
    return {"deployment.svg": to_svg(graph)}


BUILDERS = {"ep02": pipeline, "ep04": conda_anatomy, "ep07": deployment}


def figures_for(group: str, home: Path) -> dict[str, str]:
    """{file name: SVG} for everything `group` drew or left behind to draw from."""
    lesson = home / "pixi-lesson"
    figures = _svg_files(lesson)
    if group in BUILDERS:
        figures.update(BUILDERS[group](lesson))
    return figures
