"""Pictures of graphs: an environment's dependencies (and the lesson's figures) as DOT, Mermaid or SVG.

Read after `app/why.py` (the same graph, read from a lock); read next `app/global_tools.py`.
``minipixi tree --format dot|mermaid|svg`` renders through `commands/inspect.py`, and the lesson
site's figures are drawn by this module too, from real runs
(``scripts/generate_lesson_outputs.py``), so a picture can never drift from the program.

A `Graph` is plain data: nodes with a label and a *kind* (which says how to colour them) and
edges with an optional label. Three renderers read it:

- `to_dot`: Graphviz's language, for ``dot -Tpng``, when you have Graphviz;
- `to_mermaid`: a Mermaid flowchart, which GitHub and many wikis draw inside Markdown;
- `to_svg`: an SVG image drawn here, with no program or network needed. It uses the classic
  *layered* layout (Sugiyama's idea, much simplified): each node gets a column, one past its
  deepest parent, so every edge points right; within a column, nodes are sorted a few times by
  the mean row of their parents (the "barycentre"), which untangles most crossings; edges are
  Bezier curves from a node's right side to the next node's left side. Text is monospace, so a
  label's width is known without measuring fonts. An edge that would point backwards (a cycle,
  rare in conda but allowed) is drawn dashed.

`environment_graph` builds the graph of a locked environment, and marks what needs a GPU: a
package whose ``depends`` names ``__cuda`` is *cuda*, one that reaches such a package is
*cuda-transitive* (it cannot be installed where CUDA is missing either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping
from xml.sax.saxutils import escape

from minipixi.records import PackageRecord

#: How each kind of node is drawn: (fill, stroke, dashed, legend text).
STYLES: dict[str, tuple[str, str, bool, str]] = {
    "manifest": ("#e3f2fd", "#1565c0", False, "the manifest"),
    "direct": ("#e0f2f1", "#00796b", False, "asked for in the manifest"),
    "package": ("#fafafa", "#607d8b", False, "pulled in by a dependency"),
    "cuda": ("#ffe0b2", "#e65100", False, "needs __cuda itself"),
    "cuda-transitive": ("#fff8e1", "#f9a825", False, "needs a package that needs __cuda"),
    "virtual": ("#f3e5f5", "#6a1b9a", True, "virtual package: the machine provides it"),
    "pypi": ("#e8eaf6", "#3949ab", False, "a PyPI package (a wheel)"),
    "step": ("#e3f2fd", "#1565c0", False, ""),
    "file": ("#fafafa", "#607d8b", False, ""),
    "tool": ("#e0f2f1", "#00796b", False, ""),
}
FONT_SIZE = 12
CHAR_W = 7.3  # the width of one monospace character at FONT_SIZE (a safe upper bound)
LINE_H = 16
LABEL_SIZE, LABEL_W = 10, 6.1  # edge labels: font size and character width
PAD_X, PAD_Y = 8, 6
GAP_X, GAP_Y = 56, 12
GAP_ROW = 44  # between rows, in a top-to-bottom picture


@dataclass(frozen=True)
class Node:
    id: str
    label: tuple[str, ...]  # one entry per line of text
    kind: str = "package"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    """Nodes (in insertion order) and edges; `title` becomes the SVG's accessible name."""

    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    legend: bool = True
    edge_labels: bool = False  # SVG: write each edge's label on it (flow figures); else a tooltip
    down: bool = False  # SVG: layers as rows, top to bottom (narrow flows fit a page), not columns

    def add(self, id: str, *label: str, kind: str = "package") -> None:
        if kind not in STYLES:
            raise ValueError(f"unknown node kind {kind!r}")
        self.nodes.setdefault(id, Node(id, tuple(label) or (id,), kind))

    def link(self, source: str, target: str, label: str = "") -> None:
        self.edges.append(Edge(source, target, label))


