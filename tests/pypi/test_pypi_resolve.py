"""PyPI resolution (minipixi/pypi/resolve.py, provider.py, target.py, explain.py) against an
index served on 127.0.0.1 with wheels built by the test."""

from __future__ import annotations

import hashlib

import pytest
from packaging.tags import Tag

from minipixi.errors import MinipixiError
from minipixi.pypi.index import IndexError_
from minipixi.pypi.provider import RequirementError
from minipixi.pypi.resolve import PyPIResolveError, resolve
from minipixi.pypi.target import Target, TargetError
from pypi_server import Entry, SimpleIndex, build_wheel, metadata_of

LINUX = Target("linux-64", "3.12.7")
LINUX_TAG = "cp312-cp312-manylinux_2_17_x86_64"


def add(server, folder, name, version, requires=(), *, tag="py3-none-any", extras=(),
        requires_python=None, page_requires_python=None, yanked=False, pep658=True):
    wheel = build_wheel(folder, name, version, tag=tag, requires=tuple(requires),
                        extras=tuple(extras), requires_python=requires_python)
    server.add(name, Entry(wheel.name, wheel.read_bytes(), requires_python=page_requires_python,
                           yanked=yanked, metadata=metadata_of(wheel) if pep658 else None))


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheels")
    server = SimpleIndex()
    # app: extras and markers
    add(server, folder, "app", "1.0", ["lib>=1"])
    add(server, folder, "app", "2.0", ["lib>=2", 'winonly; sys_platform == "win32"',
                                       'plot>=1; extra == "viz"'], extras=["viz"])
    add(server, folder, "lib", "1.0")
    add(server, folder, "lib", "2.0")
    add(server, folder, "lib", "2.5", tag=LINUX_TAG)  # only for linux-64
    add(server, folder, "lib", "3.0", yanked="broken")
    add(server, folder, "plot", "1.0")
    add(server, folder, "winonly", "1.0", tag="cp312-cp312-win_amd64")
    # fast: a pure wheel and a platform wheel of one version; the platform one is preferred
    add(server, folder, "fast", "1.0", tag="py3-none-any")
    add(server, folder, "fast", "1.0", tag=LINUX_TAG)
    # pre-releases
    add(server, folder, "pre", "1.0")
    add(server, folder, "pre", "2.0b1")
    add(server, folder, "onlypre", "1.0a1")
    # requires-python, on the page (new) and only in the metadata (newer)
    add(server, folder, "newpy", "1.0", requires_python=">=3.8", page_requires_python=">=3.8")
    add(server, folder, "newpy", "2.0", requires_python=">=3.13", page_requires_python=">=3.13")
    add(server, folder, "newpy", "3.0", requires_python=">=3.13", pep658=False)
    add(server, folder, "hidden-newpy", "1.0", requires_python=">=3.14", pep658=False)
    add(server, folder, "capped", "1.0")
    add(server, folder, "capped", "2.0", requires_python="<3.12", page_requires_python="<3.12")
    # a package numpy-like that conda installs, and a user of it
    add(server, folder, "numpy", "2.1.0")
    add(server, folder, "uses-numpy", "1.0", ["numpy>=2"])
    # conflicts
    add(server, folder, "left", "1.0", ["shared<2"])
    add(server, folder, "right", "1.0", ["shared>=2"])
    add(server, folder, "shared", "1.0")
    add(server, folder, "shared", "2.0")
    add(server, folder, "needs-sdist", "1.0", ["only-sdist"])
    add(server, folder, "urldep", "1.0", ["other @ https://example.org/other-1.0-py3-none-any.whl"])
    server.add("only-sdist", Entry("only_sdist-1.0.tar.gz", b"not built"))
    server.add("only-sdist", Entry("only-sdist-1.1.zip", b"not built"))
    with server:
        yield server


def versions(resolution) -> dict[str, str]:
    return {p.name: p.version for p in resolution.packages}


def run(index, requirements, tmp_path, target=LINUX, **options):
    return resolve(requirements, target, [index.url], cache_dir=tmp_path / "cache", **options)


def failure(index, requirements, tmp_path, **options) -> MinipixiError:
    with pytest.raises(PyPIResolveError) as caught:
        run(index, requirements, tmp_path, **options)
    return caught.value


def test_extras_markers_and_platform_wheels(index, tmp_path):
    assert versions(run(index, ["app"], tmp_path)) == {"app": "2.0", "lib": "2.5"}
    chosen = run(index, ["App[Viz]"], tmp_path)
    assert versions(chosen) == {"app": "2.0", "lib": "2.5", "plot": "1.0"}
    assert [p.extras for p in chosen.packages] == [("viz",), (), ()]
    both = run(index, ["app[viz,nosuch]"], tmp_path)  # an extra app does not have adds nothing
    assert versions(both) == versions(chosen) and both.packages[0].extras == ("nosuch", "viz")
    windows = Target("win-64", "3.12")  # lib 2.5 has no wheel for Windows; winonly applies
    assert versions(run(index, ["app"], tmp_path, target=windows)) == \
        {"app": "2.0", "lib": "2.0", "winonly": "1.0"}


