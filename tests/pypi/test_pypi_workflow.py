"""PyPI end to end: `add --pypi`, lock, install, remove, --locked/--frozen/--offline, on a tiny
conda channel (a fake python) and a 127.0.0.1 simple index with wheels built here."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from minipixi.app.pypi_lock import requires_dist_text
from minipixi.cli import main
from minipixi.lock.read import read_lock
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pkgfactory import make_package  # noqa: E402

SITE = "lib/python3.12/site-packages"


def _channel(root: Path) -> Path:
    """A local channel: python 3.12.1 and 3.13.0 (linux-64) and six 1.16.0 (noarch python)."""
    channel = root / "channel"
    entries = {}
    for name, version, subdir, depends, files in (
            ("python", "3.12.1", "linux-64", (), {"bin/python3.12": "#!/bin/sh\n"}),
            ("python", "3.13.0", "linux-64", (), {"bin/python3.13": "#!/bin/sh\n"}),
            ("six", "1.16.0", "noarch", ("python",), {"site-packages/six.py": "# six\n"})):
        folder = channel / subdir
        folder.mkdir(parents=True, exist_ok=True)
        archive, _ = make_package(folder, name, files, version=version, build="0", depends=depends,
                                  noarch="python" if subdir == "noarch" else None, subdir=subdir)
        data = archive.read_bytes()
        entries.setdefault(subdir, {})[archive.name] = {
            "name": name, "version": version, "build": "0", "build_number": 0, "depends": list(depends),
            "subdir": subdir, **({"noarch": "python"} if subdir == "noarch" else {}),
            "sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest(), "size": len(data)}
    for subdir in ("linux-64", "noarch"):
        (channel / subdir).mkdir(exist_ok=True)
        (channel / subdir / "repodata.json").write_text(json.dumps(
            {"info": {"subdir": subdir}, "packages": {}, "packages.conda": entries.get(subdir, {})}))
    return channel


def _index(wheels: Path) -> SimpleIndex:
    index = SimpleIndex()
    for name, version, requires, extras in (
            ("tinyleft", "1.0.0", ("tinyright>=1", "speedy; extra == 'fast'", "winonly; sys_platform == 'win32'"),
             ("fast",)),
            ("tinyright", "1.0.0", (), ()), ("tinyright", "2.1.0", ("six>=1.10",), ()),
            ("speedy", "0.3.0", (), ()), ("six", "1.16.0", (), ())):
        module = name.replace("-", "_")
        wheel = build_wheel(wheels, name, version, modules={f"{module}/__init__.py": f"V = '{version}'\n"},
                            requires=requires, extras=extras, requires_python=">=3.9")
        index.add(name, Entry(wheel.name, wheel.read_bytes(), requires_python=">=3.9", metadata=metadata_of(wheel)))
    index.add("onlysource", Entry("onlysource-1.0.tar.gz", b"not a wheel"))
    return index


def isolated(tmp_path: Path, monkeypatch) -> Path:
    """A cache and home of the test's own, linux-64, online; returns the local channel (and
    makes the folder `wheels` for `_index`)."""
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MINIPIXI_PLATFORM", "linux-64")
    monkeypatch.delenv("MINIPIXI_OFFLINE", raising=False)
    monkeypatch.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    (tmp_path / "wheels").mkdir()
    return _channel(tmp_path)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    channel = isolated(tmp_path, monkeypatch)
    with _index(tmp_path / "wheels") as index:
        root = tmp_path / "ws"
        root.mkdir()
        (root / "pixi.toml").write_text(
            f'[workspace]\nname = "mixed"\nchannels = ["{channel.as_uri()}"]\nplatforms = ["linux-64"]\n'
            f'conda-pypi-map = {{ "{channel.as_uri()}" = {{ mapping = {{ six = "six" }} }} }}\n\n'
            f'[pypi-options]\nindex-url = "{index.url.rstrip("/")}"\n\n'
            '[dependencies]\npython = "3.12.*"\nsix = "*"\n')
        monkeypatch.chdir(root)
        yield root, index


def test_add_lock_install_remove(workspace, rattler, capsys):
    root, index = workspace
    assert main(["add", "--pypi", "tinyleft[fast]"]) == 0
    manifest = (root / "pixi.toml").read_text()
    assert 'tinyleft = { version = ">=1.0.0, <2", extras = ["fast"] }' in manifest
    lock = read_lock(root / "pixi.lock")
    env = lock.environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    # six comes from conda (its purl), winonly's marker is false on linux: neither is resolved.
    assert sorted(pypi) == ["speedy", "tinyleft", "tinyright"]
    assert pypi["tinyright"].version == "2.1.0" and pypi["tinyright"].requires_dist == ("six>=1.10",)
    assert pypi["tinyleft"].sha256 and pypi["tinyleft"].requires_python == ">=3.9"
    assert env.indexes == (index.url.rstrip("/"),)
    # (a v7 lock, as Pixi writes, records no extras: speedy is there because of [fast])
    text = (root / "pixi.lock").read_text()
    assert "- pkg:pypi/six?source=project-defined-mapping" in text
    # py-rattler reads the same PyPI packages.
    theirs = rattler.LockFile.from_path(root / "pixi.lock").environment("default")
    found = {p.name: (p.version, tuple(p.requires_dist), p.requires_python)
             for p in theirs.pypi_packages()["linux-64"]}
    assert found == {p.name: (p.version, p.requires_dist, p.requires_python) for p in pypi.values()}
    # Installed: files, RECORD and INSTALLER; six only once (conda's).
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "tinyleft" / "__init__.py").read_text() == "V = '1.0.0'\n"
    info = site / "tinyleft-1.0.0.dist-info"
    assert (info / "INSTALLER").read_text() == "minipixi\n" and (info / "RECORD").is_file()
    assert not list(site.glob("six-*.dist-info"))
    # Up to date: lock --check passes and a second lock resolves nothing.
    assert main(["lock", "--check"]) == 0
    before = index.count("/simple/")
    assert main(["install"]) == 0
    assert index.count("/simple/") == before
    # remove --pypi relocks and installs (as pixi remove): the wheels left the lock and the prefix.
    assert main(["remove", "--pypi", "tinyleft"]) == 0
    assert not (site / "tinyleft").exists() and not (site / "tinyright").exists()
    assert not list(site.glob("*.dist-info"))
    assert read_lock(root / "pixi.lock").environments["default"].pypi_packages("linux-64") == []


def test_locked_frozen_and_offline(workspace, capsys):
    root, index = workspace
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "tinyright-1.0.0.dist-info").is_dir()
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace('tinyright = "==1.0.0"', 'tinyright = ">=2"'))
    capsys.readouterr()
    assert main(["install", "--locked"]) != 0
    err = capsys.readouterr().err
    assert "--locked" in err and "tinyright" in err
    assert main(["install", "--frozen"]) == 0  # the lock as it is: 1.0.0 stays
    assert (site / "tinyright-1.0.0.dist-info").is_dir()
    # Offline, from the cache: the index pages and the wheel were cached by the first run.
    manifest.write_text(manifest.read_text().replace('tinyright = ">=2"', 'tinyright = "==1.0.0"'))
    (root / ".pixi").rename(root / "old-pixi")
    served = len(index.log)
    assert main(["install", "--offline"]) == 0
    assert (site / "tinyright-1.0.0.dist-info").is_dir()
    # A new lock, offline: resolved from the cached index pages and metadata.
    locked = (root / "pixi.lock").read_text()
    (root / "pixi.lock").unlink()
    assert main(["lock", "--offline"]) == 0
    assert (root / "pixi.lock").read_text() == locked
    assert len(index.log) == served


def test_sdist_only_and_build_forms_are_one_clean_error(workspace, capsys):
    root, _ = workspace
    before = (root / "pixi.toml").read_bytes()
    assert main(["add", "--pypi", "onlysource"]) != 0
    err = capsys.readouterr().err
    assert "onlysource" in err and "building from source is not supported" in err
    assert "Traceback" not in err
    assert (root / "pixi.toml").read_bytes() == before  # the edit was undone
    assert main(["add", "--pypi", "mine @ file:///tmp/mine"]) != 0
    assert "building from source is not supported" in capsys.readouterr().err
    (root / "pixi.toml").write_text(before.decode() + '\n[pypi-dependencies]\nmine = { path = "./mine" }\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "'mine'" in err and "building from source is not supported" in err


def test_pypi_without_python_is_a_clear_error(workspace, capsys):
    root, _ = workspace
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace('python = "3.12.*"\nsix = "*"\n', "")
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "python" in err and "pypi-dependencies" in err and "Traceback" not in err


def test_prerelease_mode_is_resolved_with_and_recorded(workspace, capsys):
    root, index = workspace
    wheel = build_wheel(root.parent / "wheels", "tinyright", "3.0.0b1", requires_python=">=3.9")
    index.add_wheel("tinyright", wheel)
    manifest = root / "pixi.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("[pypi-options]\n", '[pypi-options]\nprerelease-mode = "allow"\n')
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert [p.version for p in env.pypi_packages("linux-64")] == ["3.0.0b1"]
    assert env.options["pypi-prerelease-mode"] == "allow"
    assert main(["lock", "--check"]) == 0
    # Back to the default: stale, and relocked to the newest stable version.
    manifest.write_text(manifest.read_text().replace('prerelease-mode = "allow"\n', ""))
    assert main(["lock", "--check"]) != 0
    assert main(["lock"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert [p.version for p in env.pypi_packages("linux-64")] == ["2.1.0"]
    assert "pypi-prerelease-mode" not in env.options


def test_unsupported_pypi_options_are_named(workspace, capsys):
    root, _ = workspace
    manifest = root / "pixi.toml"
    base = manifest.read_text()
    manifest.write_text(base.replace("[pypi-options]\n", '[pypi-options]\nindex-strategy = "unsafe-best-match"\n')
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "index-strategy is not supported by minipixi" in err
    manifest.write_text(base.replace("[pypi-options]\n", '[pypi-options]\nfind-links = [{ index = "https://x.org/w" }]\n')
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "find-links entry {'index': 'https://x.org/w'} is not supported by minipixi" in err


def test_find_links_folder_wheels_are_candidates_and_locked_by_path(workspace, capsys):
    root, _ = workspace
    (root / "links").mkdir()
    build_wheel(root / "links", "tinyright", "9.0.0", modules={"tinyright/__init__.py": "V = 'flat'\n"})
    build_wheel(root / "links", "onlyflat", "0.1.0", requires=("tinyright>=9",))
    manifest = root / "pixi.toml"
    base = manifest.read_text()
    manifest.write_text(base.replace("[pypi-options]\n", '[pypi-options]\nfind-links = [{ path = "./links" }]\n')
                        + '\n[pypi-dependencies]\nonlyflat = "*"\n')
    assert main(["install"]) == 0
    text = (root / "pixi.lock").read_text()
    assert "    find-links:\n    - path: ./links\n" in text
    env = read_lock(root / "pixi.lock").environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    # the folder's 9.0.0 beats the index's 2.1.0, and is locked by its path, without a hash,
    # as Pixi locks it (install checks the file's name, version and tags instead)
    assert pypi["tinyright"].location == "./links/tinyright-9.0.0-py3-none-any.whl"
    assert pypi["tinyright"].sha256 is None and pypi["onlyflat"].sha256 is None
    assert pypi["onlyflat"].location == "./links/onlyflat-0.1.0-py3-none-any.whl"
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "tinyright" / "__init__.py").read_text() == "V = 'flat'\n"
    assert main(["lock", "--check"]) == 0
    assert main(["lock"]) == 0 and main(["lock", "--check"]) == 0
    capsys.readouterr()
    manifest.write_text(base.replace("[pypi-options]\n", '[pypi-options]\nfind-links = [{ path = "../x" }]\n')
                        + '\n[pypi-dependencies]\nonlyflat = "*"\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "outside the workspace" in err and "Traceback" not in err


def test_requires_dist_is_written_as_pixi_writes_it():
    assert requires_dist_text('async-timeout<6.0,>=4.0; python_version < "3.11"') == \
        "async-timeout>=4.0,<6.0 ; python_full_version < '3.11'"
    assert requires_dist_text("numpy!=1.24.0,>=1.20") == "numpy>=1.20,!=1.24.0"
    assert requires_dist_text('black[jupyter]>=22; extra == "dev"') == "black[jupyter]>=22 ; extra == 'dev'"


def test_list_shows_the_pypi_packages(workspace, capsys):
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    capsys.readouterr()
    assert main(["list", "--frozen"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["tinyright", "1.0.0", "pypi", "tinyright-1.0.0-py3-none-any.whl"] in rows
    assert main(["list", "--frozen", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["tinyright"]["kind"] == "pypi" and listed["tinyright"]["is_explicit"]
    assert listed["six"]["kind"] == "conda"


def test_a_lock_it_cannot_install_is_refused_before_the_prefix_changes(workspace, capsys):
    root, _ = workspace
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    lock_path = root / "pixi.lock"
    good = lock_path.read_text()
    digest = read_lock(lock_path).environments["default"].pypi_packages("linux-64")[0].sha256
    # A changed hash: the cached wheel no longer matches, and the download does not either.
    (root / ".pixi").rename(root / "first")
    lock_path.write_text(good.replace(digest, "0" * 64))
    capsys.readouterr()
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert "sha256" in err and "Traceback" not in err
    assert not (root / ".pixi" / "envs" / "default" / "conda-meta").exists()  # nothing installed at all
    # An sdist in the lock: refused by name.
    lock_path.write_text(good.replace("tinyright-1.0.0-py3-none-any.whl", "tinyright-1.0.0.tar.gz"))
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert "'tinyright'" in err and "building from source is not supported" in err
    assert not (root / ".pixi" / "envs" / "default" / "conda-meta").exists()


def test_a_wheel_given_by_url_is_locked_and_installed(workspace, tmp_path, capsys):
    root, index = workspace
    (tmp_path / "direct").mkdir()
    wheel = build_wheel(tmp_path / "direct", "mine", "1.0", modules={"mine/__init__.py": "V = 'direct'\n"},
                        requires=("tinyright<2",))
    index.add("unlisted", Entry(wheel.name, wheel.read_bytes()))  # served under files/, as any URL
    url = index.url.rsplit("/simple", 1)[0] + f"/files/{wheel.name}"
    manifest = root / "pixi.toml"
    base = manifest.read_text()
    manifest.write_text(base + f'\n[pypi-dependencies]\nmine = {{ url = "{url}" }}\n')
    assert main(["install"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    # its version and dependencies come from the file; no sha256, as Pixi (tests/pypi/test_pypi_lock_forms.py)
    assert pypi["mine"].location == "direct+" + url and pypi["mine"].version == "1.0"
    assert pypi["mine"].sha256 is None
    assert pypi["mine"].requires_dist == ("tinyright<2",) and pypi["tinyright"].version == "1.0.0"
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "mine" / "__init__.py").read_text() == "V = 'direct'\n"
    assert main(["lock", "--check"]) == 0
    assert main(["lock"]) == 0 and main(["lock", "--check"]) == 0
    # another URL: the lock is stale; a wheel of another project: one clear error
    manifest.write_text(base + f'\n[pypi-dependencies]\nmine = {{ url = "{url.replace("1.0", "2.0")}" }}\n')
    capsys.readouterr()
    assert main(["lock", "--check"]) != 0
    manifest.write_text(base + f'\n[pypi-dependencies]\nother = {{ url = "{url}" }}\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "'other' names a wheel of 'mine'" in err and "Traceback" not in err


def test_a_wheel_given_by_path_is_locked_as_written_and_installed(workspace, capsys):
    root, _ = workspace
    (root / "wheels").mkdir()
    wheel = build_wheel(root / "wheels", "mine", "1.0", modules={"mine/__init__.py": "V = 'local'\n"},
                        requires=("tinyright<2",))
    manifest = root / "pixi.toml"
    base = manifest.read_text()
    manifest.write_text(base + '\n[pypi-dependencies]\nmine = { path = "./wheels/mine-1.0-py3-none-any.whl" }\n')
    assert main(["install"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    assert pypi["mine"].location == "./wheels/mine-1.0-py3-none-any.whl" and pypi["mine"].version == "1.0"
    assert pypi["mine"].sha256 is None and wheel.is_file()  # as Pixi (tests/pypi/test_pypi_lock_forms.py)
    assert pypi["tinyright"].version == "1.0.0"
    assert "- pypi: ./wheels/mine-1.0-py3-none-any.whl\n" in (root / "pixi.lock").read_text()
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "mine" / "__init__.py").read_text() == "V = 'local'\n"
    assert main(["lock", "--check"]) == 0
    assert main(["lock"]) == 0 and main(["lock", "--check"]) == 0
    capsys.readouterr()
    # a path out of the workspace, or a folder (it would need building): one clear error each
    for form, says in (('{ path = "../mine-1.0-py3-none-any.whl" }', "outside the workspace"),
                       ('{ path = "./wheels/gone-1.0-py3-none-any.whl" }', "does not exist"),
                       ('{ path = "./wheels" }', "building from source is not supported")):
        manifest.write_text(base + f'\n[pypi-dependencies]\nmine = {form}\n')
        assert main(["lock"]) != 0
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err, err


def test_a_solve_group_resolves_its_pypi_dependencies_together(workspace, capsys):
    root, _ = workspace
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[feature.low.pypi-dependencies]\ntinyright = "<2"\n\n'
                        '[feature.left.pypi-dependencies]\ntinyleft = "*"\n\n'
                        '[environments]\nlow = { features = ["low"], solve-group = "main" }\n'
                        'left = { features = ["left"], solve-group = "main" }\n')
    assert main(["lock"]) == 0
    lock = read_lock(root / "pixi.lock")
    versions = {env: {p.name: p.version for p in lock.environments[env].pypi_packages("linux-64")}
                for env in ("low", "left")}
    # Alone, 'left' would take tinyright 2.1.0; in the group it shares low's 1.0.0.
    assert versions == {"low": {"tinyright": "1.0.0"}, "left": {"tinyleft": "1.0.0", "tinyright": "1.0.0"}}
    assert lock.environments["default"].pypi_packages("linux-64") == []
    assert main(["lock", "--check"]) == 0


def test_markers_and_a_package_conda_provides(workspace, capsys):
    root, _ = workspace
    assert main(["add", "--pypi", "winonly; sys_platform == 'win32'", "six>=1.10"]) == 0
    manifest = (root / "pixi.toml").read_text()
    assert 'winonly = { version = "*", env-markers = "sys_platform == \\"win32\\"" }' in manifest
    assert 'six = ">=1.10"' in manifest
    env = read_lock(root / "pixi.lock").environments["default"]
    assert env.pypi_packages("linux-64") == []  # winonly is for Windows; six is conda's
    assert main(["lock", "--check"]) == 0


def test_a_pyproject_s_dependencies_are_resolved_and_installed(workspace, capsys):
    root, index = workspace
    text = (root / "pixi.toml").read_text().replace("[workspace]", "[tool.pixi.workspace]")
    text = text.replace("[pypi-options]", "[tool.pixi.pypi-options]").replace("[dependencies]", "[tool.pixi.dependencies]")
    (root / "pixi.toml").unlink()
    (root / "pyproject.toml").write_text('[project]\nname = "mixed"\nversion = "0.1.0"\n'
                                         'dependencies = ["tinyright<2"]\n\n' + text)
    assert main(["install"]) == 0
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "tinyright-1.0.0.dist-info" / "INSTALLER").read_text() == "minipixi\n"
    assert main(["lock", "--check"]) == 0


def test_a_relock_keeps_the_purls_the_lock_had(workspace, capsys):
    root, _ = workspace
    assert main(["lock"]) == 0
    assert "pkg:pypi/six?source=project-defined-mapping" in (root / "pixi.lock").read_text()
    manifest = root / "pixi.toml"
    text = "\n".join(line for line in manifest.read_text().splitlines() if not line.startswith("conda-pypi-map"))
    manifest.write_text(text.replace('platforms = ["linux-64"]', 'platforms = ["linux-64"]\nsolve-strategy = "lowest"')
                        + "\n")
    assert main(["lock", "--check"]) != 0  # another strategy: solved again
    assert main(["lock"]) == 0
    assert "pkg:pypi/six?source=project-defined-mapping" in (root / "pixi.lock").read_text()


def test_conda_pypi_map_from_a_local_file_and_unsupported_keys(workspace, capsys):
    root, _ = workspace
    manifest = root / "pixi.toml"
    (root / "mapping.json").write_text('{"six": "six"}')
    text = manifest.read_text().replace('{ mapping = { six = "six" } }', '"mapping.json"')
    manifest.write_text(text + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert [p.name for p in env.pypi_packages("linux-64")] == ["tinyright"]  # its six is conda's
    manifest.write_text(text.replace('"mapping.json"', '{ location = "mapping.json", same-name-heuristic = true }')
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    (root / "pixi.lock").unlink()
    capsys.readouterr()
    assert main(["lock"]) == 0  # same-name-heuristic: python, not in the map, is PyPI's python
    assert "- pkg:pypi/python\n" in (root / "pixi.lock").read_text()


def test_extra_index_urls_are_searched_and_recorded(workspace, tmp_path, capsys):
    root, index = workspace
    (tmp_path / "more").mkdir()
    with SimpleIndex() as extra:
        wheel = build_wheel(tmp_path / "more", "onlyextra", "0.1.0", requires=("tinyright<2",))
        extra.add_wheel("onlyextra", wheel)
        wheel = build_wheel(tmp_path / "more", "tinyright", "0.5.0")
        extra.add_wheel("tinyright", wheel)
        manifest = root / "pixi.toml"
        manifest.write_text(manifest.read_text().replace(
            "[pypi-options]\n", f'[pypi-options]\nextra-index-urls = ["{extra.url}"]\n'))
        assert main(["add", "--pypi", "onlyextra"]) == 0
        env = read_lock(root / "pixi.lock").environments["default"]
        assert env.indexes == (index.url.rstrip("/"), extra.url)
        found = {p.name: p.location for p in env.pypi_packages("linux-64")}
        assert found["onlyextra"].startswith(extra.url.rsplit("/simple", 1)[0])
        # tinyright is on both: the extra index comes first (as in uv), and serves 0.5.0
        assert found["tinyright"] == extra.url.rsplit("/simple", 1)[0] + "/files/tinyright-0.5.0-py3-none-any.whl"
        assert main(["lock", "--check"]) == 0


def test_a_new_python_takes_the_wheels_along(workspace, capsys):
    root, _ = workspace
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    env = root / ".pixi" / "envs" / "default"
    assert (env / SITE / "tinyright-1.0.0.dist-info").is_dir()
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace('python = "3.12.*"', 'python = "3.13.*"'))
    assert main(["install"]) == 0
    assert (env / "lib/python3.13/site-packages/tinyright-1.0.0.dist-info").is_dir()
    assert not (env / SITE / "tinyright").exists() and not (env / SITE / "tinyright-1.0.0.dist-info").exists()


def test_a_relock_keeps_the_locked_pypi_versions_and_update_frees_them(workspace, tmp_path, capsys):
    root, index = workspace
    assert main(["add", "--pypi", "tinyright"]) == 0
    wheel = build_wheel(tmp_path / "wheels", "tinyright", "2.2.0")
    index.add_wheel("tinyright", wheel)
    # Another reason to re-solve (a new PyPI dependency): tinyright stays at its locked 2.1.0.
    assert main(["add", "--pypi", "speedy"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert {p.name: p.version for p in env.pypi_packages("linux-64")} == {"speedy": "0.3.0", "tinyright": "2.1.0"}
    # update frees it: the newest version that fits the pin.
    assert main(["update", "tinyright"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert {p.name: p.version for p in env.pypi_packages("linux-64")} == {"speedy": "0.3.0", "tinyright": "2.2.0"}


def test_an_unsatisfiable_pypi_add_is_explained_and_undone(workspace, capsys):
    root, _ = workspace
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    manifest, lock = (root / "pixi.toml").read_bytes(), (root / "pixi.lock").read_bytes()
    capsys.readouterr()
    assert main(["add", "--pypi", "tinyleft", "tinyright>=5"]) != 0
    err = capsys.readouterr().err
    assert "cannot resolve the PyPI requirements for linux-64 with Python 3.12.1" in err
    assert "tinyright" in err and "Traceback" not in err
    assert (root / "pixi.toml").read_bytes() == manifest and (root / "pixi.lock").read_bytes() == lock


def test_an_index_that_does_not_answer_is_one_clean_error(workspace, capsys):
    root, index = workspace
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace(index.url.rstrip("/"), "http://127.0.0.1:9/simple")
                        + '\n[pypi-dependencies]\ntinyright = "*"\n')
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err and "Traceback" not in err
    assert not (root / "pixi.lock").exists()


def test_upgrade_raises_a_pypi_pin(workspace, tmp_path, capsys):
    root, index = workspace
    assert main(["add", "--pypi", "tinyleft[fast]==1.0.0"]) == 0
    for version in ("1.5.0", "2.0.0"):
        wheel = build_wheel(tmp_path / "wheels", "tinyleft", version, extras=("fast",),
                            requires=("speedy; extra == 'fast'",))
        index.add_wheel("tinyleft", wheel)
    assert main(["upgrade", "tinyleft"]) == 0
    assert 'tinyleft = { version = ">=2.0.0, <3", extras = ["fast"] }' in (root / "pixi.toml").read_text()
    env = read_lock(root / "pixi.lock").environments["default"]
    assert {p.name: p.version for p in env.pypi_packages("linux-64")} == {"tinyleft": "2.0.0", "speedy": "0.3.0"}
    assert main(["lock", "--check"]) == 0


def test_a_dependency_pinned_to_its_own_index(workspace, tmp_path, capsys):
    root, index = workspace
    (tmp_path / "private").mkdir()
    with SimpleIndex() as private:
        wheel = build_wheel(tmp_path / "private", "tinyright", "3.0.0",
                            modules={"tinyright/__init__.py": "V = 'private'\n"})
        private.add_wheel("tinyright", wheel)
        manifest = root / "pixi.toml"
        base = manifest.read_text()
        manifest.write_text(base + f'\n[pypi-dependencies]\ntinyright = {{ version = ">=1", index = "{private.url}" }}\n')
        assert main(["install"]) == 0
        env = read_lock(root / "pixi.lock").environments["default"]
        (package,) = env.pypi_packages("linux-64")
        # only the pinned index is asked (the default index has 2.1.0), and the entry says which
        assert package.version == "3.0.0" and package.location.startswith(private.url.rsplit("/simple", 1)[0])
        assert dict(package.extra)["index"] == private.url.rstrip("/")
        assert env.indexes == (index.url.rstrip("/"),)
        site = root / ".pixi" / "envs" / "default" / SITE
        assert (site / "tinyright" / "__init__.py").read_text() == "V = 'private'\n"
        assert main(["lock", "--check"]) == 0
        assert main(["lock"]) == 0 and main(["lock", "--check"]) == 0
        # the entry without its index: the lock is stale (it came from the private index)
        manifest.write_text(base + '\n[pypi-dependencies]\ntinyright = { version = ">=1" }\n')
        capsys.readouterr()
        assert main(["lock", "--check"]) != 0
        manifest.write_text(base + '\n[pypi-dependencies]\ntinyright = { version = ">=1", index = "ftp" }\n')
        assert main(["lock"]) != 0
        assert "must be a URL" in capsys.readouterr().err
