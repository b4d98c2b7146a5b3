"""Property: a folder we pack as `.conda` and extract again is the same folder.

Hypothesis draws random file trees: nested files with random bytes (some holding the prefix
placeholder, some executable), relative symlinks (to files, to folders, dangling but inside)
and empty folders (which are dropped). Packing twice gives the same bytes; extracting gives the same tree;
installing gives the same tree with the placeholder replaced by the prefix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from pkgfactory import TEXT_PLACEHOLDER, snapshot_tree

from minipixi.install import install
from minipixi.install import link
from minipixi.install import package
from minipixi.install import package_cache
from minipixi.install import package_info
from minipixi.install import package_writer

NAMES = st.text(alphabet="abcXYZ019_-.é ", min_size=1, max_size=8).filter(
    lambda n: n not in (".", "..") and not n.startswith("."))
CONTENT = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda a, b: a + TEXT_PLACEHOLDER.encode() + b, st.binary(max_size=40), st.binary(max_size=40)),
    st.text(max_size=200).map(str.encode),
)


@st.composite
def file_trees(draw):
    """{relative path: ("file", bytes, executable) | ("link", target) | ("dir",)}."""
    tree: dict[str, tuple] = {}
    for _ in range(draw(st.integers(1, 12))):
        parts = draw(st.lists(NAMES, min_size=1, max_size=3))
        path = "/".join(parts)
        parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if path in tree or any(p in tree for p in parents) or \
                any(k.startswith(path + "/") for k in tree) or parts[0] == "info":
            continue
        tree[path] = ("file", draw(CONTENT), draw(st.booleans()))
    files = sorted(tree)
    for _ in range(draw(st.integers(0, 4))):
        link = draw(NAMES) + ".lnk"
        folder = draw(st.sampled_from(["", *sorted({os.path.dirname(f) for f in files} - {""})]))
        path = f"{folder}/{link}" if folder else link
        if path in tree or any(k.startswith(path + "/") for k in tree):
            continue
        target = draw(st.sampled_from(files + ["dangling-but-inside"]))
        tree[path] = ("link", os.path.relpath(target, folder or "."))
    if draw(st.booleans()):
        tree["empty/folder"] = ("dir",)  # dropped: packages hold only files and links
    return tree


def _materialize(tree: dict, root: Path) -> None:
    for rel, spec in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if spec[0] == "file":
            path.write_bytes(spec[1])
            path.chmod(0o755 if spec[2] else 0o644)
        elif spec[0] == "link":
            os.symlink(spec[1], path)
        else:
            path.mkdir(parents=True)


INDEX = {"name": "roundtrip", "version": "1.0", "build": "0", "subdir": "linux-64", "depends": []}


@given(file_trees())
def test_pack_then_extract_round_trips_exactly(tree):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _materialize(tree, tmp / "src")
        archive = package_writer.write_conda(tmp / "src", tmp / "out", INDEX,
                                      prefix_placeholder=TEXT_PLACEHOLDER, compression_level=1)
        again = package_writer.write_conda(tmp / "src", tmp / "out2", INDEX,
                                    prefix_placeholder=TEXT_PLACEHOLDER, compression_level=1)
        assert archive.read_bytes() == again.read_bytes()
        dest = package.extract(archive, tmp / "extracted")
        if "empty/folder" in tree:
            shutil.rmtree(tmp / "src" / "empty")
        assert snapshot_tree(dest, ignore=("info",)) == snapshot_tree(tmp / "src")
        entries = {e.path: e for e in package_info.read_paths(dest)}
        assert set(entries) == {rel for rel, spec in tree.items() if spec[0] != "dir"}
        for rel, spec in tree.items():
            if spec[0] == "dir":
                continue
            has_placeholder = spec[0] == "file" and TEXT_PLACEHOLDER.encode() in spec[1]
            assert (entries[rel].prefix_placeholder is not None) == has_placeholder


@given(file_trees())
def test_install_gives_the_tree_with_the_prefix_in_place(tree):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _materialize(tree, tmp / "src")
        archive = package_writer.write_conda(tmp / "src", tmp / "ch", INDEX,
                                      prefix_placeholder=TEXT_PLACEHOLDER, compression_level=1)
        from pkgfactory import record_for

        prefix = tmp / "env"
        install.install([record_for(archive, INDEX)], prefix, cache=package_cache.PackageCache(tmp / "c"))
        if "empty/folder" in tree:
            shutil.rmtree(tmp / "src" / "empty")
        expected = {}
        for rel, (kind, content, exe) in snapshot_tree(tmp / "src").items():
            if kind == "file":
                entry_is_binary = b"\0" in content
                new = (link.replace_binary_prefix if entry_is_binary else link.replace_text_prefix)(
                    content, TEXT_PLACEHOLDER.encode(), str(prefix).encode()) \
                    if TEXT_PLACEHOLDER.encode() in content else content
                if not entry_is_binary and TEXT_PLACEHOLDER.encode() in content:
                    new = link.fix_long_shebang(new)
                content = new
            expected[rel] = (kind, content, exe)
        assert snapshot_tree(prefix) == expected
        install.install([], prefix, cache=package_cache.PackageCache(tmp / "c"))
        assert os.listdir(prefix) == ["conda-meta"]
        shutil.rmtree(prefix)
