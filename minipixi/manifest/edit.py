"""Editing pixi.toml the way a careful person would: change one thing, keep everything else.

Commands like ``minipixi add numpy`` change the manifest a learner also edits by hand, so an edit
must keep their comments, key order and blank lines. tomlkit makes that possible: it parses TOML
into a document that remembers every byte of formatting, lets us change values, and writes the
rest back unchanged.

Every edit follows the same steps (`edit_manifest`), holding the workspace lock
(`app/workspace_lock.py`) so that two commands never edit the file at the same time:

1. read the bytes, and note how the file is written: a UTF-8 byte order mark (BOM) in front,
   and Windows line endings (CRLF) or Unix ones (LF);
2. parse the text (without the BOM, with LF) with tomlkit, and change the document;
3. render it, **check the result with the real parser** (`manifest/parse.py`), put the BOM
   and the CRLF line endings back, and only then replace the file with `files.write_atomic`.
   A failed edit leaves the file byte for byte as it was.

Steps 2 and 3 work on a `Draft`: the text being edited and the model it parses to. Every edit
function accepts a path (read, edit, write, under the lock) or a draft (edit in memory, write
nothing), so ``add`` can edit, solve, pin and then write pixi.toml once (`app/add.py`).

Removing undoes adding: tables that an `add` created (``[feature.gpu.target.linux-64.dependencies]``)
are removed again when they become empty, so ``add`` then ``remove`` restores the original
bytes. Top-level tables (``[dependencies]``, ``[tasks]``) stay, as ``minipixi init`` writes them.

This module holds the steps and the table helpers every edit shares; the edits themselves are
in `manifest/edit_dependencies.py` (``add``/``remove``), `manifest/edit_tasks.py` (``task``),
`manifest/edit_workspace.py` (platforms, channels, environments, system requirements),
`manifest/migrate.py` (``workspace migrate``) and `manifest/init.py` (``init``).

Lesson: Episode 2 (``pixi add``, ``pixi task add``) and Episode 5. Read after
`manifest/workspace.py`; read next `manifest/specs.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import tomlkit
from tomlkit.items import InlineTable, Table

from minipixi import files
from minipixi.app.workspace_lock import workspace_lock
from minipixi.errors import Location, ManifestError, source_excerpt
from minipixi.manifest.locate import scan
from minipixi.manifest.find import is_pyproject
from minipixi.manifest.model import DEFAULT_FEATURE, KNOWN_PLATFORMS, SELECTORS
from minipixi.manifest.parse import parse_manifest
from minipixi.manifest.shape import did_you_mean
from minipixi.manifest.workspace import Workspace

R = TypeVar("R")


# ---- reading and writing the bytes ---------------------------------------------------------
BOM = "\ufeff"



@dataclass(frozen=True)
class TextForm:
    """How a manifest's bytes are written: a BOM in front, CRLF line endings. Edits work on
    plain text (no BOM, LF) and `encode` puts the form back, so ``add`` keeps a Windows file a
    Windows file. A file that mixes CRLF and LF lines is edited as it is."""

    bom: bool = False
    crlf: bool = False

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def decode_manifest(data: bytes, path: Path) -> tuple[str, TextForm]:
    """The text of a manifest's bytes to edit (no BOM, LF line endings) and its `TextForm`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ManifestError(f"{path.name} is not UTF-8 text (byte {err.start + 1}, line {line})",
                            where=f"{path}:{line}", hint="save the file as UTF-8") from err
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    return (text.replace("\r\n", "\n") if crlf else text), TextForm(bom, crlf)


def write_text_atomic(path: Path, text: str, form: TextForm = TextForm()) -> None:
    """Replace `path` with `text` in `form`, in one step (`files.write_atomic`)."""
    files.write_atomic(path, form.encode(text))


def validate_new_text(text: str, path: Path, action: str) -> Workspace:
    """Parse the would-be manifest; a problem becomes "cannot ACTION: ..." and nothing is written."""
    try:
        return parse_manifest(text, path)
    except ManifestError as err:
        raise ManifestError(
            f"cannot {action}: the result would be invalid: {err.message}",
            where=err.where, hint=err.hint or f"{path.name} was left unchanged", details=err.details,
        ) from err


