"""``[pypi-options] find-links = [{ url = "..." }]``: a flat HTML page of wheel links, served on
127.0.0.1 by the test next to a simple index, read, cached, locked as Pixi locks it, and checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.lock.read import read_lock
from minipixi.pypi.find_links import page_wheels
from minipixi.pypi.index import IndexError_
from pypi_server import SimpleIndex, build_wheel
from test_pypi_workflow import SITE, _index, isolated


def _flat_page(links: list[str]) -> bytes:
    return ("<!DOCTYPE html><html><body>" + "".join(f'<a href="{href}">{text}</a><br>' for href, text in links)
            + "</body></html>").encode()


@pytest.fixture
def flat(tmp_path, monkeypatch):
    channel = isolated(tmp_path, monkeypatch)
    (tmp_path / "flatwheels").mkdir()
    served = _index(tmp_path / "wheels")
    server = SimpleIndex(projects=served.projects)
    right = build_wheel(tmp_path / "flatwheels", "tinyright", "9.0.0", modules={"tinyright/__init__.py": "V = 'flat'\n"})
    only = build_wheel(tmp_path / "flatwheels", "onlyflat", "0.1.0", requires=("tinyright>=9",),
                       modules={"onlyflat/__init__.py": ""})
    for wheel in (right, only):
        server.pages[f"/dl/{wheel.name}"] = (wheel.read_bytes(), "application/octet-stream")
    digest = hashlib.sha256(only.read_bytes()).hexdigest()
    # A relative link with its hash, an absolute-path link without one, and two links to skip.
    server.pages["/flat/"] = (_flat_page([(f"../dl/{only.name}#sha256={digest}", only.name),
                                          (f"/dl/{right.name}", right.name),
                                          ("other.html", "more wheels"),
                                          ("/dl/onlyflat-0.0.1.tar.gz", "onlyflat-0.0.1.tar.gz")]), "text/html")
    server.pages["/broken/"] = (b'{"not": "html"}', "application/json")
    with server:
        root = tmp_path / "ws"
        root.mkdir()
        (root / "pixi.toml").write_text(
            f'[workspace]\nname = "flat"\nchannels = ["{channel.as_uri()}"]\nplatforms = ["linux-64"]\n\n'
            f'[pypi-options]\nindex-url = "{server.url.rstrip("/")}"\n'
            f'find-links = [{{ url = "{server.root}/flat/" }}]\n\n'
            '[dependencies]\npython = "3.12.*"\n\n[pypi-dependencies]\nonlyflat = "*"\n')
        monkeypatch.chdir(root)
        yield root, server, {"right": right, "only": only}


def test_a_flat_page_is_read_locked_by_url_and_installed(flat, capsys):
    root, server, wheels = flat
    assert main(["install"]) == 0
    text = (root / "pixi.lock").read_text()
    page = f"{server.root}/flat/"
    assert f"    find-links:\n    - url: {page}\n" in text
    env = read_lock(root / "pixi.lock").environments["default"]
    pypi = {p.name: p for p in env.pypi_packages("linux-64")}
    # The page's 9.0.0 beats the index's 2.1.0; both are locked by their URL, with the page as index.
    assert pypi["tinyright"].location == f"{server.root}/dl/{wheels['right'].name}"
    assert pypi["onlyflat"].location == f"{server.root}/dl/{wheels['only'].name}"
    assert dict(pypi["onlyflat"].extra)["index"] == page and dict(pypi["tinyright"].extra)["index"] == page
    # The page gave onlyflat's hash; tinyright's was computed from the file itself.
    for key in ("right", "only"):
        name = "tinyright" if key == "right" else "onlyflat"
        assert pypi[name].sha256 == hashlib.sha256(wheels[key].read_bytes()).hexdigest()
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "tinyright" / "__init__.py").read_text() == "V = 'flat'\n"
    assert main(["lock", "--check"]) == 0
    capsys.readouterr()
    # Another find-links url: the lock is stale, and says why.
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace(f'{server.root}/flat/', f'{server.root}/elsewhere/'))
    assert main(["lock", "--check"]) != 0
    assert "find-links changed" in capsys.readouterr().err


def test_offline_reads_the_cached_page_and_wheels(flat, capsys):
    root, server, _ = flat
    assert main(["lock"]) == 0
    locked = (root / "pixi.lock").read_text()
    (root / "pixi.lock").unlink()
    served = len(server.log)
    assert main(["lock", "--offline"]) == 0
    assert (root / "pixi.lock").read_text() == locked
    assert main(["install", "--offline"]) == 0
    assert len(server.log) == served  # nothing was asked of the server
    # Online again: the page is revalidated (304), not downloaded again.
    (root / "pixi.lock").unlink()
    assert main(["lock"]) == 0
    assert ("/flat/", 304) in server.log


def test_offline_with_nothing_cached_is_one_clear_error(flat, capsys):
    root, server, _ = flat
    assert main(["lock", "--offline"]) != 0
    err = capsys.readouterr().err
    assert f"the find-links page {server.root}/flat/ was never fetched" in err
    assert "Traceback" not in err and not (root / "pixi.lock").exists()


@pytest.mark.parametrize("path, message", [("/missing/", "answered HTTP 404"),
                                           ("/broken/", "'application/json', not an HTML page of links")])
def test_a_missing_or_malformed_page_is_one_clear_error(flat, capsys, path, message):
    root, server, _ = flat
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace(f"{server.root}/flat/", f"{server.root}{path}"))
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert message in err and f"{server.root}{path}" in err and "find-links" in err
    assert "Traceback" not in err and not (root / "pixi.lock").exists()


def test_page_wheels_refuses_unsafe_links_and_keeps_nothing_it_cannot_read(flat, tmp_path):
    _, server, _ = flat
    server.pages["/evil/"] = (_flat_page([("file:///etc/x-1.0-py3-none-any.whl", "x-1.0-py3-none-any.whl")]),
                              "text/html")
    with pytest.raises(IndexError_, match="unsupported URL scheme"):
        page_wheels(f"{server.root}/evil/", cache_dir=tmp_path / "c")
    with pytest.raises(IndexError_, match="not an HTML page"):
        page_wheels(f"{server.root}/broken/", cache_dir=tmp_path / "c")
    with pytest.raises(IndexError_, match="never fetched"):  # the bad pages were not cached
        page_wheels(f"{server.root}/broken/", cache_dir=tmp_path / "c", offline=True)
    found = page_wheels(f"{server.root}/flat/", cache_dir=tmp_path / "c")
    assert sorted(found) == ["onlyflat", "tinyright"]  # other.html and the sdist are skipped
    assert found["onlyflat"][0].hashes["sha256"] and not found["tinyright"][0].hashes


def test_a_find_links_url_that_is_not_http_is_named(flat, capsys):
    root, server, _ = flat
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace(f'url = "{server.root}/flat/"', 'url = "ftp://host/w"'))
    assert main(["lock"]) != 0
    err = capsys.readouterr().err
    assert "find-links entry {'url': 'ftp://host/w'} is not supported" in err


def test_a_find_links_page_is_size_bounded(flat, tmp_path, monkeypatch):
    _, server, _ = flat
    monkeypatch.setenv("MINIPIXI_MAX_REPODATA_SIZE", "64B")
    with pytest.raises(IndexError_, match="cannot read the find-links page") as caught:
        page_wheels(f"{server.root}/flat/", cache_dir=tmp_path / "c")
    assert "MINIPIXI_MAX_REPODATA_SIZE" in caught.value.message
