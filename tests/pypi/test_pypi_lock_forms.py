"""PyPI lock entries in Pixi's forms: wheels named by URL or path (no sha256), the v7 ``index:``
of a wheel from another index than pypi.org, and extras (which no Pixi lock records).

What Pixi writes is taken from the real locks of ../shared/real-pixi where they show it (the
``direct+`` click wheel of prefix-dev/pixi examples/pypi-source-deps, the local-wheel fixture)
and from rattler_lock's v7 model (``index`` after the hashes, pypi.org left out); py-rattler
reads every lock written here into the same packages, and rewrites it to the same bytes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from minipixi.cli import main
from minipixi.lock.model import LockedEnvironment, PypiPackage
from minipixi.lock.pypi_satisfiability import pypi_reasons
from minipixi.lock.read import parse_lock, read_lock
from minipixi.lock.write import render_lock
from pypi_server import Entry, SimpleIndex, build_wheel
from test_pypi_workflow import SITE, workspace  # noqa: F401 (a fixture: a channel, an index, a workspace)
from test_teaching_index import offline_workspace  # noqa: F401 (a fixture: the offline teaching mirror)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REAL_PIXI = Path(__file__).resolve().parents[3] / "shared" / "real-pixi"


def _block(text: str, location: str) -> str:
    """The lines of one ``packages:`` entry of a lock."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"- pypi: {location}\n")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return "".join(lines[start:end])


def _served_wheel(index: SimpleIndex, folder: Path, name: str, version: str, **kwargs) -> tuple[Path, str]:
    """A wheel served by `index` under files/ (not on any project page): a URL as any host has."""
    folder.mkdir(exist_ok=True)
    wheel = build_wheel(folder, name, version, **kwargs)
    index.add(f"unlisted-{name}", Entry(wheel.name, wheel.read_bytes()))
    return wheel, index.url.rsplit("/simple", 1)[0] + f"/files/{wheel.name}"


def _sha256(package) -> str | None:
    try:  # py-rattler 0.28 raises for an entry without hashes rather than answering None
        return package.hashes.sha256.hex() if package.hashes.sha256 else None
    except AttributeError:
        return None


def _rattler_agrees(rattler, lock_path: Path, tmp_path: Path) -> None:
    """py-rattler reads the same PyPI packages (location, version, hash) and, for v7, writes the
    same bytes back, but for one thing: rattler's reader gives every wheel without an
    ``index:`` the environment's first index, which its writer then writes unless it is pypi.org
    (so a wheel named by URL or path gains one in an environment whose index-url is another);
    a lock made fresh, by Pixi or here, has none there."""
    ours = read_lock(lock_path)
    theirs = rattler.LockFile.from_path(lock_path)
    for name, env in ours.environments.items():
        for platform, packages in theirs.environment(name).pypi_packages().items():
            found = sorted((str(p.location), str(p.version), _sha256(p)) for p in packages)
            assert found == sorted((p.location, p.version, p.sha256) for p in env.pypi_packages(platform))
    if ours.version == 7:
        theirs.to_path(tmp_path / "rattler.lock")
        filled = lock_path.read_text()
        for env in ours.environments.values():
            first = (env.indexes or ("https://pypi.org/simple",))[0]
            for package in {p for packages in env.packages.values() for p in packages if isinstance(p, PypiPackage)}:
                if package.index is None and first != "https://pypi.org/simple":
                    block = _block(filled, package.location)
                    lines = block.splitlines(keepends=True)
                    at = next((i for i, line in enumerate(lines) if line.startswith(("  requires_", ))), len(lines))
                    filled = filled.replace(block, "".join(lines[:at] + [f"  index: {first}\n"] + lines[at:]))
        assert (tmp_path / "rattler.lock").read_text() == filled


# ---- 1. wheels named by URL or path: no sha256, and install checks what the file is ------------

