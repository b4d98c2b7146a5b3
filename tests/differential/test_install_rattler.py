"""Parity with the real installer: py-rattler's `install` and ours give the same prefix.

The same records are installed twice, into two prefixes whose paths have the same length (so
that padded binary placeholders can be compared byte for byte once each prefix path is
replaced by a marker). Trees are compared path by path: kind, contents or link target, and
the executable bit. conda-meta (each tool writes its own bookkeeping) and rattler's
CACHEDIR.TAG are left out.
"""

from __future__ import annotations

import asyncio

import pytest
from pkgfactory import (
    BINARY_PLACEHOLDER,
    TEXT_PLACEHOLDER,
    corpus_record,
    make_package,
    rattler_record,
    snapshot_tree,
)

from minipixi.install import install
from minipixi.install import package_cache


def _normalized(prefix, snap):
    marker = str(prefix).encode()
    return {rel: (kind, content.replace(marker, b"<PREFIX>") if isinstance(content, bytes) else content, exe)
            for rel, (kind, content, exe) in snap.items()}


def _install_both(rattler, records, tmp_path):
    ours, theirs = tmp_path / "env-ours", tmp_path / "env-rttl"  # same length on purpose
    install.install(records, ours, cache=package_cache.PackageCache(tmp_path / "cache-ours"))
    r_records = [rattler_record(r, tmp_path / "rattler-index") for r in records]
    asyncio.run(rattler.install(r_records, target_prefix=theirs, cache_dir=tmp_path / "cache-rttl",
                                show_progress=False, execute_link_scripts=False))
    return _normalized(ours, snapshot_tree(ours)), _normalized(theirs, snapshot_tree(theirs))


def _generated_channel(out):
    """Packages that exercise every kind of path: placeholders, links, noarch python."""
    recs = [
        make_package(out, "python", {"bin/python3.12": "#!/bin/sh\necho python\n"},
                     version="3.12.4", executables=("bin/python3.12",),
                     symlinks={"bin/python": "python3.12", "bin/python3": "python3.12"})[1],
        make_package(out, "texty", {"bin/texty": f"#!{TEXT_PLACEHOLDER}/bin/python3.12\n"
                                                 f"PREFIX = '{TEXT_PLACEHOLDER}'\n",
                                    "etc/texty.conf": f"root={TEXT_PLACEHOLDER}/share\n",
                                    "share/texty/plain.txt": "plain\n"},
                     executables=("bin/texty",), placeholder=TEXT_PLACEHOLDER)[1],
        make_package(out, "binny", {"lib/libbinny.so": b"\x7fELF\0\0" + BINARY_PLACEHOLDER.encode()
                                    + b"/lib:" + BINARY_PLACEHOLDER.encode() + b"/x\0more\0",
                                    "lib/libbinny.a": b"static\0archive"},
                     symlinks={"lib/libbinny.so.1": "libbinny.so", "lib/current": "../lib"},
                     placeholder=BINARY_PLACEHOLDER)[1],
        make_package(out, "pylib", {"site-packages/pylib/__init__.py": "VALUE = 1\n",
                                    "site-packages/pylib/cli.py": "def main():\n    return 0\n",
                                    "site-packages/pylib-1.0.dist-info/METADATA": "Name: pylib\n",
                                    "python-scripts/pylib-helper": "#!/bin/sh\necho helper\n"},
                     noarch="python", entry_points=("pylib = pylib.cli:main",
                                                    "pylib-x = pylib.cli:main"),
                     executables=("python-scripts/pylib-helper",), build="pyh_0",
                     depends=("python",))[1],
        make_package(out, "gen", {"share/gen/readme.md": "# gen\n"}, noarch="generic")[1],
    ]
    return recs


def test_generated_packages_match_rattler(rattler, tmp_path):
    records = _generated_channel(tmp_path / "channel")
    ours, theirs = _install_both(rattler, records, tmp_path)
    assert sorted(ours) == sorted(theirs)
    for path in sorted(ours):
        assert ours[path] == theirs[path], path


@pytest.mark.corpus
def test_corpus_packages_match_rattler(rattler, corpus_dir, tmp_path):
    data = corpus_dir / "data"
    noarch = data / "channels/conda_test_recipes/noarch"
    archives = [noarch / f"{name}.conda" for name in (
        "python-3.99.99-0", "sample_noarch_python-1.0-py_0", "small-executable-1.0-0",
        "activate_deactivate_package-1.0-0", "post_link_run_in_env_package-1.0-0")]
    archives += [data / "packages/mock-2.0.0-py37_1000.tar.bz2",
                 data / "packages/cph_test_data-0.0.1-0.tar.bz2",
                 data / "packages/link-scripts-0.1.0-h4616a5c_0.conda"]
    # Not zlib-1.2.11-h7b6447c_3: both of conda's fixture archives store lib/libz.so* as
    # broken links (empty target / empty regular file); rattler refuses both, and so do we
    # for the .conda (see tests/corpus/test_package_corpus.py).
    records = [corpus_record(a) for a in archives]
    ours, theirs = _install_both(rattler, records, tmp_path)
    assert sorted(ours) == sorted(theirs)
    for path in sorted(ours):
        assert ours[path] == theirs[path], path
