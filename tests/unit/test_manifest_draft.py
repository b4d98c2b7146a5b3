"""A `Draft`: manifest edits in memory, checked each time, written by the caller once."""

from __future__ import annotations

import pytest

from minipixi.errors import ManifestError
from minipixi.manifest import parse_manifest
from minipixi.manifest.edit import Draft
from minipixi.manifest.edit_dependencies import add_dependencies, remove_dependencies
from minipixi.manifest.edit_tasks import add_task

BASE = """\
# keep me
[workspace]
channels = ["conda-forge"]
name = "d"
platforms = ["linux-64"]

[dependencies]
python = ">=3.12"
"""


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "pixi.toml"
    data = BASE.replace("\n", "\r\n").encode()
    path.write_bytes(data)
    return Draft.of(path, data, parse_manifest(BASE, path))


def test_edits_change_the_draft_and_never_the_file(draft):
    before = draft.path.read_bytes()
    assert not draft.changed
    add_dependencies(draft, ["numpy >=2"])
    add_dependencies(draft, ["scipy"], feature="sci")
    remove_dependencies(draft, ["python"])
    task = add_task(draft, "hello", "echo hi")
    assert draft.path.read_bytes() == before
    assert draft.changed and draft.text.startswith("# keep me\n")
    deps = draft.workspace.default_feature.default.dependencies
    assert set(deps) == {"numpy"} and "scipy" in draft.workspace.features["sci"].default.dependencies
    assert task.cmd == "echo hi" and draft.workspace.default_feature.default.tasks["hello"] == task
    assert parse_manifest(draft.text, draft.path) == draft.workspace  # the model is the text's


def test_the_bytes_to_write_keep_the_files_line_endings(draft):
    add_dependencies(draft, ["numpy"])
    data = draft.encoded()
    assert b'numpy = "*"\r\n' in data and data.count(b"\n") == data.count(b"\r\n")


def test_a_failed_edit_leaves_the_draft_as_it_was(draft):
    add_dependencies(draft, ["numpy"])
    text, workspace = draft.text, draft.workspace
    with pytest.raises(ManifestError, match="not in"):
        remove_dependencies(draft, ["numpy", "pandas"])
    with pytest.raises(ManifestError):
        add_dependencies(draft, ["numpy >=2,,3"])
    assert (draft.text, draft.workspace) == (text, workspace)