def test_url_and_path_wheels_are_locked_as_pixi_writes_them(workspace, tmp_path, rattler):
    root, index = workspace
    _, url = _served_wheel(index, tmp_path / "direct", "remote", "1.0", requires=("tinyright<2",),
                           requires_python=">=3.7")
    (root / "wheels").mkdir()
    build_wheel(root / "wheels", "local", "0.1.0", requires_python=">=3.11")
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[pypi-dependencies]\n'
                        f'remote = {{ url = "{url}" }}\nlocal = {{ path = "./wheels/local-0.1.0-py3-none-any.whl" }}\n')
    assert main(["install"]) == 0
    text = (root / "pixi.lock").read_text()
    # The shapes of prefix-dev/pixi's own locks (examples/pypi-source-deps: click by URL;
    # tests/data/satisfiability/local-wheel: foobar by path): name, version, requires, no sha256.
    assert _block(text, f"direct+{url}") == (
        f"- pypi: direct+{url}\n  name: remote\n  version: '1.0'\n  requires_dist:\n  - tinyright<2\n"
        "  requires_python: '>=3.7'\n")
    assert _block(text, "./wheels/local-0.1.0-py3-none-any.whl") == (
        "- pypi: ./wheels/local-0.1.0-py3-none-any.whl\n  name: local\n  version: 0.1.0\n"
        "  requires_python: '>=3.11'\n")
    # ... while the wheel from the index keeps its sha256 (and v7's index, see below)
    assert "  sha256: " in _block(text, index.url.rsplit("/simple", 1)[0] + "/files/tinyright-1.0.0-py3-none-any.whl")
    site = root / ".pixi" / "envs" / "default" / SITE
    assert (site / "remote-1.0.dist-info").is_dir() and (site / "local-0.1.0.dist-info").is_dir()
    assert main(["lock", "--check"]) == 0
    _rattler_agrees(rattler, root / "pixi.lock", tmp_path)


@pytest.mark.corpus
def test_pixis_own_hashless_entries_read_and_render_byte_for_byte():
    """The real entries are read as wheels named by URL and by path, without a hash, and written
    back unchanged (the whole-file round trip is tests/corpus/test_real_pixi_locks.py)."""
    found = {}
    for name in ("examples/pypi-source-deps/pixi.lock", "tests/data/satisfiability/local-wheel/pixi.lock"):
        path = REAL_PIXI / "prefix-dev__pixi" / name
        if not path.is_file():
            pytest.skip("../shared/real-pixi is absent")
        lock = read_lock(path)
        assert render_lock(lock) == path.read_text()
        for env in lock.environments.values():
            for packages in env.packages.values():
                found.update({p.name: p for p in packages if isinstance(p, PypiPackage)})
    assert (found["click"].source, found["click"].sha256, found["click"].version) == ("url", None, "8.1.7")
    assert (found["foobar"].source, found["foobar"].sha256) == ("path", None)


def test_a_path_wheel_that_changed_is_one_clear_error_before_anything_is_installed(workspace, capsys):
    root, _ = workspace
    (root / "wheels").mkdir()
    build_wheel(root / "wheels", "local", "1.0", modules={"local/__init__.py": "V = 1\n"})
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[pypi-dependencies]\nlocal = { path = "./wheels/local-1.0-py3-none-any.whl" }\n')
    assert main(["lock"]) == 0
    # The file is replaced by another wheel under the same name (its METADATA says 2.0).
    wheel = root / "wheels" / "local-1.0-py3-none-any.whl"
    wheel.write_bytes(build_wheel(root, "local", "2.0").read_bytes())
    # As in Pixi, lock --check compares the path and trusts the file...
    assert main(["lock", "--check"]) == 0
    capsys.readouterr()
    # ... and install reads it before the prefix changes.
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert "'local' 1.0 (./wheels/local-1.0-py3-none-any.whl) is not the one locked: the file is local 2.0" in err
    assert "minipixi lock" in err and "Traceback" not in err
    assert not (root / ".pixi" / "envs" / "default" / "conda-meta").exists()  # nothing installed at all
    # The wheel rebuilt as itself (same name and version, other bytes) installs: no hash pins it.
    wheel.write_bytes(build_wheel(root / "wheels", "local", "1.0", modules={"local/__init__.py": "V = 2\n"}
                                  ).read_bytes())
    assert main(["install", "--frozen"]) == 0
    assert (root / ".pixi" / "envs" / "default" / SITE / "local" / "__init__.py").read_text() == "V = 2\n"


