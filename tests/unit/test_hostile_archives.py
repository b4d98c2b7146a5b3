"""Hostile archives: every one is refused with a clear error, and nothing is left behind.

Each case writes a small archive that tries one trick (path traversal, absolute paths,
escaping links, device files, a wrong hash, a truncated zip, a decompression bomb). It is
refused by `package.extract` (the error names the package and the member), and by
`install.install`, which must leave an existing environment exactly as it was.
"""

from __future__ import annotations

import dataclasses
import tarfile

import pytest
from pkgfactory import (
    make_package,
    record_for,
    snapshot_tree,
    tar_member,
    write_raw_conda,
    write_raw_tar_bz2,
)

from minipixi.install import install
from minipixi.install import package
from minipixi.install import package_cache
from minipixi.errors import ExtractError

F, SYM, LNK = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE

# name -> (members of the pkg tar, the member the error must name, words the error must say)
CASES = {
    "traversal": ([tar_member("../../evil.txt", b"x")], "../../evil.txt", "'..'"),
    "traversal-inside": ([tar_member("lib/../../evil.txt", b"x")], "lib/../../evil.txt", "'..'"),
    "absolute": ([tar_member("/tmp/minipixi-evil.txt", b"x")], "/tmp/minipixi-evil.txt", "absolute"),
    "symlink-absolute": ([tar_member("lib/etc", kind=SYM, link="/etc")], "lib/etc", "absolute"),
    "symlink-escapes": ([tar_member("lib/up", kind=SYM, link="../../..")], "lib/up", "outside"),
    "symlink-chain": ([tar_member("a", kind=SYM, link="."),
                       tar_member("b", kind=SYM, link="a/../escape")], "b", "outside"),
    "symlink-chain-reversed": ([tar_member("b", kind=SYM, link="a/../escape"),
                                tar_member("a", kind=SYM, link=".")], "b", "outside"),
    "write-through-symlink": ([tar_member("d", kind=SYM, link="."),
                               tar_member("d/x", b"x")], "d", "folder"),
    "empty-link": ([tar_member("lib/l", kind=SYM, link="")], "lib/l", "no target"),
    "hardlink-outside": ([tar_member("h", kind=LNK, link="../../etc/passwd")], "../../etc/passwd", "'..'"),
    "hardlink-missing": ([tar_member("h", kind=LNK, link="nothere")], "h", "not a file"),
    "char-device": ([tar_member("dev/null", kind=tarfile.CHRTYPE)], "dev/null", "not a file"),
    "fifo": ([tar_member("pipe", kind=tarfile.FIFOTYPE)], "pipe", "not a file"),
    "replace-dir-by-file": ([tar_member("lib/x", b"1"), tar_member("lib", b"2")], "lib", "replace"),
}


@pytest.mark.parametrize("kind", [".conda", ".tar.bz2"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unsafe_members_are_refused(tmp_path, case, kind):
    members, member, words = CASES[case]
    members = [tar_member("ok/first.txt", b"fine")] + members
    name = f"hostile-1.0-0{kind}"
    archive = (write_raw_conda(tmp_path / name, members) if kind == ".conda"
               else write_raw_tar_bz2(tmp_path / name, members))
    target = tmp_path / "sandbox" / "out"
    with pytest.raises(package.UnsafeArchiveError) as info:
        package.extract(archive, target)
    err = info.value
    assert err.package == name and member in err.member and words in err.message
    assert name in err.render() and "help:" in err.render()
    assert not target.exists()
    assert list((tmp_path / "sandbox").iterdir()) == []  # the temporary folder is gone
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "escape").exists()


def test_zstd_bomb_over_the_limit_is_refused(tmp_path):
    bomb = write_raw_conda(tmp_path / "bomb-1-0.conda", [tar_member("zeros", b"\0" * 20_000_000)])
    assert bomb.stat().st_size < 10_000  # it really is a bomb: tiny outside, huge inside
    with pytest.raises(package.UnsafeArchiveError, match="limit of 1000000 bytes"):
        package.extract(bomb, tmp_path / "out", limits=package.ExtractLimits(max_bytes=1_000_000))
    assert not (tmp_path / "out").exists()
    package.extract(bomb, tmp_path / "out")  # the default limit is generous


def test_truncated_zip_is_refused(tmp_path):
    archive, _ = make_package(tmp_path, "cut", {"a.txt": "a" * 5000})
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractError, match="corrupt or truncated") as info:
        package.extract(archive, tmp_path / "out")
    assert "cut-1.0-0.conda" in info.value.message
    assert not (tmp_path / "out").exists()


def test_truncated_tar_bz2_is_refused(tmp_path):
    archive = write_raw_tar_bz2(tmp_path / "cut-1-0.tar.bz2",
                                [tar_member("a.bin", bytes(range(256)) * 400)])
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(ExtractError, match="corrupt or truncated"):
        package.extract(archive, tmp_path / "out")


# -- through the installer: an existing environment stays as it was -------------------------


@pytest.fixture
def installed_env(tmp_path):
    """A prefix with one good package installed, and the cache it came from."""
    channel = tmp_path / "channel"
    _, good = make_package(channel, "good", {"share/good.txt": "good"})
    cache = package_cache.PackageCache(tmp_path / "cache")
    prefix = tmp_path / "env"
    install.install([good], prefix, cache=cache)
    return prefix, cache, good, channel


def _hostile_records(channel, tmp_path):
    """(description, record) pairs: every hostile archive as a record to install."""
    records = []
    for case, (members, _, _) in sorted(CASES.items()):
        archive = write_raw_conda(channel / f"{case}-1-0.conda", members)
        records.append((case, record_for(archive, {"name": case, "version": "1", "build": "0"})))
    bomb = write_raw_conda(channel / "bomb-1-0.conda", [tar_member("z", b"\0" * 3_000_000)])
    records.append(("bomb", record_for(bomb, {"name": "bomb", "version": "1", "build": "0"})))
    _, honest = make_package(channel, "tampered", {"a": "a"})
    records.append(("wrong-sha256", dataclasses.replace(honest, sha256="1" * 64)))
    cut, cut_record = make_package(channel, "cut", {"a.txt": "a" * 5000})
    cut_record = record_for(cut, {"name": "cut", "version": "1.0", "build": "0"})
    cut.write_bytes(cut.read_bytes()[:300])
    records.append(("truncated-zip", dataclasses.replace(cut_record, sha256=None, md5=None)))
    return records


def test_installer_refuses_hostile_packages_and_keeps_the_environment(installed_env, tmp_path):
    prefix, cache, good, channel = installed_env
    small_cache = package_cache.PackageCache(cache.root, limits=package.ExtractLimits(max_bytes=1_000_000))
    before = snapshot_tree(prefix, ignore=())
    for case, hostile in _hostile_records(channel, tmp_path):
        # a second package the cache lacks: two to unpack, so worker processes unpack them
        # and the error crosses from a worker back to this process
        _, fresh = make_package(channel, f"fresh-{case}", {"share/fresh.txt": case})
        with pytest.raises(ExtractError) as info:
            install.install([good, fresh, hostile], prefix, cache=small_cache, workers=2)
        assert hostile.fn in info.value.render() or hostile.url in info.value.render(), case
        assert snapshot_tree(prefix, ignore=()) == before, case
        assert not small_cache.package_dir(hostile).exists(), case
    assert sorted(p.name for p in cache.root.iterdir() if p.name.startswith(".") and
                  p.name.endswith(".partial")) == []
