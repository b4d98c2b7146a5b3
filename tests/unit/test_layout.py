"""The shape of the code, pinned: a reader can follow it because these stay true.

- No import cycles among minipixi's modules, counting imports inside functions too: the import
  graph is the reading order, and a cycle is a chapter that needs the next one to make sense.
- Imports sit at the top of a module. An import inside a function is allowed only when it is
  *lazy on purpose*: it loads a heavy library (or a minipixi module that loads one at import
  time), so that ``minipixi --help`` stays fast, or a module that exists on one operating system
  only (``fcntl``, ``msvcrt``), and it says so with a ``# lazy: <reason>`` comment on its line.
- No module over 700 lines, and cli.py (grammar, rendering, one error handler) under 500.
- Every module docstring says where the module sits in the reading order ("Read after
  `x.py`; read next `y.py`", or for a package, its modules), a docstring that names another
  module (a backticked ``solver/search.py`` or ``install/``) names one that exists, and only one
  module calls itself the place to start.

Everything is read with `ast`; nothing here imports the modules it checks.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "minipixi"

# Third-party libraries that take long enough to import to matter for ``--help`` (or that a
# command needs only on some paths), measured with ``python -X importtime``.
HEAVY = {"numba", "numpy", "httpx", "yaml", "tomlkit", "hypothesis", "bashlex", "dockerfile_parse",
         "msgpack", "zstandard", "packaging", "tomllib"}
# Standard-library modules that are slow to import (tens of milliseconds) or start machinery.
HEAVY_STDLIB = {"multiprocessing", "concurrent", "asyncio", "ssl", "http", "urllib", "email",
                "doctest", "importlib", "sqlite3", "tarfile", "zipfile", "subprocess", "ctypes",
                "dataclasses"}  # 15 ms with `inspect`: tests/cli/test_startup.py keeps it out of --help
# Modules that exist on one operating system only: `import minipixi.x` must work everywhere, so
# these are imported inside the function that runs on that system (tests/unit/test_portability.py).
ONE_SYSTEM_ONLY = {"fcntl", "pwd", "grp", "termios", "resource", "tty", "pty", "posix", "syslog",
                   "crypt", "spwd", "nis", "readline", "msvcrt", "winreg", "_winapi", "winsound"}
MAX_LINES = 700
MAX_CLI_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[:2] == ("teaching", "mirror") and len(path.relative_to(PACKAGE).parts) > 3:
            continue  # the built channel and index under teaching/mirror/ are data, not modules
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The minipixi module an imported dotted name lands in (``from a.b import c`` may name a
    module ``a.b.c`` or an attribute of ``a.b``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _package_of(path: Path) -> str:
    """The dotted package a module sits in (what a relative import is relative to)."""
    return ".".join(path.parent.relative_to(ROOT).parts)


def _imports(path: Path):
    """Yield (node, dotted names, inside_function, under_type_checking) for every import.

    A relative import (``from .x import y``) is named by the absolute module it lands in."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package_of(path)

    def walk(node, in_function, type_checking):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(child, True, type_checking)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(child, in_function, True)
            elif isinstance(child, ast.Import):
                yield child, [a.name for a in child.names], in_function, type_checking
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                names = [f"{base}.{a.name}" for a in child.names] if base.startswith("minipixi") else [base]
                yield child, names, in_function, type_checking
            else:
                yield from walk(child, in_function, type_checking)
    yield from walk(tree, False, False)


