"""Pixi's PyPI satisfiability rules (minipixi/lock/pypi_satisfiability.py) on hand-made
manifest + lock pairs: wheel tags against the locked Python and the platform, the walk through
``requires_dist``, a conda package only PyPI asks for (alone and across a solve group),
``dependency-overrides``, and a source record where the manifest asks for a binary."""

from __future__ import annotations

import textwrap

import pytest

from minipixi.app.project import open_project
from minipixi.app.relock import check_lock

pytest.importorskip("packaging")

CF = "https://conda.anaconda.org/conda-forge"
HASHES = "  sha256: " + "0" * 64 + "\n  md5: " + "0" * 32 + "\n"


def _conda(subdir: str, name: str, version: str, build: str, depends=(), purls=None) -> tuple[str, str]:
    url = f"{CF}/{subdir}/{name}-{version}-{build}.conda"
    entry = f"- conda: {url}\n{HASHES}"
    if depends:
        entry += "  depends:\n" + "".join(f"  - {d}\n" for d in depends)
    entry += "  purls: []\n" if purls is None else "  purls:\n" + "".join(f"  - {p}\n" for p in purls)
    return f"- conda: {url}", entry


def _pypi(file_name: str, name: str, version: str, requires=()) -> tuple[str, str]:
    url = f"https://files.pythonhosted.org/packages/00/{file_name}"
    entry = f"- pypi: {url}\n  name: {name}\n  version: {version}\n  sha256: {'0' * 64}\n"
    if requires:
        entry += "  requires_dist:\n" + "".join(f"  - {r}\n" for r in requires)
    return f"- pypi: {url}", entry


def _lock(environments: dict[str, dict[str, list[tuple[str, str]]]]) -> str:
    text, packages = "version: 6\nenvironments:\n", {}
    for env, platforms in environments.items():
        text += f"  {env}:\n    channels:\n    - url: {CF}/\n    indexes:\n    - https://pypi.org/simple\n"
        text += "    packages:\n"
        for platform, entries in platforms.items():
            text += f"      {platform}:\n" + "".join(f"      {line}\n" for line, _ in entries)
            packages.update({line: entry for line, entry in entries})
    return text + "packages:\n" + "".join(packages[k] for k in sorted(packages))


def _verdict(tmp_path, manifest: str, lock: str) -> list[str]:
    (tmp_path / "pixi.toml").write_text(textwrap.dedent(manifest))
    (tmp_path / "pixi.lock").write_text(lock)
    return check_lock(open_project(tmp_path / "pixi.toml", offline=True))


PYTHON = _conda("linux-64", "python", "3.12.1", "h0_0_cpython")
HEADER = """
    [workspace]
    channels = ["conda-forge"]
    name = "t"
    platforms = ["linux-64"]
    """


# ---- wheel tags ---------------------------------------------------------------------------------

@pytest.mark.parametrize("libc, stale", [("2.17", True), ("2.28", False), ("2.35", False)])
def test_a_wheel_must_fit_the_platforms_libc(tmp_path, libc, stale):
    manifest = HEADER + f"""
    [dependencies]
    python = "3.12.*"
    [pypi-dependencies]
    cryptography = ">=46"
    [system-requirements]
    libc = "{libc}"
    """
    wheel = _pypi("cryptography-46.0.3-cp311-abi3-manylinux_2_28_x86_64.whl", "cryptography", "46.0.3")
    reasons = _verdict(tmp_path, manifest, _lock({"default": {"linux-64": [PYTHON, wheel]}}))
    assert bool(reasons) is stale, reasons
    if stale:
        assert "incompatible with the tags on wheel (cryptography)" in reasons[0]


def test_a_wheel_must_fit_the_locked_python(tmp_path):
    manifest = HEADER + """
    [dependencies]
    python = "3.12.*"
    [pypi-dependencies]
    numpy = "*"
    """
    for file_name, stale in (("numpy-2.1.0-cp313-cp313-manylinux_2_17_x86_64.whl", True),
                             ("numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl", False),
                             ("numpy-2.1.0-cp312-cp312-macosx_11_0_arm64.whl", True),
                             ("numpy-2.1.0-py3-none-any.whl", False)):
        lock = _lock({"default": {"linux-64": [PYTHON, _pypi(file_name, "numpy", "2.1.0")]}})
        assert bool(_verdict(tmp_path, manifest, lock)) is stale, file_name


def test_platform_tags_follow_pixis_platform_rules():
    from packaging.tags import Tag

    from minipixi.lock.pypi_satisfiability import marker_environment, platform_tags
    from minipixi.records import PackageRecord

    python = PackageRecord(name="python", version="3.13.1", build="h0_cp313t", build_number=0,
                           depends=("python_abi 3.13.* *_cp313t",))
    tags = platform_tags(python, "osx-arm64", {"__osx": "14.0"})
    assert Tag("cp313", "cp313t", "macosx_14_0_arm64") in tags
    assert Tag("cp313", "cp313", "macosx_14_0_arm64") not in tags  # free-threaded: no plain ABI
    assert Tag("cp313", "cp313t", "macosx_15_0_arm64") not in tags
    assert Tag("cp313", "cp313t", "macosx_10_9_universal2") in tags
    assert Tag("cp39", "abi3", "win_amd64") not in platform_tags(python, "osx-arm64", {"__osx": "14.0"})
    musl = platform_tags(python, "linux-aarch64", {"__musl": "1.2"})
    assert Tag("py3", "none", "musllinux_1_1_aarch64") in musl
    assert not any("manylinux" in t.platform for t in musl)
    environment = marker_environment(python, "win-64")
    assert (environment["sys_platform"], environment["platform_machine"], environment["python_version"]) == (
        "win32", "AMD64", "3.13")


