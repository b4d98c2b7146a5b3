"""Hypothesis strategies for lock files (shared by tests/property and tests/differential).

- `conda_packages()`: a locked conda package whose record agrees with its URL the way a real
  one does (name-version-build in the file name, subdir folder, channel before it), with
  sometimes a field the URL cannot say (an explicit build number, another channel).
- `pypi_packages()`: a locked wheel (from an index, by URL or by path).
- `lock_files()`: a whole LockFile: a pool of packages with distinct locations, shared by
  a few environments and platforms; version 6, or version 7 with named rich platforms.

Strings are drawn to exercise the YAML quoting rules: licenses such as ``1.0``, ``yes`` or
``>=3`` must come back as the same strings.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from minipixi.lock.model import (
    CondaPackage,
    LockChannel,
    LockedEnvironment,
    LockPlatform,
    PypiPackage,
    make_lock_file,
)
from minipixi.lock.locations import derive_build_number, location_of_url
from minipixi.records import PackageRecord

CHANNELS = ["https://conda.anaconda.org/conda-forge", "https://prefix.dev/bioconda",
            "file:///tmp/local-channel"]
SUBDIRS = ["linux-64", "osx-arm64", "win-64", "noarch"]
PLATFORMS = ["linux-64", "osx-arm64", "win-64"]


def _identity(package) -> tuple:
    """One package: its location, and for conda the record at it (v6 lets records share one)."""
    record = getattr(package, "record", None)
    return (package.kind, package.location) + (
        (record.name, record.version, record.build, record.subdir) if record else ())
# Built from a few cheap draws each (not from_regex): a lock holds dozens of these strings.
def hex_digits(n: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=n // 2, max_size=n // 2).map(bytes.hex)


names = st.builds(
    lambda stem, n: f"{stem}{n}" if n else stem,
    st.sampled_from(["numpy", "python", "libzlib", "python-dateutil", "_libgcc_mutex", "x",
                     "ca-certificates", "py_abi", "r-base"]),
    st.sampled_from(["", "", "2", "-devel"]),
)
versions = st.builds(
    lambda parts, letter: ".".join(map(str, parts)) + letter,
    st.lists(st.integers(0, 2025), min_size=1, max_size=3),
    st.sampled_from(["", "", "a", "post1"]),
)
builds = st.one_of(
    st.builds(lambda h, n: f"h{h}_{n}", hex_digits(8), st.integers(0, 120)),
    st.builds(lambda h, n, py: f"py{py}h{h}_{n}_cp{py}", hex_digits(8), st.integers(0, 120),
              st.sampled_from(["312", "313"])),
    st.sampled_from(["pyhd8ed1ab_0", "conda_forge", "0", "generic"]),
)
spec_texts = st.one_of(
    names,
    st.builds(lambda n, v: f"{n} >={v}", names, versions),
    st.builds(lambda n, v: f"{n} >={v},<{v}a0", names, versions),
    st.builds(lambda n, v, b: f"{n} {v}.* *_{b}", names, versions, st.integers(0, 9)),
    st.sampled_from(["__glibc >=2.17,<3.0.a0", "__osx >=11.0", "python_abi 3.13.* *_cp313"]),
)
licenses = st.one_of(
    st.none(),
    st.sampled_from(["MIT", "BSD-3-Clause", "Apache-2.0 AND MIT", "1.0", "yes", ">=3", "null",
                     "LicenseRef-Public-Domain", "GPL-2.0-or-later WITH x: y", "'quoted'"]),
)


@st.composite
def conda_packages(draw, fidelity: bool = False) -> CondaPackage:
    """A downloaded conda package. With `fidelity`, also what only older or hand-fed locks
    hold and must survive: a timestamp in seconds, and "not noarch" inside noarch/."""
    name, version, build = draw(names), draw(versions), draw(builds)
    subdir, channel = draw(st.sampled_from(SUBDIRS)), draw(st.sampled_from(CHANNELS))
    ext = draw(st.sampled_from([".conda", ".tar.bz2"]))
    fn = f"{name}-{version}-{build}{ext}"
    url = f"{channel}/{subdir}/{fn}"
    derived_number = derive_build_number(build) or 0
    record = PackageRecord(
        name=name, version=version, build=build,
        build_number=draw(st.sampled_from([derived_number, derived_number, 7, 101])),
        depends=tuple(draw(st.lists(spec_texts, max_size=3))),
        constrains=tuple(draw(st.lists(spec_texts, max_size=1))),
        subdir=subdir,
        noarch=draw(st.sampled_from(["python", "generic"] + [None] * fidelity))
        if subdir == "noarch" else None,
        track_features=tuple(draw(st.lists(st.sampled_from(["vc14", "blas_openblas"]), max_size=1))),
        timestamp=draw(st.integers(1_200_000_000_000, 1_800_000_000_000)),
        md5=draw(hex_digits(32)),
        sha256=draw(hex_digits(64)),
        size=draw(st.integers(0, 2**40)),
        license=draw(licenses),
        license_family=draw(st.sampled_from([None, "BSD", "MIT"])),
        fn=fn, url=url,
        channel=draw(st.sampled_from([channel, channel, CHANNELS[0]])) + "/",
        python_site_packages_path=draw(st.sampled_from([None, "lib/python3.13/site-packages"])),
    )
    purls = draw(st.sampled_from([None, (), ("pkg:pypi/" + name,)]))
    seconds = fidelity and draw(st.booleans())
    if seconds:
        record = replace(record, timestamp=record.timestamp // 1000 * 1000)
    return CondaPackage(location_of_url(url), record, purls,  # file:// URLs are kept as paths
                        timestamp_in_seconds=seconds)


@st.composite
def source_packages(draw) -> CondaPackage:
    """A v6 source package, named by a path: several may share one path (one per subdir)."""
    record = PackageRecord(
        name=draw(names), version=draw(versions), build=draw(st.sampled_from(["", "hbf21a9e_0"])),
        subdir=draw(st.sampled_from(PLATFORMS)), depends=tuple(draw(st.lists(spec_texts, max_size=2))),
    )
    return CondaPackage(draw(st.sampled_from([".", ".", "../lib"])), record,
                        input={"hash": draw(hex_digits(8)), "globs": ["pyproject.toml"]})


@st.composite
def pypi_packages(draw, with_index: bool = False) -> PypiPackage:
    """A locked wheel: from an index (with its sha256; `with_index`: maybe v7's ``index`` of a
    wheel from another index than pypi.org), or named by URL (``direct+``) or by path, which
    Pixi locks without a hash."""
    # PEP 503 spellings, as a lock stores them (lock.normalize_pypi_name)
    name = draw(st.sampled_from(["six", "numpy", "python-dateutil", "typing-extensions", "pillow",
                                 "zope-interface"]))
    version = ".".join(map(str, draw(st.lists(st.integers(0, 300), min_size=1, max_size=3))))
    folder = draw(hex_digits(4))
    wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    source = draw(st.sampled_from(["index", "index", "url", "path"]))
    location = {"index": f"https://files.pythonhosted.org/packages/{folder[:2]}/{folder[2:]}/{wheel}",
                "url": f"direct+https://example.com/{folder}/{wheel}", "path": f"./wheels/{wheel}"}[source]
    index = draw(st.sampled_from([None, "https://custom.example.com/simple"])) \
        if with_index and source == "index" else None
    return PypiPackage(
        location, name, version,
        sha256=draw(hex_digits(64)) if source == "index" else None,
        requires_dist=tuple(draw(st.lists(st.sampled_from(
            ["numpy>=1.23", "furo ; extra == 'docs'", "typing-extensions>=4.6.0"]), max_size=2,
            unique=True))),
        requires_python=draw(st.sampled_from([None, ">=3.9", ">=2.7,!=3.0.*"])),  # as rattler spells it
        extra=(("index", index),) if index else (),
    )


@st.composite
def environments(draw, pool: list, platforms: list[str]) -> LockedEnvironment:
    chosen = draw(st.lists(st.sampled_from(platforms), min_size=1, unique=True))
    packages = {p: tuple(draw(st.lists(st.sampled_from(pool), unique_by=_identity)))
                for p in chosen} if pool else {p: () for p in chosen}
    has_pypi = any(isinstance(p, PypiPackage) for pkgs in packages.values() for p in pkgs)
    return LockedEnvironment(
        channels=tuple(LockChannel(c + "/") for c in draw(st.lists(st.sampled_from(CHANNELS),
                                                                      max_size=2, unique=True))),
        packages=packages,
        indexes=("https://pypi.org/simple",) if has_pypi else None,
        options=draw(st.sampled_from([{}, {"strategy": "lowest-version"},
                                      {"channel-priority": "disabled"}])),
    )


@st.composite
def lock_files(draw, rich: bool | None = None, fidelity: bool = False):
    """A LockFile of version 6 (rich=False), version 7 (rich=True), or either (None).

    `fidelity` adds what rattler keeps but our differential oracle rewrites (py-rattler
    writes timestamps in milliseconds): second-precision timestamps, noarch: false, and in
    v6 source packages, several at one path.
    """
    rich = draw(st.booleans()) if rich is None else rich
    if rich:
        lock_platforms = [LockPlatform("p1", "linux-64", ("__cuda=12", "__glibc=2.28")),
                          LockPlatform("p2", "win-64", ("__cuda=12.6", "__win=10.0")),
                          LockPlatform("osx-arm64", "osx-arm64", ("__osx=13.5",))]
    else:
        lock_platforms = [LockPlatform(p, p) for p in PLATFORMS]
    pool = draw(st.lists(st.one_of(conda_packages(fidelity), conda_packages(fidelity), pypi_packages(rich)),
                         max_size=5, unique_by=lambda p: p.location))
    if fidelity and not rich:
        pool += draw(st.lists(source_packages(), min_size=2, max_size=3, unique_by=_identity))
    env_names = draw(st.lists(st.sampled_from(["default", "cuda", "py-312", "docs"]),
                              min_size=1, max_size=3, unique=True))
    names_ = [p.name for p in lock_platforms]
    envs = {name: draw(environments(pool, names_)) for name in env_names}
    return make_lock_file(envs, lock_platforms if rich else ())
