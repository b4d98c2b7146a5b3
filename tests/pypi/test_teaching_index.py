"""The offline teaching PyPI index: built reproducibly, read through file:// URLs (safely), and
put in place of pypi.org by offline mode, end to end from `add --pypi` to an import."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.config import PYPI_URL, Config, teaching_pypi_dir, teaching_pypi_url
from minipixi.lock.read import read_lock
from minipixi.pypi import index
from minipixi.teaching.mirror.pypi_index import INDEX, RECIPE, build_index


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rebuild_gives_the_same_bytes_as_the_shipped_index(tmp_path):
    assert _tree(build_index(RECIPE, tmp_path / "pypi")) == _tree(INDEX)


def test_the_index_has_the_lesson_projects():
    projects = sorted(p.name for p in (INDEX / "simple").iterdir() if p.is_dir())
    assert projects == ["platformdirs", "tinybuild", "tinyconfig", "tinyunits"]
    # platformdirs is also a conda package of the teaching channel, and the map says so
    assert '"platformdirs": "platformdirs"' in (INDEX / "conda-pypi-map.json").read_text()
    assert list((INDEX / "simple" / "tinybuild").glob("*.whl")) == []  # source only


def test_a_folder_index_is_read_in_place_json_first_then_html(tmp_path):
    page = index.fetch_project(teaching_pypi_url(), "TinyConfig", offline=True)
    assert page.format == "json" and [f.filename for f in page.files] == ["tinyconfig-0.2.0-py3-none-any.whl"]
    metadata = index.fetch_metadata(page.files[0], project="tinyconfig", cache_dir=tmp_path)
    assert [str(r) for r in metadata.requires_dist] == ["platformdirs>=4", 'tinyunits>=1.1; extra == "units"']
    wheel = index.fetch_file(page.files[0], project="tinyconfig", cache_dir=tmp_path)
    assert wheel.parent == INDEX / "simple" / "tinyconfig"  # no copy in the cache
    assert not (tmp_path / "pypi").exists()
    copy = tmp_path / "simple"
    shutil.copytree(INDEX / "simple", copy)
    (copy / "tinyunits" / "index.json").unlink()
    html = index.fetch_project(copy.as_uri(), "tinyunits")
    assert html.format == "html" and len(html.files) == 2 and html.files[0].metadata
    with pytest.raises(index.ProjectNotFound):
        index.fetch_project(copy.as_uri(), "nosuchproject")


def _page(folder: Path, href: str) -> str:
    project = folder / "evil"
    project.mkdir(parents=True)
    (project / "index.html").write_text(f'<a href="{href}">evil-1.0-py3-none-any.whl</a>')
    return folder.as_uri()


@pytest.mark.parametrize("href", ["../../outside/evil-1.0-py3-none-any.whl",
                                  "file:///etc/evil-1.0-py3-none-any.whl",
                                  "%2e%2e/%2e%2e/evil-1.0-py3-none-any.whl",
                                  "file://otherhost/idx/evil/evil-1.0-py3-none-any.whl"])
def test_a_folder_index_cannot_point_outside_itself(tmp_path, href):
    url = _page(tmp_path / "idx", href)
    with pytest.raises(index.IndexError_) as caught:
        index.fetch_project(url, "evil")
    assert "evil" in str(caught.value.where)


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    url = _page(tmp_path / "idx", "evil-1.0-py3-none-any.whl")
    (tmp_path / "secret.whl").write_bytes(b"x")
    os.symlink(tmp_path / "secret.whl", tmp_path / "idx" / "evil" / "evil-1.0-py3-none-any.whl")
    with pytest.raises(index.IndexError_, match="symlink"):
        index.fetch_project(url, "evil")


def test_an_http_page_may_not_point_at_local_files():
    body = b'<a href="file:///etc/x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>'
    with pytest.raises(index.IndexError_, match="unsupported URL scheme"):
        index.parse_page(body, "text/html", "https://example.org/simple/x/", "x")


def test_a_local_file_not_in_a_local_index_is_refused(tmp_path):
    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"x")
    with pytest.raises(index.IndexError_, match="outside any local index"):
        index.fetch_file(index.DistFile(wheel.name, wheel.as_uri()), project="x", cache_dir=tmp_path)


def test_local_pages_and_files_are_size_bounded(monkeypatch):
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "10B")
    with pytest.raises(index.IndexError_, match="larger than"):
        index.fetch_project(teaching_pypi_url(), "tinyunits")
    monkeypatch.delenv("MINIPIXI_MAX_REPODATA_SIZE")
    page = index.fetch_project(teaching_pypi_url(), "tinyunits")
    monkeypatch.setenv("MINIPIXI_MAX_PACKAGE_SIZE", "10B")
    with pytest.raises(index.IndexError_, match="larger than"):
        index.fetch_file(page.files[0], project="tinyunits")


def test_offline_puts_the_teaching_index_in_place_of_pypi():
    assert Config(offline=True).pypi_mirrors() == {PYPI_URL: teaching_pypi_url()}
    assert Config().pypi_mirrors() == {} and Config().pypi_mapping() == {}
    assert Config(offline=True).pypi_mapping()["https://conda.anaconda.org/conda-forge"].endswith(
        "conda-pypi-map.json")
    assert (teaching_pypi_dir() / "simple").is_dir()


@pytest.fixture
def offline_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIPIXI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MINIPIXI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MINIPIXI_PLATFORM", "linux-64")
    monkeypatch.setenv("MINIPIXI_OFFLINE", "1")
    monkeypatch.delenv("CONDA_OVERRIDE_CUDA", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text('[workspace]\nname = "mix"\nchannels = ["conda-forge"]\n'
                                    'platforms = ["linux-64"]\n\n[dependencies]\npython = "3.12.*"\n'
                                    'platformdirs = "*"\n')
    monkeypatch.chdir(root)
    return root


def test_offline_add_pypi_lock_and_install_from_the_teaching_index(offline_workspace, capsys):
    root = offline_workspace
    assert main(["add", "--pypi", "tinyconfig[units]>=0.2"]) == 0
    lock = read_lock(root / "pixi.lock")
    env = lock.environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    assert sorted(pypi) == ["tinyconfig", "tinyunits"]  # platformdirs: conda's, not again
    assert pypi["tinyunits"].version == "1.1.0"
    assert env.indexes == (PYPI_URL,)
    # the lock names pypi.org, as one made online would: no path of this machine in it
    text = (root / "pixi.lock").read_text()
    assert "pypi: https://pypi.org/simple/tinyconfig/tinyconfig-0.2.0-py3-none-any.whl" in text
    assert "file:" not in text and "pkg:pypi/platformdirs" in text
    site = root / ".pixi" / "envs" / "default" / "lib" / "python3.12" / "site-packages"
    assert (site / "tinyconfig" / "__init__.py").is_file()
    assert (site / "tinyunits-1.1.0.dist-info" / "INSTALLER").read_text() == "minipixi\n"
    assert not list(site.glob("platformdirs-*.dist-info"))
    # asking PyPI for what conda provides adds no second copy
    assert main(["add", "--pypi", "platformdirs"]) == 0
    assert sorted(p.name for p in read_lock(root / "pixi.lock").environments["default"]
                  .pypi_packages("linux-64")) == ["tinyconfig", "tinyunits"]
    # a fresh prefix installs the wheels again from the lock, offline
    shutil.rmtree(root / ".pixi")
    assert main(["install", "--frozen"]) == 0
    assert (site / "tinyunits" / "__init__.py").is_file()


def test_offline_a_source_only_project_is_refused_and_nothing_changes(offline_workspace, capsys):
    root = offline_workspace
    before = (root / "pixi.toml").read_bytes()
    assert main(["add", "--pypi", "tinybuild"]) == 1
    assert "building from source is not supported" in capsys.readouterr().err
    assert (root / "pixi.toml").read_bytes() == before


def test_mirrored_urls_map_both_ways_and_only_at_a_path_boundary():
    from minipixi.app.pypi_lock import mirrored, unmirrored

    mirrors = {PYPI_URL: "file:///srv/teach/simple"}
    wheel = "https://pypi.org/simple/tinyunits/tinyunits-1.1.0-py3-none-any.whl"
    local = mirrored(wheel, mirrors)
    assert local == "file:///srv/teach/simple/tinyunits/tinyunits-1.1.0-py3-none-any.whl"
    assert unmirrored(local, mirrors) == wheel
    assert mirrored("https://pypi.org/simple-other/x/", mirrors) == "https://pypi.org/simple-other/x/"
    assert mirrored("https://example.org/simple/x/", mirrors) == "https://example.org/simple/x/"


def test_the_manifest_map_overlays_the_teaching_map_unless_it_replaces_it(tmp_path):
    from types import SimpleNamespace

    from minipixi.pypi.mapping import conda_purls

    forge = "https://conda.anaconda.org/conda-forge"
    records = [SimpleNamespace(name="platformdirs", channel=forge), SimpleNamespace(name="tree", channel=forge)]
    teaching = Config(offline=True).pypi_mapping()
    bare = SimpleNamespace(document={"workspace": {}}, root=tmp_path, path=tmp_path / "pixi.toml")
    assert conda_purls(bare, records, default_maps=teaching) == {
        "platformdirs": ("pkg:pypi/platformdirs?source=project-defined-mapping",)}
    assert conda_purls(bare, records) == {}
    own = SimpleNamespace(document={"workspace": {"conda-pypi-map": {"conda-forge": {"mapping": {"tree": "pytree"}}}}},
                          root=tmp_path, path=tmp_path / "pixi.toml")
    assert conda_purls(own, records, default_maps=teaching) == {  # Pixi's default mapping-mode: overlay
        "tree": ("pkg:pypi/pytree?source=project-defined-mapping",),
        "platformdirs": ("pkg:pypi/platformdirs?source=project-defined-mapping",)}
    own.document["workspace"]["conda-pypi-map"]["conda-forge"]["mapping-mode"] = "replace"
    assert conda_purls(own, records, default_maps=teaching) == {
        "tree": ("pkg:pypi/pytree?source=project-defined-mapping",)}


def test_offline_a_conda_package_shared_by_two_environments_has_one_lock_entry(offline_workspace):
    """Only the `web` environment asks PyPI for something; platformdirs is in both. The teaching
    map is the workspace's, so both environments lock platformdirs with the same purls: one entry."""
    root = offline_workspace
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[feature.web.pypi-dependencies]\ntinyconfig = ">=0.2"\n\n'
                        '[environments]\nweb = ["web"]\n')
    assert main(["lock"]) == 0
    lock = read_lock(root / "pixi.lock")
    shared = [p for env in ("default", "web") for p in lock.environments[env].conda_packages("linux-64")
              if p.record.name == "platformdirs"]
    assert len(shared) == 2 and shared[0].purls == shared[1].purls and shared[0].purls
    entries = (root / "pixi.lock").read_text().split("\npackages:\n", 1)[1]
    assert entries.count("/platformdirs-") == 1
    assert main(["lock", "--check"]) == 0