# ---- the graph of an environment -------------------------------------------------------------
def environment_graph(records: Iterable[PackageRecord], requested: Mapping[str, str], *,
                      title: str, virtual: bool = True, pypi=None) -> Graph:
    """The locked `records` as a graph from the manifest's `requested` specs (name -> text),
    coloured by what needs ``__cuda``. With `virtual`, virtual packages are nodes too. `pypi`
    (a `PypiPart` of `app/why.py`): the PyPI packages as nodes of their own kind, labelled
    ``(PyPI)``, with their ``requires_dist`` edges."""
    from minipixi.app.why import MANIFEST, PYPI, edges, label  # lazy: why.py loads the solver (numba); drawing a Graph needs neither

    records = sorted(records, key=lambda r: r.name)
    by_name = {r.name: r for r in records}
    out = edges(records)
    if pypi is not None:
        out.update(pypi.edges)
    cuda = {name for name, kids in out.items() if any(child == "__cuda" for _, child in kids)}
    # Everything that reaches a cuda package needs a GPU too: walk the reversed edges.
    parents: dict[str, set[str]] = {}
    for name, kids in out.items():
        for _, child in kids:
            parents.setdefault(child, set()).add(name)
    needs_gpu, todo = set(cuda), list(cuda)
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in needs_gpu:
                needs_gpu.add(parent)
                todo.append(parent)
    graph = Graph(title)
    graph.add(MANIFEST, kind="manifest")
    direct = [name for name in requested if name in by_name]
    for name in direct + [r.name for r in records if r.name not in requested]:
        kind = ("cuda" if name in cuda else "cuda-transitive" if name in needs_gpu
                else "direct" if name in requested else "package")
        graph.add(name, f"{name} {by_name[name].version}", kind=kind)
    for node in pypi.versions if pypi is not None else ():
        graph.add(node, f"{label(node)} {pypi.versions[node]} (PyPI)".replace("  ", " "), kind="pypi")
    for name in direct:
        graph.link(MANIFEST, name, requested[name])
    for spec, node in pypi.roots if pypi is not None else ():
        graph.link(MANIFEST, node, spec)
    for name in [r.name for r in records] + [n for n in out if n.startswith(PYPI)]:
        for spec, child in out[name]:
            if child.startswith("__"):
                if not virtual:
                    continue
                graph.add(child, child, kind="virtual")
            graph.link(name, child, spec)
    return graph


