"""``[workspace] conda-pypi-map``: remote maps (served on 127.0.0.1 by the test), cached for
--offline, and Pixi's per-channel forms: false, mapping-mode, same-name-heuristic, null names."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from minipixi.cli import main
from minipixi.lock.read import read_lock
from minipixi.pypi.mapping import MappingError, conda_purls
from pypi_server import SimpleIndex
from test_pypi_workflow import _index, isolated

FORGE = "https://conda.anaconda.org/conda-forge"
OTHER = "https://conda.anaconda.org/other"
DEFINED = "?source=project-defined-mapping"


@pytest.fixture
def server():
    with SimpleIndex() as served:
        served.pages["/map.json"] = (json.dumps({"tinytool": "tiny-tool", "Bundle": ["one", "Two_x"],
                                                 "notpypi": None}).encode(), "application/json")
        served.pages["/broken.json"] = (b"{not json", "application/json")
        served.pages["/list.json"] = (b'["tinytool"]', "application/json")
        served.pages["/number.json"] = (b'{"tinytool": 3}', "application/json")
        yield served


def _workspace(tmp_path, conda_pypi_map):
    return SimpleNamespace(document={"workspace": {"conda-pypi-map": conda_pypi_map}}, root=tmp_path,
                           path=tmp_path / "pixi.toml")


def _records(channel=FORGE):
    return [SimpleNamespace(name=n, channel=channel) for n in ("tinytool", "bundle", "notpypi", "python")]


def test_a_remote_map_is_read_cached_and_used_offline(tmp_path, server):
    ws = _workspace(tmp_path, {"conda-forge": f"{server.root}/map.json"})
    expected = {"tinytool": (f"pkg:pypi/tiny-tool{DEFINED}",),
                "bundle": (f"pkg:pypi/one{DEFINED}", f"pkg:pypi/two-x{DEFINED}"),
                "notpypi": ()}  # null: not a PyPI package (purls: [])
    assert conda_purls(ws, _records(), cache_dir=tmp_path / "c") == expected
    served = len(server.log)
    assert conda_purls(ws, _records(), cache_dir=tmp_path / "c", offline=True) == expected
    assert len(server.log) == served
    assert conda_purls(ws, _records(), cache_dir=tmp_path / "c") == expected  # revalidated
    assert server.log[-1] == ("/map.json", 304)


@pytest.mark.parametrize("path, message", [
    ("/missing.json", "answered HTTP 404"), ("/broken.json", "is not JSON"),
    ("/list.json", "is not a JSON object"), ("/number.json", "gives 'tinytool' the PyPI name 3")])
def test_a_missing_or_malformed_remote_map_names_the_channel_and_url(tmp_path, server, path, message):
    ws = _workspace(tmp_path, {"conda-forge": f"{server.root}{path}"})
    with pytest.raises(MappingError) as caught:
        conda_purls(ws, _records(), cache_dir=tmp_path / "c")
    text = caught.value.render() if hasattr(caught.value, "render") else str(caught.value)
    assert message in text and f"{server.root}{path}" in text and "conda-pypi-map of conda-forge" in text
    with pytest.raises(MappingError, match="never downloaded"):  # and nothing bad was cached
        conda_purls(ws, _records(), cache_dir=tmp_path / "c", offline=True)
    assert conda_purls(ws, _records(), cache_dir=tmp_path / "c", strict=False) == {}


def test_offline_with_nothing_cached_and_an_unreachable_server(tmp_path, server):
    ws = _workspace(tmp_path, {"conda-forge": f"{server.root}/map.json"})
    with pytest.raises(MappingError, match="offline, and the conda-pypi-map was never downloaded"):
        conda_purls(ws, _records(), cache_dir=tmp_path / "c", offline=True)
    port = server.server.server_address[1]
    server.__exit__(None, None, None)
    with pytest.raises(MappingError, match="cannot download the conda-pypi-map") as caught:
        conda_purls(ws, _records(), cache_dir=tmp_path / "c")
    assert f"127.0.0.1:{port}/map.json" in str(caught.value.where)
    server.__enter__()  # the fixture stops it again


def test_mapping_mode_same_name_heuristic_and_false(tmp_path):
    default = tmp_path / "default.json"
    default.write_text('{"python": "not-really-python", "tinytool": "from-default"}')
    maps = {FORGE: default.as_uri()}
    inline = {"mapping": {"tinytool": "mine", "notpypi": False}}
    overlay = _workspace(tmp_path, {"conda-forge": inline})
    assert conda_purls(overlay, _records(), default_maps=maps) == {
        "tinytool": (f"pkg:pypi/mine{DEFINED}",), "notpypi": (),
        "python": (f"pkg:pypi/not-really-python{DEFINED}",)}  # a miss falls through to the default
    replaced = _workspace(tmp_path, {"conda-forge": {**inline, "mapping-mode": "replace"}})
    assert conda_purls(replaced, _records(), default_maps=maps) == {
        "tinytool": (f"pkg:pypi/mine{DEFINED}",), "notpypi": ()}
    guessing = _workspace(tmp_path, {"conda-forge": {**inline, "mapping-mode": "replace", "same-name-heuristic": True}})
    assert conda_purls(guessing, _records(), default_maps=maps) == {
        "tinytool": (f"pkg:pypi/mine{DEFINED}",), "notpypi": (), "bundle": ("pkg:pypi/bundle",),
        "python": ("pkg:pypi/python",)}
    strict = _workspace(tmp_path, {"conda-forge": {**inline, "same-name-heuristic": False}})
    assert conda_purls(strict, _records())["bundle"] == ()
    assert conda_purls(_workspace(tmp_path, {"conda-forge": False}), _records(), default_maps=maps) == {
        n: () for n in ("tinytool", "bundle", "notpypi", "python")}
    assert conda_purls(_workspace(tmp_path, False), _records(OTHER), default_maps=maps) == {
        n: () for n in ("tinytool", "bundle", "notpypi", "python")}
    # another channel's map says nothing about conda-forge's packages
    assert conda_purls(_workspace(tmp_path, {OTHER: inline}), _records()) == {}
    with pytest.raises(MappingError, match="conda-pypi-map bogus is not supported"):
        conda_purls(_workspace(tmp_path, {"conda-forge": {"bogus": 1}}), _records())


def test_lock_reads_a_remote_map_and_offline_from_its_copy(tmp_path, monkeypatch, server, capsys):
    """End to end: six is conda's because the remote map says so; offline, the kept copy."""
    channel = isolated(tmp_path, monkeypatch)
    server.projects.update(_index(tmp_path / "wheels").projects)
    server.pages["/six.json"] = (b'{"six": "six", "python": null}', "application/json")
    root = tmp_path / "ws"
    root.mkdir()
    manifest = root / "pixi.toml"
    manifest.write_text(
        f'[workspace]\nname = "mapped"\nchannels = ["{channel.as_uri()}"]\nplatforms = ["linux-64"]\n'
        f'conda-pypi-map = {{ "{channel.as_uri()}" = "{server.root}/six.json" }}\n\n'
        f'[pypi-options]\nindex-url = "{server.url.rstrip("/")}"\n\n'
        '[dependencies]\npython = "3.12.*"\nsix = "*"\n\n[pypi-dependencies]\ntinyright = ">=2"\n')
    monkeypatch.chdir(root)
    assert main(["lock", "--offline"]) != 0  # nothing cached yet: one clear error
    err = capsys.readouterr().err
    assert "never downloaded" in err and f"{server.root}/six.json" in err and "Traceback" not in err
    assert main(["lock"]) == 0
    env = read_lock(root / "pixi.lock").environments["default"]
    assert [p.name for p in env.pypi_packages("linux-64")] == ["tinyright"]  # six is conda's
    conda = {p.record.name: p.purls for p in env.conda_packages("linux-64")}
    assert conda == {"six": (f"pkg:pypi/six{DEFINED}",), "python": ()}
    locked = (root / "pixi.lock").read_text()
    (root / "pixi.lock").unlink()
    assert main(["lock", "--offline"]) == 0
    assert (root / "pixi.lock").read_text() == locked
    manifest.write_text(manifest.read_text().replace("/six.json", "/gone.json"))
    (root / "pixi.lock").unlink()
    capsys.readouterr()
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "HTTP 404" in err and f"conda-pypi-map of {channel.as_uri()}" in err and "Traceback" not in err