# ---- the requirement walk -----------------------------------------------------------------------

WALK = HEADER + """
    [dependencies]
    python = "3.12.*"
    [pypi-dependencies]
    matplotlib = "*"
    """


def test_every_requires_dist_must_be_met(tmp_path):
    matplotlib = _pypi("matplotlib-3.8.3-py3-none-any.whl", "matplotlib", "3.8.3",
                       requires=("packaging>=20.0", "pywin32 ; sys_platform == 'win32'"))
    packaging = _pypi("packaging-24.0-py3-none-any.whl", "packaging", "24.0")
    old_packaging = _pypi("packaging-19.0-py3-none-any.whl", "packaging", "19.0")
    assert _verdict(tmp_path, WALK, _lock({"default": {"linux-64": [PYTHON, matplotlib, packaging]}})) == []
    reasons = _verdict(tmp_path, WALK, _lock({"default": {"linux-64": [PYTHON, matplotlib]}}))
    assert "the requirement 'packaging>=20.0' could not be satisfied (required by 'matplotlib')" in reasons[0]
    reasons = _verdict(tmp_path, WALK, _lock({"default": {"linux-64": [PYTHON, matplotlib, old_packaging]}}))
    assert "packaging>=20.0" in reasons[0]
    extra = _pypi("six-1.0-py3-none-any.whl", "six", "1.0")
    reasons = _verdict(tmp_path, WALK, _lock({"default": {"linux-64": [PYTHON, matplotlib, packaging, extra]}}))
    assert "more PyPI packages are locked for linux-64 than the environment uses: six" in reasons[0]


def test_a_conda_package_with_a_purl_meets_a_requires_dist(tmp_path):
    matplotlib = _pypi("matplotlib-3.8.3-py3-none-any.whl", "matplotlib", "3.8.3", requires=("packaging>=20.0",))
    packaging = _conda("noarch", "packaging", "24.0", "pyh0_0", depends=("python >=3.8",),
                       purls=("pkg:pypi/packaging?source=hash-mapping",))
    manifest = WALK.replace('python = "3.12.*"', 'python = "3.12.*"\npackaging = "*"')
    assert _verdict(tmp_path, manifest, _lock({"default": {"linux-64": [PYTHON, packaging, matplotlib]}})) == []


def test_dependency_overrides_replace_requirements(tmp_path):
    matplotlib = _pypi("matplotlib-3.8.3-py3-none-any.whl", "matplotlib", "3.8.3", requires=("packaging>=25",))
    packaging = _pypi("packaging-24.0-py3-none-any.whl", "packaging", "24.0")
    lock = _lock({"default": {"linux-64": [PYTHON, matplotlib, packaging]}})
    assert _verdict(tmp_path, WALK, lock)
    overridden = WALK + """
    [pypi-options.dependency-overrides]
    packaging = "==24.0"
    """
    assert _verdict(tmp_path, overridden, lock) == []


# ---- conda packages only PyPI asks for ----------------------------------------------------------------

def test_a_conda_package_only_pypi_asks_for_should_be_pypi(tmp_path):
    manifest = HEADER + """
    [dependencies]
    python = "3.12.*"
    [pypi-dependencies]
    boltons = "*"
    """
    boltons = _conda("noarch", "boltons", "24.0.0", "pyh0_1", depends=("python >=3.9",),
                     purls=("pkg:pypi/boltons?source=hash-mapping",))
    lock = _lock({"default": {"linux-64": [PYTHON, boltons]}})
    reasons = _verdict(tmp_path, manifest, lock)
    assert reasons and "'boltons' is locked as a conda package but only requested by pypi dependencies" in reasons[0]
    wanted = manifest.replace('python = "3.12.*"', 'python = "3.12.*"\nboltons = "*"')
    assert _verdict(tmp_path, wanted, lock) == []


def test_the_solve_group_decides_who_asks_for_a_conda_package(tmp_path):
    """`boltons` (a conda package) meets the default environment's PyPI requirement; the dev
    environment of the same solve group asks for it as a conda package, so it belongs."""
    manifest = HEADER + """
    [dependencies]
    python = "3.12.*"
    [pypi-dependencies]
    boltons = "*"
    [feature.dev.dependencies]
    boltons = "*"
    [environments]
    default = { features = [], solve-group = "g" }
    dev = { features = ["dev"], solve-group = "g" }
    """
    boltons = _conda("noarch", "boltons", "24.0.0", "pyh0_1", depends=("python >=3.9",),
                     purls=("pkg:pypi/boltons?source=hash-mapping",))
    both = {"linux-64": [PYTHON, boltons]}
    assert _verdict(tmp_path, manifest, _lock({"default": both, "dev": both})) == []
    alone = manifest.replace('solve-group = "g" }\n    dev', 'solve-group = "a" }\n    dev')
    reasons = _verdict(tmp_path, alone, _lock({"default": both, "dev": both}))
    assert reasons and "only requested by pypi dependencies" in reasons[0]


# ---- source records ------------------------------------------------------------------------------------

def test_a_source_record_for_a_binary_spec_is_stale(tmp_path):
    manifest = HEADER + """
    [dependencies]
    python = "3.12.*"
    """
    source = ("- conda: ./pkg", "- conda: ./pkg\n  name: pkg\n  version: '0'\n  build: ''\n  subdir: noarch\n")
    manifest_with_pkg = manifest.replace('python = "3.12.*"', 'python = "3.12.*"\npkg = "*"')
    reasons = _verdict(tmp_path, manifest_with_pkg, _lock({"default": {"linux-64": [PYTHON, source]}}))
    assert reasons and "package 'pkg' is locked as source, but is only required as binary" in reasons[0]
    assert _verdict(tmp_path, manifest, _lock({"default": {"linux-64": [PYTHON]}})) == []