def test_the_best_tag_wins_among_wheels_of_one_version(index, tmp_path):
    package = run(index, ["fast"], tmp_path).packages[0]
    assert package.filename == f"fast-1.0-{LINUX_TAG}.whl"
    mac = Target("osx-arm64", "3.12")
    assert run(index, ["fast"], tmp_path, target=mac).packages[0].filename == \
        "fast-1.0-py3-none-any.whl"


def test_a_result_is_what_a_lock_entry_needs(index, tmp_path):
    package = run(index, ["app==2.0"], tmp_path).packages[0]
    assert package.url == index.url.replace("/simple/", "/files/") + package.filename
    body = next(e.body for e in index.projects["app"] if e.filename == package.filename)
    assert package.hashes == {"sha256": hashlib.sha256(body).hexdigest()}
    assert package.requires_dist == ("lib>=2", 'winonly; sys_platform == "win32"',
                                     'plot>=1; extra == "viz"')
    assert package.requires_python is None and package.index_url == index.url
    assert run(index, ["newpy"], tmp_path).packages[0].requires_python == ">=3.8"


def test_yanked_files_only_when_pinned(index, tmp_path):
    assert versions(run(index, ["lib>=2"], tmp_path)) == {"lib": "2.5"}
    assert versions(run(index, ["lib==3.0"], tmp_path)) == {"lib": "3.0"}
    error = failure(index, ["lib>2.5"], tmp_path)
    assert "lib 3.0 is yanked" in error.details and "==" in error.hint


def test_prereleases_if_necessary_or_explicit(index, tmp_path):
    assert versions(run(index, ["pre"], tmp_path)) == {"pre": "1.0"}
    assert versions(run(index, ["pre>=1.0b1"], tmp_path)) == {"pre": "1.0"}  # stable first
    assert versions(run(index, ["pre>1.0"], tmp_path)) == {"pre": "2.0b1"}  # necessary
    assert versions(run(index, ["onlypre"], tmp_path)) == {"onlypre": "1.0a1"}
    assert versions(run(index, ["pre"], tmp_path, prerelease="allow")) == {"pre": "2.0b1"}
    assert versions(run(index, ["pre>=2.0b1"], tmp_path, prerelease="explicit")) == \
        {"pre": "2.0b1"}
    unasked = failure(index, ["pre>1.0"], tmp_path, prerelease="explicit")
    assert "pre 2.0b1 is a pre-release" in unasked.details
    assert versions(run(index, ["pre>=1.0b1"], tmp_path, prerelease="disallow")) == {"pre": "1.0"}
    error = failure(index, ["pre>1.0"], tmp_path, prerelease="disallow")
    assert "pre 2.0b1 is a pre-release" in error.details and "pre-release" in error.hint


def test_requires_python_from_the_page_and_from_the_metadata(index, tmp_path):
    # 3.0 says >=3.13 only in its METADATA (no page attribute, no PEP 658 file): the wheel
    # is read, the version refused; 2.0 is refused from the page alone.
    assert versions(run(index, ["newpy"], tmp_path)) == {"newpy": "1.0"}
    assert versions(run(index, ["newpy"], tmp_path, target=Target("linux-64", "3.13"))) == \
        {"newpy": "3.0"}
    # an upper bound counts too: the conda environment's Python is exact (uv pip compile
    # reads only lower bounds, as it resolves for "this Python or newer")
    assert versions(run(index, ["capped"], tmp_path)) == {"capped": "1.0"}
    assert versions(run(index, ["capped"], tmp_path, target=Target("linux-64", "3.11"))) == \
        {"capped": "2.0"}
    error = failure(index, ["hidden-newpy"], tmp_path)
    assert "hidden-newpy 1.0 cannot be used (Requires-Python >=3.14 in its metadata)" in \
        error.details


def test_a_package_conda_installed_is_not_resolved_again(index, tmp_path):
    chosen = run(index, ["uses-numpy"], tmp_path, conda_provided={"NumPy": "2.1.3"})
    assert versions(chosen) == {"uses-numpy": "1.0"} and chosen.by_conda == ["numpy"]
    assert index.count("/simple/numpy/") == 0  # its page was never read
    unknown = run(index, ["uses-numpy", "numpy>=1"], tmp_path, conda_provided={"numpy"})
    assert versions(unknown) == {"uses-numpy": "1.0"} and unknown.by_conda == ["numpy"]
    error = failure(index, ["uses-numpy"], tmp_path, conda_provided={"numpy": "1.26.4"})
    assert "uses-numpy 1.0 depends on numpy>=2" in error.details
    assert "the numpy 1.26.4 installed by conda does not satisfy" in error.details
    assert error.hint.startswith("numpy comes from conda here")


