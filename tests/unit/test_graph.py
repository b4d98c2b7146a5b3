"""graph.py: an environment's graph (coloured by what needs __cuda) and its DOT, Mermaid and SVG.

The SVG is parsed as XML and its geometry checked: every node is a box that does not overlap
another, every edge starts at its source's right side and ends at its target's left side (columns
go left to right), and the picture loads nothing from outside (no href, no script).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from minipixi.cli import main
from minipixi.app.graph import Graph, environment_graph, layout, to_dot, to_mermaid, to_svg
from minipixi.records import PackageRecord
from sample_workspaces import CUDA_EXERCISE, write_manifest

SVG = "{http://www.w3.org/2000/svg}"


def _record(name: str, *depends: str) -> PackageRecord:
    return PackageRecord(name=name, version="1.0", build="0", depends=tuple(depends))


RECORDS = [
    _record("app", "torch >=2", "python"), _record("torch", "__cuda", "python >=3.10", "cudnn"),
    _record("cudnn", "__cuda >=12"), _record("python", "zlib"), _record("zlib"),
]


def test_cuda_colouring_direct_and_transitive():
    graph = environment_graph(RECORDS, {"app": "app *", "python": "python 3.13.*"}, title="t")
    kinds = {n.id: n.kind for n in graph.nodes.values()}
    assert kinds == {"pixi.toml": "manifest", "app": "cuda-transitive", "python": "direct",
                     "cudnn": "cuda", "torch": "cuda", "zlib": "package", "__cuda": "virtual"}
    assert ("torch", "__cuda", "__cuda") in {(e.source, e.target, e.label) for e in graph.edges}
    assert ("pixi.toml", "python", "python 3.13.*") in {(e.source, e.target, e.label) for e in graph.edges}
    without = environment_graph(RECORDS, {"app": "app"}, title="t", virtual=False)
    assert "__cuda" not in without.nodes and without.nodes["torch"].kind == "cuda"


def test_svg_geometry_and_no_external_reference():
    graph = environment_graph(RECORDS, {"app": "app *"}, title='env "x" <gpu>')
    text = to_svg(graph)
    root = ET.fromstring(text)  # well-formed, with the odd characters escaped
    assert root.get("aria-label") == 'env "x" <gpu>'
    assert not re.search(r"href|<script|@import|url\((?!#arrow\))", text)
    boxes, back, lanes = layout(graph)
    assert not back
    for a, (ax, ay, aw, ah) in boxes.items():
        for b, (bx, by, bw, bh) in boxes.items():
            if a < b:
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    for edge in graph.edges:  # every edge points right: a target sits in a later column
        assert boxes[edge.target][0] > boxes[edge.source][0] + boxes[edge.source][2]
    rects = [r for r in root.iter(f"{SVG}rect")]
    assert len([r for r in rects if r.get("rx") == "5"]) == len(graph.nodes)
    assert len(list(root.iter(f"{SVG}path"))) == len(graph.edges) + 1  # + the arrow head
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"torch 1.0", "__cuda", "needs __cuda itself"} <= labels
    assert to_svg(graph) == text  # deterministic: saved figures can be compared byte for byte


def test_a_cycle_is_drawn_dashed_and_still_laid_out():
    records = [_record("a", "b"), _record("b", "a")]
    graph = environment_graph(records, {"a": "a"}, title="cycle")
    boxes, back, lanes = layout(graph)
    assert len(back) == 1 and set(boxes) == {"pixi.toml", "a", "b"}
    assert 'stroke-dasharray="4 3" marker-end' in to_svg(graph)


def test_dot_and_mermaid_quote_what_they_must():
    graph = Graph("g")
    graph.add("x", 'say "hi"', kind="step")
    graph.add("y", "a-b.c", kind="file")
    graph.link("x", "y", 'spec "q"')
    dot = to_dot(graph)
    assert '"x" [label="say \\"hi\\""' in dot and '"x" -> "y" [label="spec \\"q\\""];' in dot
    mermaid = to_mermaid(graph).splitlines()
    assert mermaid[0] == "flowchart LR"
    assert '  n0["say #quot;hi#quot;"]:::step' in mermaid and '  n0 -->|"spec #quot;q#quot;"| n1' in mermaid
    with pytest.raises(ValueError):
        graph.add("z", kind="nope")


def test_tree_format_on_the_lesson_gpu_environment(offline, tmp_path, monkeypatch, capsys):
    path = write_manifest(tmp_path / "cuda", CUDA_EXERCISE)
    monkeypatch.chdir(path.parent)
    assert main(["tree", "-e", "gpu", "--format", "svg"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"pytorch 2.7.0", "cudnn 9.10.1.4", "__cuda", "pixi.toml"} <= labels
    assert main(["tree", "-e", "gpu", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph "environment gpu on linux-64" {')
    assert '"pytorch" -> "__cuda" [label="__cuda"];' in dot
    assert main(["tree", "-e", "cpu", "--format", "mermaid"]) == 0
    assert ":::cuda" not in capsys.readouterr().out  # nothing of the CPU environment needs a GPU
    assert main(["tree", "numpy", "--format", "svg"]) == 1
    assert "takes no REGEX" in capsys.readouterr().err


def test_a_downward_flow_puts_each_target_below_its_source():
    graph = Graph("flow", legend=False, edge_labels=True, down=True)
    for name in ("a", "b", "c", "d"):
        graph.add(name, name, f"  {name * 12}", kind="step")
    graph.link("a", "b", "one")
    graph.link("b", "c", "two")
    graph.link("a", "c", "skips a row")
    graph.link("c", "d")
    boxes, back, lanes = layout(graph)
    for edge in graph.edges:
        sx, sy, sw, sh = boxes[edge.source]
        assert boxes[edge.target][1] > sy + sh
    assert list(lanes) == [2] and len(lanes[2]) == 1  # a->c passes b's row in a lane of its own
    top, bottom, x = lanes[2][0]
    bx, by, bw, bh = boxes["b"]
    assert not bx <= x <= bx + bw and top == by
    svg = to_svg(graph)
    assert ">skips a row</text>" in svg and ET.fromstring(svg) is not None