def test_a_url_wheel_is_checked_after_the_download(workspace, tmp_path, capsys):
    root, index = workspace
    _, url = _served_wheel(index, tmp_path / "direct", "remote", "1.0")
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + f'\n[pypi-dependencies]\nremote = {{ url = "{url}" }}\n')
    assert main(["lock"]) == 0
    # The host now serves another wheel at that URL: as in Pixi, lock --check trusts the URL...
    shutil.rmtree(tmp_path / "cache" / "pypi" / "files")
    index.projects["unlisted-remote"] = [Entry(url.rsplit("/", 1)[1], build_wheel(tmp_path, "other", "1.0").read_bytes())]
    assert main(["lock", "--check"]) == 0
    # ... and install refuses the download before the prefix changes.
    capsys.readouterr()
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert f"'remote' 1.0 (direct+{url}) is not the one locked" in err and "the file is other 1.0" in err
    assert "Traceback" not in err and not (root / ".pixi" / "envs" / "default" / "conda-meta").exists()


def test_a_wheel_for_another_platform_or_not_a_wheel_is_refused(workspace, capsys):
    root, _ = workspace
    (root / "wheels").mkdir()
    build_wheel(root / "wheels", "local", "1.0")
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text() + '\n[pypi-dependencies]\nlocal = { path = "./wheels/local-1.0-py3-none-any.whl" }\n')
    assert main(["lock"]) == 0
    lock_path = root / "pixi.lock"
    good = lock_path.read_text()
    windows = build_wheel(root / "wheels", "local", "1.0", tag="cp312-cp312-win_amd64")
    lock_path.write_text(good.replace("local-1.0-py3-none-any.whl", windows.name))
    capsys.readouterr()
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert f"its tags ({windows.name}) do not install with linux-64 with Python 3.12.1" in err
    (root / "wheels" / "local-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    lock_path.write_text(good)
    assert main(["install", "--frozen"]) != 0
    assert "it is not a readable wheel" in capsys.readouterr().err
    # a path that leaves the workspace is refused by the containment rule, from a lock as well
    lock_path.write_text(good.replace("./wheels/local-1.0-py3-none-any.whl", "../local-1.0-py3-none-any.whl"))
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert "'local' is a wheel outside the workspace (../local-1.0-py3-none-any.whl)" in err
    assert "Traceback" not in err
    assert not (root / ".pixi" / "envs" / "default" / "conda-meta").exists()


def test_an_index_wheel_without_its_sha256_is_still_refused(workspace, capsys):
    root, _ = workspace
    assert main(["add", "--pypi", "tinyright==1.0.0"]) == 0
    lock_path = root / "pixi.lock"
    digest = read_lock(lock_path).environments["default"].pypi_packages("linux-64")[0].sha256
    lock_path.write_text(lock_path.read_text().replace(f"  sha256: {digest}\n", ""))
    shutil.rmtree(root / ".pixi")
    capsys.readouterr()
    assert main(["install", "--frozen"]) != 0
    err = capsys.readouterr().err
    assert "'tinyright' comes from an index but has no sha256" in err and "Traceback" not in err


def test_lock_check_compares_the_url_or_path_as_pixi_does(workspace, tmp_path, capsys):
    root, index = workspace
    _, url = _served_wheel(index, tmp_path / "direct", "remote", "1.0")
    (root / "wheels").mkdir()
    build_wheel(root / "wheels", "local", "1.0")
    manifest = root / "pixi.toml"
    base = manifest.read_text() + '\n[pypi-dependencies]\n'
    both = f'remote = {{ url = "{url}" }}\nlocal = {{ path = "./wheels/local-1.0-py3-none-any.whl" }}\n'
    manifest.write_text(base + both)
    assert main(["lock"]) == 0
    capsys.readouterr()
    for changed, says in ((both.replace("./wheels/", "wheels/"), None),  # the same file: fresh
                          (both.replace("local-1.0", "local-2.0"), "local must be the wheel ./wheels/local-2.0"),
                          (both.replace(url, url + "?v=2"), f"remote must be the wheel {url}?v=2"),
                          # a version the URL's wheel has: Pixi checks only the version then
                          (both.replace(f'{{ url = "{url}" }}', '">=1"'), None),
                          (both.replace(f'{{ url = "{url}" }}', '">=2"'), "does not satisfy '>=2'")):
        manifest.write_text(base + changed)
        assert (main(["lock", "--check"]) == 0) == (says is None), changed
        assert says is None or says in capsys.readouterr().err


# ---- 2. the index a wheel came from ------------------------------------------------------------

def test_v7_records_the_index_of_each_wheel_not_from_pypi_org(workspace, tmp_path, rattler):
    root, index = workspace
    (tmp_path / "more").mkdir()
    with SimpleIndex() as extra, SimpleIndex() as private:
        wheel = build_wheel(tmp_path / "more", "onlyextra", "0.1.0", requires=("tinyright<2",))
        extra.add_wheel("onlyextra", wheel)
        wheel = build_wheel(tmp_path / "more", "speedy", "9.0")
        private.add_wheel("speedy", wheel)
        manifest = root / "pixi.toml"
        manifest.write_text(manifest.read_text().replace(
            "[pypi-options]\n", f'[pypi-options]\nextra-index-urls = ["{extra.url}"]\n')
            + f'\n[pypi-dependencies]\nonlyextra = "*"\nspeedy = {{ version = "*", index = "{private.url}" }}\n')
        assert main(["lock"]) == 0
        lock_path = root / "pixi.lock"
        text = lock_path.read_text()
        lock = read_lock(lock_path)
        assert lock.version == 7
        found = {p.name: p for p in lock.environments["default"].pypi_packages("linux-64")}
        # each wheel names the index that served it: index-url, an extra index, its own index
        assert found["tinyright"].index == index.url.rstrip("/")
        assert found["onlyextra"].index == extra.url.rstrip("/")
        assert found["speedy"].index == private.url.rstrip("/")
        # in rattler's place: after the hashes, before requires_dist
        block = _block(text, found["onlyextra"].location)
        assert block.index("  sha256: ") < block.index(f"  index: {extra.url.rstrip('/')}\n") < block.index(
            "  requires_dist:")
        _rattler_agrees(rattler, lock_path, tmp_path)
        assert main(["lock", "--check"]) == 0
        # v6 has no such field: the same lock written as v6 leaves it out
        six = render_lock(type(lock)(6, lock.environments, ()))
        assert "  index: " not in six and parse_lock(six).environments["default"].pypi_packages("linux-64")


def _env(index: str | None, indexes=("https://pypi.org/simple",)) -> LockedEnvironment:
    wheel = PypiPackage("https://custom.example.com/files/my_dep-1.0.0-py3-none-any.whl", "my-dep", "1.0.0",
                        sha256="0" * 64, extra=(("index", index),) if index else ())
    return LockedEnvironment(packages={"win-64": (wheel,)}, indexes=indexes)


@pytest.mark.parametrize("manifest, locked, version, stale", [
    ({"version": ">=1", "index": "https://custom.example.com/simple"}, "https://custom.example.com/simple", 7, False),
    ({"version": ">=1", "index": "https://custom.example.com/simple"}, "https://other.example.com/simple", 7, True),
    # no index: in v7 it is the environment's first index (pypi.org is left out when written)
    ({"version": ">=1", "index": "https://custom.example.com/simple"}, None, 7, True),
    ({"version": ">=1", "index": "https://custom.example.com/simple"}, None, 6, False),  # v6 cannot say
    (">=1", "https://custom.example.com/simple", 7, True),  # the manifest dropped the index
    (">=1", None, 7, False),
])
def test_the_index_check_follows_pixi(manifest, locked, version, stale):
    """Pixi's pypi-index-{match,mismatch,added,removed} fixtures, as data (the real files are
    judged by tests/corpus/test_satisfiability_corpus.py)."""
    reasons = pypi_reasons(_env(locked), "win-64", {"my-dep": manifest}, "win-64", version=version)
    assert bool(reasons) == stale, reasons


# ---- 3. extras -----------------------------------------------------------------------------------

def test_extras_are_not_recorded_and_lock_check_sees_them_change(workspace, capsys):
    """Pixi writes no extras (rattler_lock v6's ``extras:`` of an environment entry was only ever
    filled before Pixi used uv; v7 has no place for it): an extra shows as the packages it adds,
    and that is what lock --check compares."""
    root, _ = workspace
    assert main(["add", "--pypi", "tinyleft[fast]"]) == 0
    text = (root / "pixi.lock").read_text()
    assert "extras:" not in text and "speedy" in text
    manifest = root / "pixi.toml"
    with_extra = manifest.read_text()
    assert main(["lock", "--check"]) == 0
    capsys.readouterr()
    manifest.write_text(with_extra.replace(', extras = ["fast"]', ""))  # speedy is no longer needed
    assert main(["lock", "--check"]) != 0
    assert "more PyPI packages are locked" in capsys.readouterr().err
    assert main(["lock"]) == 0
    assert {p.name for p in read_lock(root / "pixi.lock").environments["default"].pypi_packages("linux-64")} == {
        "tinyleft", "tinyright"}
    manifest.write_text(with_extra)  # asked again: its requirement is not locked
    assert main(["lock", "--check"]) != 0
    assert "speedy ; extra == 'fast'" in capsys.readouterr().err


def test_the_lessons_tinyconfig_units_locks_as_pixi_would(offline_workspace, capsys):
    """Episode 2's ``add --pypi "tinyconfig[units]"``: entries with their sha256, no ``index:``
    (pypi.org, which the teaching index stands in for), no extras; dropping the extra is seen."""
    root = offline_workspace
    assert main(["add", "--pypi", "tinyconfig[units]"]) == 0
    text = (root / "pixi.lock").read_text()
    assert "extras:" not in text and "  index: " not in text
    block = _block(text, "https://pypi.org/simple/tinyunits/tinyunits-1.1.0-py3-none-any.whl")
    assert block.startswith("- pypi: https://pypi.org/simple/tinyunits/tinyunits-1.1.0-py3-none-any.whl\n"
                            "  name: tinyunits\n  version: 1.1.0\n  sha256: ")
    manifest = root / "pixi.toml"
    manifest.write_text(manifest.read_text().replace(', extras = ["units"]', ""))
    capsys.readouterr()
    assert main(["lock", "--check"]) != 0
    assert "more PyPI packages are locked for linux-64 than the environment uses: tinyunits" in capsys.readouterr().err


# ---- 4. requires_dist lines as Pixi (uv) writes them ---------------------------------------------

# Locks whose PyPI entries Pixi carried over from older versions, which spelled requires_dist
# otherwise: ``six >=1.12.0`` and ``astroid <2, >=1`` (a space, and ", " between bounds), bounds
# in METADATA order (``idna<4,>=2.5``), ``python_version`` not yet turned into
# ``python_full_version``, an extra not yet normalized (``extra == 'use_chardet_on_py3'``).
# Nothing in a lock says which Pixi wrote a line (the format version spans many), and minipixi
# keeps every line it reads as it is; `requires_dist_text` is only for new lines, as today's
# Pixi writes them.
OLDER_SPELLINGS = {
    "prefix-dev__pixi/examples/llama-index-inference/pixi.lock",
    "prefix-dev__pixi/tests/data/non-satisfiability/missing-pypi-extra/pixi.lock",
    "prefix-dev__pixi/tests/data/non-satisfiability/solve-groups-pypi/pixi.lock",
    "prefix-dev__pixi/tests/data/satisfiability/solve-groups-pypi/pixi.lock",
    "prefix-dev__pixi/tests/data/satisfiability/absolute-paths/pixi.lock",
    "prefix-dev__pixi/examples/editable-with-extras/pixi.lock",
    "prefix-dev__pixi/examples/pypi-custom-registry/pixi.lock",
}


@pytest.mark.corpus
def test_every_requires_dist_line_of_todays_pixi_is_written_as_it_is():
    from minipixi.app.pypi_lock import requires_dist_text

    if not REAL_PIXI.is_dir():
        pytest.skip("../shared/real-pixi is absent")
    lines: dict[str, set[str]] = {}
    for path in REAL_PIXI.rglob("pixi.lock"):
        lock = read_lock(path)
        for env in lock.environments.values():
            for packages in env.packages.values():
                for package in packages:
                    for line in getattr(package, "requires_dist", ()):
                        lines.setdefault(line, set()).add(str(path.relative_to(REAL_PIXI)))
    differ = {line for line in lines if requires_dist_text(line) != line}
    print(f"\nrequires_dist: {len(lines)} distinct lines, {len(lines) - len(differ)} written as read")
    assert len(lines) > 5000 and len(differ) < 250
    assert set().union(*(lines[line] for line in differ)) <= OLDER_SPELLINGS


MARKERS = [  # Requires-Dist lines as METADATA writes them
    'a; python_version < "3.11"', 'a; python_version <= "3.12"', 'a; python_version > "3.8"',
    'a; python_version >= "3.9"', 'a; python_version == "3.8"', 'a; python_version != "3.7"',
    'a; "3.8" > python_version', 'a; python_version <= "3"', 'a; python_version < "3"',
    'a; python_version < "3.13" and python_version >= "3.8"',
    'a; extra == "x" and sys_platform == "win32"', 'a; sys_platform != "win32" and sys_platform != "emscripten"',
    'a; platform_machine == "x86_64" and python_full_version >= "3.11.2"',
    'a; implementation_name == "pypy" and os_name == "nt" and extra == "test"',
    'a; platform_python_implementation != "PyPy" and python_version == "3.8" and extra == "dev"',
    'a>=1,<2; platform_machine == "arm64" and sys_platform == "darwin"',
]


def test_requires_dist_markers_are_written_as_uv_writes_them(tmp_path):
    """uv (the dev-only oracle; Pixi resolves with it) against `requires_dist_text`: uv records a
    project's own requirements, markers normalized, in uv.lock."""
    import subprocess
    import tomllib

    from minipixi.app.pypi_lock import requires_dist_text

    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed")
    (tmp_path / "links").mkdir()
    names = [f"p{i}" for i in range(len(MARKERS))]
    for name in names:
        build_wheel(tmp_path / "links", name, "1.5")
    lines = [name + line[1:] for name, line in zip(names, MARKERS)]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "oracle"\nversion = "0.1"\nrequires-python = ">=3.8"\n'
        f"dependencies = {lines!r}\n".replace("'", "'''"))
    subprocess.run([uv, "lock", "--offline", "--no-index", "--find-links", str(tmp_path / "links"),
                    "--cache-dir", str(tmp_path / "uv-cache"), "--python", sys.executable],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    oracle = tomllib.loads((tmp_path / "uv.lock").read_text())
    (project,) = [p for p in oracle["package"] if p["name"] == "oracle"]
    theirs = {r["name"]: r.get("marker") for r in project["metadata"]["requires-dist"]}
    ours = {name: requires_dist_text(line).partition(" ; ")[2] for name, line in zip(names, lines)}
    assert ours == theirs