# --8<-- [start:edit]
def edit_manifest(path: Path | str | Draft, action: str,
                  change: Callable[[tomlkit.TOMLDocument, Workspace], R]) -> R:
    """Apply ``change(document, workspace)`` to the manifest at `path`, validate, write atomically.

    `workspace` is the manifest as it is now (for checks); `action` names the edit for error
    messages ("add numpy"). Returns what `change` returns. If `change` or the validation
    raises, the file is not touched. The whole read-change-write holds the workspace lock.
    Given a `Draft` instead of a path, the edit changes the draft and writes nothing.
    """
    if isinstance(path, Draft):
        return path.apply(action, change)
    path = Path(path)
    if not path.is_file():  # an error before the lock creates anything
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` first")
    with workspace_lock(path.absolute().parent):
        draft = Draft(path, *read_for_edit(path))
        result = draft.apply(action, change)
        if draft.changed:
            write_text_atomic(path, draft.text, draft.form)
    return result


@dataclass
class Draft:
    """A manifest edited in memory: `text` (no BOM, LF) and its `workspace` after the edits so
    far, `original` the text it started from. ``add`` edits a draft, solves it, pins, and only
    then writes it once (`app/add.py`); `edit_manifest` uses one for every edit."""

    path: Path
    text: str
    form: TextForm
    workspace: Workspace
    original: str = ""

    def __post_init__(self) -> None:
        self.original = self.original or self.text

    @classmethod
    def of(cls, path: Path, data: bytes, workspace: Workspace) -> Draft:
        """A draft of the manifest whose bytes (already read and parsed) are `data`."""
        text, form = decode_manifest(data, path)
        return cls(path, text, form, workspace)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def encoded(self) -> bytes:
        """The bytes to write: the text in the file's own form (BOM, CRLF)."""
        return self.form.encode(self.text)

    def apply(self, action: str, change: Callable[[tomlkit.TOMLDocument, Workspace], R]) -> R:
        """One edit: change the TOML document, render it, check it with the real parser."""
        doc = tomlkit.parse(self.text)
        # In a pyproject.toml the manifest is the [tool.pixi] table: edits change it, nothing else.
        result = change(doc["tool"]["pixi"] if is_pyproject(self.path) else doc, self.workspace)
        new = tomlkit.dumps(doc)
        if self.text.endswith("\n") and not self.text.endswith("\n\n"):
            new = new.rstrip("\n") + "\n"  # removed tables can leave blank lines at the end
        if new != self.text:
            self.workspace = validate_new_text(new, self.path, action)
            self.text = new
        return result
# --8<-- [end:edit]


def read_for_edit(path: Path) -> tuple[str, TextForm, Workspace]:
    """The manifest's text (no BOM, LF), its `TextForm` and model; a manifest that is already
    broken is not edited."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise ManifestError(f"{path} does not exist", hint="run `minipixi init` first") from err
    text, form = decode_manifest(data, path)
    return text, form, parse_manifest(text, path)


# ---- finding and creating tables -------------------------------------------------------------
def workspace_key(doc: Mapping[str, Any]) -> str:
    return "project" if "project" in doc and "workspace" not in doc else "workspace"


def get_table(doc: Any, keys: Sequence[str], *, create: bool) -> Any:
    """The (inline or normal) table at `keys`, created if `create`; else None.

    New intermediate tables are "super tables" (they get no header of their own). A new leaf
    table is marked so that `fill_table` can end it with a blank line, the way Pixi writes.
    Inside an inline table, or a dotted-key table (``target.osx-arm64 = {...}`` written in a
    [feature.x] table), only inline tables can be added, so those are created there.
    """
    parent, container = None, doc
    for depth, key in enumerate(keys):
        if key not in container:
            if not create:
                return None
            if isinstance(container, InlineTable) or _is_dotted(parent, container):
                container[key] = tomlkit.inline_table()
            else:
                container[key] = tomlkit.table(is_super_table=depth < len(keys) - 1)
                container[key].created_by_edit = True  # see fill_table
        parent, container = container, container[key]
        if not isinstance(container, (Table, InlineTable, dict)):
            raise ManifestError(f"[{'.'.join(keys[: depth + 1])}] is not a table in the manifest",
                                hint="make it a table before editing it")
    return container


def _is_dotted(parent: Any, table: Any) -> bool:
    """A headerless table whose entries are not tables with headers either: it was written as
    dotted keys (``target.osx-arm64 = {...}``), not implied by ``[x.target.osx-arm64...]``."""
    if not (isinstance(table, Table) and table.is_super_table() and isinstance(parent, Table)):
        return False
    text = table.as_string().lstrip()
    return bool(text) and not text.startswith("[")


def fill_table(table: Any, items: Mapping[str, Any]) -> None:
    """Set `items` in `table`; a table created by this edit gets a blank line after them."""
    for key, value in items.items():
        table[key] = value
    if getattr(table, "created_by_edit", False) and not table.is_super_table():
        table.created_by_edit = False
        table.add(tomlkit.nl())


def inline(items: Mapping[str, Any], *, in_array: bool = False) -> InlineTable:
    """An inline table written as Pixi writes one: ``{ cmd = "x", description = "y" }``.

    (tomlkit's own inline tables render as ``{cmd = "x"}`` and without the line end that keeps
    the next table's blank line, so we let tomlkit parse the text we want instead.)
    """
    table = tomlkit.parse(f"x = {_inline_text(items)}\n")["x"]
    if in_array:
        table.trivia.trail = ""
    return table


def _inline_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_inline_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline_text(v) for v in value) + "]"
    return tomlkit.item(value).as_string()


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else tomlkit.item(key).as_string()


def prune_empty(doc: Any, keys: Sequence[str], keep_top_level: bool = True,
                workspace: Workspace | None = None) -> None:
    """Remove the table at `keys` and its now-empty parents (never a top-level table).

    A feature that an environment uses is never removed this way: its last table stays, empty
    (``[feature.dev.dependencies]``, as in the lesson), so the environment keeps a feature.
    """
    used = {f for env in workspace.environments.values() for f in env.features} if workspace else set()
    for depth in range(len(keys), 1 if keep_top_level else 0, -1):
        parent = get_table(doc, keys[: depth - 1], create=False) if depth > 1 else doc
        table = get_table(doc, keys[:depth], create=False)
        if parent is None or table is None or len(table) > 0:
            return
        if keys[0] == "feature" and keys[1] in used and _is_all_of_the_feature(doc, keys, depth):
            return  # the used feature's last table: keep it, empty
        del parent[keys[depth - 1]]


def _is_all_of_the_feature(doc: Any, keys: Sequence[str], depth: int) -> bool:
    """Is the table at keys[:depth] everything the feature keys[:2] still holds?"""
    return all(len(get_table(doc, keys[:k], create=False)) == 1 for k in range(2, depth))


def remove_entries(doc: Any, keys: Sequence[str], names: Sequence[str], workspace: Workspace,
                   *, keep_top_level: bool = True) -> None:
    """Delete `names` from the table at `keys`, then the tables that leaves empty (`prune_empty`).
    A name that is not there is an error pointing at the table, with a did-you-mean."""
    table = get_table(doc, keys, create=False)
    for name in names:
        if table is None or name not in table:
            raise not_there(name, keys, table, workspace)
        del table[name]
    prune_empty(doc, keys, keep_top_level, workspace)


def section_keys(table: str, *, feature: str | None = None, platform: str | None = None) -> tuple[str, ...]:
    """The key path of e.g. [feature.gpu.target.linux-64.dependencies]."""
    keys: tuple[str, ...] = ()
    if feature and feature != DEFAULT_FEATURE:
        keys += ("feature", feature)
    if platform:
        keys += ("target", platform)
    return keys + (table,)


def check_selector(platform: str | None, workspace: Workspace) -> None:
    if platform is None:
        return
    names = {p.name for p in workspace.platforms} | {p.subdir for p in workspace.platforms}
    if platform not in names and platform not in SELECTORS and platform not in KNOWN_PLATFORMS:
        guess = did_you_mean(platform, sorted(names | set(KNOWN_PLATFORMS)), 0.8)
        raise ManifestError(f"'{platform}' is not a platform or target selector",
                            hint=f"did you mean '{guess}'?" if guess else "use a platform such as linux-64, or unix/linux/osx/win")


def not_there(name: str, keys: Sequence[str], table: Any, workspace: Workspace) -> ManifestError:
    """"'numpy' is not in [dependencies]", pointing at that table (or the top of the file)."""
    present = sorted(table) if table is not None else []
    guess = did_you_mean(name, present)
    hint = f"did you mean '{guess}'?" if guess else (
        "it lists: " + ", ".join(present) if present else "that table is empty or missing")
    return located_error(workspace.path, tuple(keys), f"'{name}' is not in [{'.'.join(keys)}]", hint)


def located_error(path: Path, keys: tuple, message: str, hint: str | None) -> ManifestError:
    """A ManifestError at the place of `keys` in the manifest file (line 1 if it has none)."""
    text = path.read_text(encoding="utf-8")
    span = scan(text).find(keys)
    line, column, width = (span.line, span.column, span.width) if span else (1, 1, 1)
    details = source_excerpt(text, line, column, width) if text.strip() else None
    return ManifestError(message, where=Location(str(path), line, column), hint=hint, details=details)