@pytest.mark.parametrize("entry, message", [
    ("{}", "is empty"), ('{ same-name-heuristic = "yes" }', "same-name-heuristic: expected boolean"),
    ('{ mapping = { a = ["b", 1] } }', "a PyPI name of 'a': expected string"),
    ('{ mapping-mode = "merge" }', "mapping-mode")])
def test_the_manifest_checks_each_entry_where_it_is_written(tmp_path, monkeypatch, capsys, entry, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pixi.toml").write_text(
        '[workspace]\nname = "m"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        f"conda-pypi-map = {{ conda-forge = {entry} }}\n")
    assert main(["lock", "--offline"]) != 0
    err = capsys.readouterr().err
    assert message in err and "pixi.toml" in err and "Traceback" not in err


def test_a_map_is_size_bounded_and_a_relative_one_stays_in_the_workspace(tmp_path, server, monkeypatch):
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "20B")  # the smaller of this and MAX_MAPPING_SIZE
    ws = _workspace(tmp_path, {"conda-forge": f"{server.root}/map.json"})
    with pytest.raises(MappingError, match="cannot download the conda-pypi-map") as caught:
        conda_purls(ws, _records(), cache_dir=tmp_path / "c")
    assert "map.json" in str(caught.value.where)
    (tmp_path / "outside.json").write_text('{"tinytool": "x"}')
    (tmp_path / "ws").mkdir()
    inner = SimpleNamespace(document={"workspace": {"conda-pypi-map": {"conda-forge": "../outside.json"}}},
                            root=tmp_path / "ws", path=tmp_path / "ws" / "pixi.toml")
    with pytest.raises(MappingError, match="lies outside the workspace"):
        conda_purls(inner, _records())
    inner.document["workspace"]["conda-pypi-map"]["conda-forge"] = (tmp_path / "outside.json").as_uri()
    assert conda_purls(inner, _records()) == {"tinytool": (f"pkg:pypi/x{DEFINED}",)}  # a file:// URL: chosen