def _ancestors(name: str) -> list[str]:
    """The packages Python imports before module `name`: ``a.b.c`` -> ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _graph(include_functions: bool) -> dict[str, set[str]]:
    """Module -> the modules importing it runs. Importing ``minipixi.a.b`` runs ``a/__init__.py``
    first, so that package is an edge too, unless the importer is already inside it."""
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        inside = set(_ancestors(name)) | {name}
        for _node, targets, in_function, type_checking in _imports(path):
            if type_checking or (in_function and not include_functions):
                continue
            for target in targets:
                found = _resolve(target)
                if found is None:
                    continue
                for module in [*_ancestors(found), found]:
                    if module in MODULES and module not in inside:
                        graph[name].add(module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_no_import_cycles():
    cycles = _cycles(_graph(include_functions=True))
    assert not cycles, "import cycles (function-level imports included):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def _heavy_modules() -> set[str]:
    """minipixi modules that import a heavy library (or a slow standard-library module) when
    they are imported: what ``--help`` must not load (tests/cli/test_startup.py)."""
    top = _graph(include_functions=False)
    direct = set()
    for name, path in MODULES.items():
        for _node, targets, in_function, type_checking in _imports(path):
            if not in_function and not type_checking and any(
                    t.split(".")[0] in HEAVY | HEAVY_STDLIB for t in targets):
                direct.add(name)
    heavy, changed = set(direct), True
    while changed:
        changed = False
        for name, deps in top.items():
            if name not in heavy and deps & heavy:
                heavy.add(name)
                changed = True
    return heavy


def _runs_heavy(importer: str, target: str, heavy_minipixi: set[str]) -> bool:
    """Does importing `target` from `importer` run a heavy minipixi module: the target itself, or
    a package ``__init__.py`` on its way that the importer is not already inside?"""
    found = _resolve(target)
    if found is None:
        return False
    inside = set(_ancestors(importer))
    return any(m in heavy_minipixi for m in [*_ancestors(found), found] if m not in inside)


def test_function_level_imports_are_lazy_on_purpose():
    heavy_minipixi = _heavy_modules()
    wrong = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, targets, in_function, type_checking in _imports(path):
            if not in_function or type_checking:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            heavy = all(t.split(".")[0] in HEAVY | HEAVY_STDLIB | ONE_SYSTEM_ONLY or _runs_heavy(name, t, heavy_minipixi)
                        for t in targets)
            commented = any("# lazy:" in lines[i] for i in range(node.lineno - 1, node.end_lineno))
            if not heavy:
                wrong.append(f"{where}: {', '.join(targets)} is not heavy; import it at the top")
            elif not commented:
                wrong.append(f"{where}: say why it is lazy with a '# lazy: <reason>' comment")
    assert not wrong, f"{len(wrong)} function-level imports:\n" + "\n".join(wrong)


def test_no_module_is_too_long_to_read_in_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    cli_lines = len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines())
    assert cli_lines < MAX_CLI_LINES, f"cli.py has {cli_lines} lines"


POINTER = re.compile(r"`([A-Za-z0-9_./-]+(?:\.py|/))`")
#: The names of minipixi's modules and packages (``fetch``, ``channel``, ...), and of the flat
#: modules the packages replaced: a backticked folder with one of these names in it is a pointer.
MODULE_NAMES = {part for name in MODULES for part in name.split(".")[1:]} | {
    "teaching_channel", "lock_yaml", "lock_diff", "deploy", "channel", "lock"}


def is_pointer(target: str) -> bool:
    """Is a backticked path in a docstring a reading-order pointer to a minipixi module?

    Any ``.py`` file is; a folder is when one of its parts names a minipixi module or package
    (``solver/``, ``install/``), and not when it names a place in a package, a prefix or an
    exercise (``info/``, ``.pixi/``, ``starter/``)."""
    if target.endswith(".py"):
        return True
    return any(part in MODULE_NAMES for part in target.strip("/").split("/"))


def pointer_exists(target: str) -> bool:
    """Pointers are relative to ``minipixi/`` (or, for tests and scripts, the repository)."""
    return (PACKAGE / target).exists() or (ROOT / target).exists()


#: How a module calls itself the place to start ("Read first", "Read this module first").
START = re.compile(r"\bread (?:this (?:module |file |package )?)?first\b", re.I)


def test_docstring_pointers_name_modules_that_exist():
    wrong, starts = [], []
    for name, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        for target in POINTER.findall(doc):
            if is_pointer(target) and not pointer_exists(target):
                wrong.append(f"{path.relative_to(ROOT)} names `{target}`")
        if START.search(doc):
            starts.append(name)
    assert not wrong, "docstrings point at modules that do not exist:\n" + "\n".join(wrong)
    assert len(starts) <= 1, f"more than one module says 'read first': {starts}"


READING_ORDER = re.compile(r"\bread (?:this module |this |it )?(?:first|after|next|before)\b", re.I)


def test_every_module_says_where_it_sits_in_the_reading_order():
    """A module's docstring names its neighbours: "Read after `x.py`; read next `y.py`" (or, for
    a package's ``__init__.py``, lists its modules as pointers)."""
    wrong = []
    for name, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        pointers = [t for t in POINTER.findall(doc) if is_pointer(t)]
        if not doc:
            wrong.append(f"{path.relative_to(ROOT)}: no docstring")
        elif path.name == "__init__.py" and not pointers:
            wrong.append(f"{path.relative_to(ROOT)}: list the package's modules (`pkg/x.py`)")
        elif path.name != "__init__.py" and not (READING_ORDER.search(doc) and pointers):
            wrong.append(f"{path.relative_to(ROOT)}: say 'Read after `x.py`' or 'read next `y.py`'")
    assert not wrong, "docstrings without a place in the reading order:\n" + "\n".join(wrong)


@pytest.mark.parametrize("target, pointer, exists", [
    ("solver/search.py", True, True),
    ("install/", True, True),
    ("solver.py", True, False),          # a package now: stale
    ("lock_yaml.py", True, False),       # renamed to lock/yaml_dialect.py
    ("teaching_channel/", True, False),  # renamed to teaching/mirror/
    ("search.py", True, False),          # relative to minipixi/, not to the docstring's package
    ("info/", False, False),             # a folder inside a conda package, not a module
    ("lib/pythonX.Y/", False, False),
])
def test_the_pointer_rule(target, pointer, exists):
    assert (is_pointer(target), pointer_exists(target)) == (pointer, exists)


@pytest.mark.parametrize("text, start", [
    ("Read first; read next `version_order.py`.", True),
    ("Read this module first: it is where a command starts.", True),
    ("Read after `cli.py`; read next `app/`.", False),
    ("The first of the core types; read next `version_order.py`.", False),
])
def test_the_start_rule(text, start):
    assert bool(START.search(text)) == start


def test_the_graph_counts_package_inits_and_relative_imports(tmp_path):
    """Importing ``minipixi.a.b`` runs ``a/__init__.py``: an edge to the package unless the
    importer is inside it; ``from . import x`` resolves against the importer's package."""
    assert _ancestors("minipixi.solver.search") == ["minipixi", "minipixi.solver"]
    graph = _graph(include_functions=True)
    assert "minipixi.solver" not in graph["minipixi.solver.search"]  # its own package
    assert all("minipixi" not in deps for deps in graph.values())     # every module is inside it
    module = tmp_path / "minipixi" / "solver" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text("from . import search\nfrom .. import errors\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        names = [n for _node, targets, _f, _t in _imports(module) for n in targets]
    finally:
        ROOT = saved
    assert names == ["minipixi.solver.search", "minipixi.errors"]


@pytest.mark.parametrize("bad", [
    {"a": {"b"}, "b": {"c"}, "c": {"a"}},
])
def test_the_cycle_finder_finds_cycles(bad):
    assert _cycles(bad) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