# ---- DOT and Mermaid -------------------------------------------------------------------------
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph) -> str:
    """Graphviz DOT: ``minipixi tree --format dot | dot -Tsvg > env.svg``."""
    lines = [f"digraph {_quote(graph.title)} {{", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=8, color="#90a4ae"];']
    for node in graph.nodes.values():
        fill, stroke, dashed, _ = STYLES[node.kind]
        style = '"rounded,filled,dashed"' if dashed else '"rounded,filled"'
        lines.append(f"  {_quote(node.id)} [label={_quote(chr(10).join(node.label))}, "
                     f'fillcolor="{fill}", color="{stroke}", style={style}];')
    for edge in graph.edges:
        label = f" [label={_quote(edge.label)}]" if edge.label else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{label};")
    lines.append("}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    # Mermaid labels live inside "..."; a quote is written as the entity #quot;.
    return text.replace('"', "#quot;")


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (node ids are n0, n1...: package names may hold characters Mermaid
    reads as syntax)."""
    ids = {node_id: f"n{i}" for i, node_id in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node in graph.nodes.values():
        label = "<br>".join(_mermaid_text(part) for part in node.label)
        lines.append(f'  {ids[node.id]}["{label}"]:::{node.kind.replace("-", "_")}')
    for edge in graph.edges:
        arrow = f'-->|"{_mermaid_text(edge.label)}"|' if edge.label else "-->"
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
    for kind in sorted({node.kind for node in graph.nodes.values()}):
        fill, stroke, dashed, _ = STYLES[kind]
        dash = ",stroke-dasharray:4 3" if dashed else ""
        lines.append(f"  classDef {kind.replace('-', '_')} fill:{fill},stroke:{stroke}{dash}")
    return "\n".join(lines)


# ---- SVG: a layered layout -------------------------------------------------------------------
def _columns(graph: Graph) -> tuple[dict[str, int], set[Edge]]:
    """Each node's column (one past its deepest parent) and the edges that close a cycle."""
    children: dict[str, list[Edge]] = {n: [] for n in graph.nodes}
    for edge in graph.edges:
        children[edge.source].append(edge)
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    back: set[Edge] = set()
    order: list[str] = []

    def visit(start: str) -> None:  # an explicit stack: a deep graph must not hit recursion limits
        stack = [(start, iter(children[start]))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            for edge in it:
                if state.get(edge.target) == 1:
                    back.add(edge)
                elif edge.target not in state:
                    state[edge.target] = 1
                    stack.append((edge.target, iter(children[edge.target])))
                    break
            else:
                state[node] = 2
                order.append(node)
                stack.pop()

    for node in graph.nodes:
        if node not in state:
            visit(node)
    column = {n: 0 for n in graph.nodes}
    for node in reversed(order):  # a topological order of the graph without its back edges
        for edge in children[node]:
            if edge not in back:
                column[edge.target] = max(column[edge.target], column[node] + 1)
    return column, back


def _size(node: Node) -> tuple[float, float]:
    return (max(len(line) for line in node.label) * CHAR_W + 2 * PAD_X,
            len(node.label) * LINE_H + 2 * PAD_Y)


Lane = tuple[float, float, float]  # an edge's way through a column it skips: (x from, x to, y)
LANE_H = 2  # the height a lane takes in its column (plus GAP_Y)


# --8<-- [start:layout]
def layout(graph: Graph) -> tuple[dict[str, tuple[float, float, float, float]], set[Edge],
                                  dict[int, list[Lane]]]:
    """Boxes (x, y, width, height) for every node, the back edges, and for each edge that skips
    columns (by its index) its lanes: an edge never crosses a column through a box, because it
    has a place of its own in that column, sorted with the nodes (Sugiyama's "dummy nodes")."""
    column, back = _columns(graph)
    col = dict(column)
    sizes = {n: _size(graph.nodes[n]) for n in graph.nodes}
    parents: dict[str, list[str]] = {n: [] for n in graph.nodes}
    dummies: dict[int, list[str]] = {}
    for i, edge in enumerate(graph.edges):
        if edge in back:
            continue
        previous = edge.source
        for c in range(column[edge.source] + 1, column[edge.target]):
            dummy = f"\0{i}:{c}"
            col[dummy], parents[dummy] = c, [previous]
            sizes[dummy] = (LANE_H, 0.0) if graph.down else (0.0, LANE_H)
            dummies.setdefault(i, []).append(dummy)
            previous = dummy
        parents[edge.target].append(previous)
    layers: dict[int, list[str]] = {}
    for node in col:
        layers.setdefault(col[node], []).append(node)
    rank = {n: i for layer in layers.values() for i, n in enumerate(layer)}
    for _ in range(4):  # barycentre sweeps, left to right
        for c in sorted(layers)[1:]:
            layer = layers[c]
            mean = {n: (sum(rank[p] for p in parents[n]) / len(parents[n]) if parents[n] else rank[n])
                    for n in layer}
            layer.sort(key=lambda n: (mean[n], rank[n]))
            rank.update({n: i for i, n in enumerate(layer)})
    # One placement for both directions, along the flow (x left to right, y top down) and
    # across it: each layer's nodes side by side, the layer centred on the widest one.
    a, b = (1, 0) if graph.down else (0, 1)  # which of (width, height) is along, which across
    gap_across = GAP_X if graph.down else GAP_Y
    gaps = {c: GAP_ROW if graph.down else GAP_X for c in layers}
    if graph.edge_labels and not graph.down:  # the gap after a column fits its longest label
        for edge in graph.edges:
            if edge not in back and edge.label:
                c = column[edge.source]
                gaps[c] = max(gaps[c], len(edge.label) * LABEL_W + 24)
    spans = {c: sum(sizes[n][b] for n in layer) + gap_across * (len(layer) - 1) for c, layer in layers.items()}
    widest = max(spans.values(), default=0)
    placed: dict[str, tuple[float, float, float, float]] = {}
    along = 10.0
    for c in sorted(layers):
        depth = max(sizes[n][a] for n in layers[c])
        across = 10.0 + (widest - spans[c]) / 2
        for n in layers[c]:
            size, corner = list(sizes[n]), [0.0, 0.0]
            if n not in graph.nodes:
                size[a] = depth  # a lane runs through its whole layer
            corner[a], corner[b] = along, across
            placed[n] = (corner[0], corner[1], size[0], size[1])
            across += size[b] + gap_across
        along += depth + gaps[c]
    lanes = {i: [(placed[d][a], placed[d][a] + placed[d][2 + a], placed[d][b] + LANE_H / 2) for d in ds]
             for i, ds in dummies.items()}
    return {n: placed[n] for n in graph.nodes}, back, lanes
# --8<-- [end:layout]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _keep_indent(text: str) -> str:
    """Leading spaces as no-break spaces: SVG text collapses ordinary ones."""
    stripped = text.lstrip(" ")
    return "&#160;" * (len(text) - len(stripped)) + stripped


def to_svg(graph: Graph) -> str:
    """A standalone SVG image of `graph` (no script, no external font or stylesheet)."""
    boxes, back, lanes = layout(graph)
    width = max((x + w for x, _, w, _ in boxes.values()), default=0) + 10
    height = max((y + h for _, y, _, h in boxes.values()), default=0) + 10
    kinds = [k for k in STYLES if STYLES[k][3] and any(n.kind == k for n in graph.nodes.values())]
    legend_top = height
    if graph.legend and kinds:
        height += 8 + LINE_H * len(kinds)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}" height="{_fmt(height)}" '
           f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" role="img" aria-label="{escape(graph.title, {chr(34): "&quot;"})}" '
           f'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="{FONT_SIZE}">',
           f"<title>{escape(graph.title)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#78909c"/>'
           "</marker></defs>",
           f'<rect width="{_fmt(width)}" height="{_fmt(height)}" fill="#ffffff"/>']
    for i, edge in enumerate(graph.edges):
        sx, sy, sw, sh = boxes[edge.source]
        tx, ty, tw, th = boxes[edge.target]
        # Right side of the source, through each lane, to the left side of the target (or bottom
        # to top, when the picture goes down): a curve between layers, a straight line along a lane.
        if graph.down:
            points = [(sx + sw / 2, sy + sh)]
            for top, bottom, x in lanes.get(i, ()):
                points += [(x, top), (x, bottom)]
            points.append((tx + tw / 2, ty))
        else:
            points = [(sx + sw, sy + sh / 2)]
            for left, right, y in lanes.get(i, ()):
                points += [(left, y), (right, y)]
            points.append((tx, ty + th / 2))
        d = f"M{_fmt(points[0][0])},{_fmt(points[0][1])}"
        for k in range(1, len(points)):
            (x1, y1), (x2, y2) = points[k - 1], points[k]
            if k % 2 and graph.down:  # a gap between rows
                bend = max(abs(y2 - y1) / 2, 20)
                d += f" C{_fmt(x1)},{_fmt(y1 + bend)} {_fmt(x2)},{_fmt(y2 - bend)} {_fmt(x2)},{_fmt(y2)}"
            elif k % 2:  # a gap between columns
                bend = max(abs(x2 - x1) / 2, 30)
                d += f" C{_fmt(x1 + bend)},{_fmt(y1)} {_fmt(x2 - bend)},{_fmt(y2)} {_fmt(x2)},{_fmt(y2)}"
            else:
                d += f" L{_fmt(x2)},{_fmt(y2)}"
        dash = ' stroke-dasharray="4 3"' if edge in back else ""
        title = f"<title>{escape(edge.label)}</title>" if edge.label else ""
        out.append(f'<path d="{d}" fill="none" stroke="#90a4ae" stroke-width="1.2"'
                   f'{dash} marker-end="url(#arrow)">{title}</path>')
        if graph.edge_labels and edge.label and graph.down:  # beside the curve, halfway down
            (x1, y1), (x2, y2) = points[0], points[1]
            out.append(f'<text x="{_fmt((x1 + x2) / 2 + 8)}" y="{_fmt((y1 + y2) / 2 + 3)}" '
                       f'font-size="{LABEL_SIZE}" fill="#546e7a">{escape(edge.label)}</text>')
        elif graph.edge_labels and edge.label:
            (x1, y1), (x2, y2) = points[0], points[1]
            out.append(f'<text x="{_fmt((x1 + x2) / 2)}" y="{_fmt((y1 + y2) / 2 - 4)}" text-anchor="middle" '
                       f'font-size="{LABEL_SIZE}" fill="#546e7a">{escape(edge.label)}</text>')
    for node in graph.nodes.values():
        x, y, w, h = boxes[node.id]
        fill, stroke, dashed, _ = STYLES[node.kind]
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        out.append(f'<g><rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{_fmt(h)}" rx="5" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="1.4"{dash}/>')
        for i, line in enumerate(node.label):
            out.append(f'<text x="{_fmt(x + PAD_X)}" y="{_fmt(y + PAD_Y + (i + 0.78) * LINE_H)}" '
                       f'fill="#263238">{_keep_indent(escape(line))}</text>')
        out.append("</g>")
    if graph.legend and kinds:
        for i, kind in enumerate(kinds):
            fill, stroke, dashed, text = STYLES[kind]
            y = legend_top + 4 + i * LINE_H
            dash = ' stroke-dasharray="3 2"' if dashed else ""
            out.append(f'<rect x="10" y="{_fmt(y)}" width="22" height="11" rx="2" fill="{fill}" '
                       f'stroke="{stroke}"{dash}/><text x="40" y="{_fmt(y + 10)}" fill="#455a64">'
                       f"{escape(text)}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


RENDERERS = {"dot": to_dot, "mermaid": to_mermaid, "svg": to_svg}