def test_conflicts_are_explained_naming_the_requirements(index, tmp_path):
    error = failure(index, ["left", "right"], tmp_path)
    assert error.message == ("cannot resolve the PyPI requirements for linux-64 with Python "
                             "3.12.7: no set of versions satisfies all of them")
    assert "left 1.0 depends on shared<2" in error.details
    assert "right 1.0 depends on shared>=2" in error.details
    # Written by the conda solver's reporter: the step that would only add one request is
    # folded into the last line, which names both requests at once.
    assert "the requirements ask for both left and right" in error.details
    assert error.details.splitlines()[-1].startswith("So, because")
    rendered = error.render()
    assert rendered.startswith("error: cannot resolve") and "help:" in rendered
    missing = failure(index, ["nowhere>=1"], tmp_path)
    assert "nowhere>=1, which is on none of the indexes" in missing.details


def test_sdist_only_packages_are_refused_by_name(index, tmp_path):
    for requirements in (["only-sdist"], ["needs-sdist"]):
        error = failure(index, requirements, tmp_path)
        assert error.message.startswith("cannot install 'only-sdist' from PyPI")
        assert "building from source is not supported; use a wheel or a conda package" in \
            error.message
        assert error.hint == "building from source is not supported; use a wheel or a conda package"
        assert "only-sdist 1.0 | 1.1 have only a source distribution" in error.details


def test_the_first_index_that_has_a_project_serves_it(index, tmp_path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    private = SimpleIndex()
    add(private, folder, "lib", "1.5")
    with private:
        chosen = resolve(["app==1.0"], LINUX, [private.url, index.url], cache_dir=tmp_path)
        assert versions(chosen) == {"app": "1.0", "lib": "1.5"}
        packages = {p.name: p for p in chosen.packages}
        assert packages["app"].index_url == index.url
        assert packages["lib"].index_url == private.url
        with pytest.raises(PyPIResolveError) as caught:  # the public lib 2.0 is not looked at
            resolve(["lib>=2"], LINUX, [private.url, index.url], cache_dir=tmp_path)
        assert "there is only lib 1.5" in caught.value.details


def test_offline_reads_the_cache(index, tmp_path):
    online = run(index, ["app[viz]"], tmp_path)
    before = len(index.log)
    offline = run(index, ["app[viz]"], tmp_path, offline=True)
    assert offline == online and len(index.log) == before
    with pytest.raises(IndexError_, match="offline, and no cached index page"):
        run(index, ["fast"], tmp_path, offline=True)


def test_requirements_it_cannot_use_are_errors(index, tmp_path):
    with pytest.raises(RequirementError, match="not a PEP 508 requirement"):
        run(index, ["app >= = 1"], tmp_path)
    with pytest.raises(RequirementError, match="direct URL"):
        run(index, ["app @ https://example.org/app-1.0-py3-none-any.whl"], tmp_path)
    with pytest.raises(RequirementError, match="urldep 1.0 depends on 'other @ https"):
        run(index, ["urldep"], tmp_path)
    with pytest.raises(RequirementError, match="unknown pre-release mode"):
        run(index, ["app"], tmp_path, prerelease="sometimes")
    # a requirement whose marker is false on the target is not asked for at all
    assert versions(run(index, ['winonly; sys_platform == "win32"'], tmp_path)) == {}


def test_targets_make_the_tags_and_markers_of_a_conda_platform():
    assert LINUX.tags[0] == Tag("cp312", "cp312", "manylinux_2_28_x86_64")
    assert Tag("py3", "none", "any") in LINUX.tags
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in LINUX.tags
    assert Tag("cp312", "cp312", "manylinux_2_29_x86_64") not in LINUX.tags  # glibc 2.28
    assert LINUX.markers["python_full_version"] == "3.12.7"
    assert LINUX.markers["sys_platform"] == "linux"
    mac = Target("osx-arm64", "3.11")
    assert mac.tags[0] == Tag("cp311", "cp311", "macosx_13_0_arm64")
    assert mac.markers["platform_machine"] == "arm64" and mac.version.public == "3.11.0"
    windows = Target("win-64", "3.13")
    assert windows.tags[0] == Tag("cp313", "cp313", "win_amd64")
    assert windows.markers["os_name"] == "nt"
    assert LINUX.admits(">=3.12") and not LINUX.admits("<3.12.5")
    with pytest.raises(TargetError, match="platform 'zos-z'"):
        Target("zos-z", "3.12")
    # aarch64 wheels start at manylinux2014 (glibc 2.17), with no manylinux1 alias
    arm = Target("linux-aarch64", "3.12")
    assert Tag("cp312", "cp312", "manylinux2014_aarch64") in arm.tags
    assert not any("manylinux_2_16" in t.platform or "manylinux1" in t.platform for t in arm.tags)
    musl = Target("linux-64", "3.12", musl=(1, 2))
    assert musl.tags[0] == Tag("cp312", "cp312", "musllinux_1_2_x86_64")
    threaded = Target("linux-64", "3.13", free_threaded=True)
    assert threaded.tags[0] == Tag("cp313", "cp313t", "manylinux_2_28_x86_64")
    assert Tag("cp313", "cp313", "manylinux_2_28_x86_64") not in threaded.tags
    with pytest.raises(TargetError, match="not a Python 3 version"):
        Target("linux-64", "2.7")
