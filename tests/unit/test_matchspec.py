"""MatchSpec: parsing (lenient and strict), the canonical string, and matching records."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minipixi.errors import MatchSpecError
from minipixi.build_match import BuildNumberSpec, string_matches
from minipixi.matchspec import MatchSpec
from minipixi.matchspec_parse import (
    channel_base_url,
    channel_display_name,
    parse_bracket_items,
    parse_channel_and_subdir,
)
from minipixi.records import PackageRecord
from minipixi.version_spec import VersionSpec
from strategies_records import matchspec_texts, package_records

PYTORCH = PackageRecord(
    name="pytorch",
    version="2.7.1",
    build="cuda126_mkl_py313_h1234567_300",
    build_number=300,
    subdir="linux-64",
    track_features=("mkl",),
    md5="0123456789abcdef0123456789abcdef",
    sha256="ab" * 32,
    license="BSD-3-Clause",
    fn="pytorch-2.7.1-cuda126_mkl_py313_h1234567_300.conda",
    channel="https://conda.anaconda.org/conda-forge/",
)


def parse(text, strict=False):
    return MatchSpec.parse(text, strict=strict)


# --- splitting name, version and build -------------------------------------------------------


@pytest.mark.parametrize(
    "text, version, build",
    [
        ("numpy", None, None),
        ("numpy >=1.26", ">=1.26", None),
        ("numpy>=1.26,<2", ">=1.26,<2", None),
        ("numpy >=1.0 , < 2.0 py34_0", ">=1.0,<2.0", "py34_0"),
        ("numpy 1.7", "==1.7", None),
        ("numpy =1.7", "1.7.*", None),
        ("numpy=1.7=py27_0", "==1.7", "py27_0"),
        ("numpy==1.7=py27_0", "==1.7", "py27_0"),
        ("numpy 1.7 py27_0", "==1.7", "py27_0"),
        ("numpy * mkl", "*", "mkl"),
        ("numpy=*=cuda*", "*", "cuda*"),
        ("python 3.12.* *_cpython", "3.12.*", "*_cpython"),
        ("python >=3.8|<2", ">=3.8|<2", None),
        ("foo (>=1,<2)|3", ">=1,<2|==3", None),
        ("foo 1.0 =0", "==1.0", "=0"),
        ("x264 >=1!164.3095,<1!165", ">=1!164.3095,<1!165", None),
    ],
)
def test_version_and_build_split(text, version, build):
    spec = parse(text)
    assert (None if spec.version is None else str(spec.version)) == version
    assert spec.build == build


def test_names_are_lower_case_and_comments_are_dropped():
    spec = parse("NumPy >=1.2  # the array library")
    assert spec.name == "numpy" and str(spec.version) == ">=1.2"


@pytest.mark.parametrize(
    "text, channel, subdir, namespace",
    [
        ("conda-forge::numpy", "conda-forge", None, None),
        ("conda-forge/linux-64::numpy", "conda-forge", "linux-64", None),
        ("conda-forge/label/main::numpy", "conda-forge/label/main", None, None),
        ("*/win-32::numpy", None, "win-32", None),
        ("https://repo.prefix.dev/my-channel/::numpy", "https://repo.prefix.dev/my-channel", None, None),
        ("https://a.b.c/conda-forge:ns:foo", "https://a.b.c/conda-forge", None, "ns"),
        ("numpy[channel=conda-forge/osx-arm64]", "conda-forge", "osx-arm64", None),
        ("numpy[channel=conda-forge/osx-64, subdir=linux-64]", "conda-forge", "linux-64", None),
        ("pytorch/noarch::x[subdir=linux-64]", "pytorch", "linux-64", None),
    ],
)
def test_channel_subdir_and_namespace(text, channel, subdir, namespace):
    spec = parse(text)
    assert (spec.channel, spec.subdir, spec.namespace) == (channel, subdir, namespace)


def test_channel_urls_and_names():
    assert channel_base_url("conda-forge") == "https://conda.anaconda.org/conda-forge"
    assert channel_base_url("https://c.com/p/conda/") == "https://c.com/p/conda"
    assert channel_display_name("https://c.com/p/conda") == "p/conda"
    assert channel_base_url("/srv/channel").startswith("file:///srv/channel")
    assert parse_channel_and_subdir("conda-forge/linux-aarch64") == ("conda-forge", "linux-aarch64")
    with pytest.raises(MatchSpecError, match="invalid channel"):
        parse("~\\windows_channel::package")
    with pytest.raises(MatchSpecError, match="invalid channel"):
        parse("conda-forge::::foo")


def test_package_file_urls_and_paths_are_specs():
    spec = parse("https://conda.anaconda.org/conda-forge/linux-64/py-rattler-0.6.1-py39h8169da8_0.conda")
    assert spec.name == "py-rattler" and spec.url.endswith("py39h8169da8_0.conda")
    windows = parse("C:\\Users\\me\\bld\\linux-64\\foo-1.0-py27_0.tar.bz2")
    assert windows.url == "file:///C:/Users/me/bld/linux-64/foo-1.0-py27_0.tar.bz2"
    assert parse("/home/me/foo-1.0-0.conda").url == "file:///home/me/foo-1.0-0.conda"
    with pytest.raises(MatchSpecError, match="missing package name"):
        parse("/home/me/Downloads/package")


# --- brackets ------------------------------------------------------------------------------


def test_bracket_items_quoted_unquoted_and_space_separated():
    assert parse_bracket_items("version='>=1,<2', build=py*") == [
        ("version", ">=1,<2"), ("build", "py*")
    ]
    assert parse_bracket_items('version=1.10 build=py38_0') == [
        ("version", "1.10"), ("build", "py38_0")
    ]
    with pytest.raises(MatchSpecError, match="invalid bracket"):
        parse_bracket_items('version="1.2.3, build_number=1')
    with pytest.raises(MatchSpecError, match="invalid bracket"):
        parse_bracket_items("version=")


def test_bracket_fields():
    spec = parse(
        "foo[md5=8B1A9953C4611296A827ABF8C47804D7, sha256=" + "0f" * 32 + ", fn=foo-1-0.conda, "
        "license=MIT, license_family=MIT, track_features='a b', build_number='>=3', "
        'when="__linux"]'
    )
    assert spec.md5 == "8b1a9953c4611296a827abf8c47804d7"  # digests compare lower-case
    assert spec.sha256 == "0f" * 32 and spec.fn == "foo-1-0.conda"
    assert (spec.license, spec.license_family) == ("MIT", "MIT")
    assert spec.track_features == ("a", "b")
    assert spec.build_number == BuildNumberSpec(">=", 3)
    assert spec.condition == "__linux"


@pytest.mark.parametrize(
    "text, message",
    [
        ("foo[md5=1234]", "unable to parse hash digest from hex"),
        ("foo[sha256=xyz]", "unable to parse hash digest from hex"),
        ("foo[unknown=1]", "invalid bracket key: unknown"),
        ("foo[build_number=abc]", "invalid build number spec"),
        ("foo[build='^py($']", "invalid regex"),
        ("foo[url=relative/path.conda]", "invalid package path or url"),
        ("foo >=1[build=a] [build=b]", "invalid bracket"),
        ("", "missing package name"),
        ("foo[version='>=1'", "invalid bracket"),
    ],
)
def test_errors_quote_the_spec_and_say_what_is_wrong(text, message):
    with pytest.raises(MatchSpecError) as caught:
        parse(text)
    assert message in caught.value.message
    assert f"'{text}'" in caught.value.message
    assert caught.value.hint


def test_brackets_win_over_the_text_outside_them_when_lenient():
    spec = parse("defaults::numpy=1.8=py27_0 [channel=anaconda,version=1.9, build=3]")
    assert (spec.channel, str(spec.version), spec.build) == ("anaconda", "==1.9", "3")


# --- strict versus lenient -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("foo 1.0", "missing range specifier"),
        ("foo=1.0=py27_0", "the build string '=py27_0' is not valid"),
        ("foo[version=1, version=2]", "found multiple values for: version"),
        ("foo >=1[version='<2']", "found multiple values for: version"),
        ("foo 1.*.*", "regex constraints are not supported"),
        ("foo=*", "'*' is incompatible with '=' operator"),
        ("numpy*", "looks like a glob"),
        ("foo[name=bar]", "invalid bracket key: name"),
        ("numpy=", "unable to parse version spec"),
    ],
)
def test_strict_refuses_what_lenient_reads(text, message):
    parse(text, strict=False)
    with pytest.raises(MatchSpecError) as caught:
        parse(text, strict=True)
    assert message in caught.value.message


def test_strict_reads_unambiguous_specs():
    spec = parse("conda-forge::foo ==1.0 py27_0[build_number='>=2']", strict=True)
    assert (str(spec.version), spec.build, str(spec.build_number)) == ("==1.0", "py27_0", ">=2")
    assert str(parse("foo =1.2", strict=True).version) == "1.2.*"


@pytest.mark.parametrize("name", ["'package'", "pack@ge", "pkg..name", "pkg--name", ".pkg", "-pkg"])
def test_invalid_names(name):
    with pytest.raises(MatchSpecError, match="invalid"):
        parse(name)


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pytorch", True),
        ("PyTorch", True),
        ("torch", False),
        ("pytorch >=2.7", True),
        ("pytorch 2.6.*", False),
        ("pytorch * cuda*", True),
        ("pytorch * CUDA126*", True),  # build matching ignores case, as in rattler
        ("pytorch * cpu*", False),
        ("pytorch * *py313*", True),
        ("pytorch[build='^cuda\\d+_mkl.*$']", True),
        ("pytorch[build='cuda?26*']", False),  # only '*' is a wildcard
        ("pytorch[build_number='>=300']", True),
        ("pytorch[build_number=299]", False),
        ("pytorch[md5=0123456789abcdef0123456789abcdef]", True),
        ("pytorch[md5=ffffffffffffffffffffffffffffffff]", False),
        ("pytorch[sha256=" + "ab" * 32 + "]", True),
        ("pytorch[track_features=mkl]", True),
        ("pytorch[track_features='mkl cuda']", False),
        ("pytorch[license=BSD-3-Clause]", True),
        ("pytorch[license=MIT]", False),
        ("conda-forge::pytorch", True),
        ("https://conda.anaconda.org/conda-forge::pytorch", True),
        ("pytorch::pytorch", False),
        ("conda-forge/linux-64::pytorch", True),
        ("conda-forge/osx-arm64::pytorch", False),
        ("pytorch[fn=pytorch-2.7.1-cuda126_mkl_py313_h1234567_300.tar.bz2]", False),
        ("py*", True),
        ("*", True),
        ("*[license=MIT]", False),
    ],
)
def test_matches(text, expected):
    assert parse(text).matches(PYTORCH) is expected


def test_a_record_without_channel_or_subdir_matches_any():
    bare = PackageRecord(name="pytorch", version="2.7.1", build="cpu_0")
    assert parse("pytorch::pytorch").matches(bare)
    assert parse("conda-forge/osx-arm64::pytorch").matches(bare)


def test_build_patterns():
    assert string_matches("py3*_0", "py313h1_0")
    assert not string_matches("py3*_0", "py313h1_1")
    assert string_matches("*", "")
    assert string_matches("a.b", "a.b") and not string_matches("a.b", "axb")
    assert string_matches("^py3\\d+$", "py313") and not string_matches("^py3$", "py313")


def test_virtual_package_specs():
    glibc = PackageRecord(name="__glibc", version="2.28", build="0")
    assert parse("__glibc >=2.17,<3.0.a0").matches(glibc)
    assert not parse("__glibc >=2.34").matches(glibc)


# --- nameless specs, conditions, caching ----------------------------------------------------


def test_nameless_specs_and_with_name():
    spec = MatchSpec.parse_nameless(">=1.2 py*")
    assert spec.name is None and str(spec.version) == ">=1.2" and spec.build == "py*"
    assert spec.matches(PackageRecord(name="anything", version="1.3", build="py_0"))
    named = spec.with_name("NumPy")
    assert named.name == "numpy" and named == parse("numpy >=1.2 py*")
    assert MatchSpec.parse_nameless("[version='1.*', subdir=linux-64]").subdir == "linux-64"


def test_parsing_is_cached():
    assert parse("python >=3.12,<3.13.0a0") is parse("python >=3.12,<3.13.0a0")


def test_specs_are_hashable_values():
    assert parse("numpy 1.7.*") == parse("numpy=1.7")
    assert parse("numpy *") == parse("numpy")
    assert len({parse("numpy 1.7.*"), parse("numpy=1.7"), parse("numpy >=1.7")}) == 2
    assert parse("numpy 1.7") != parse("numpy 1.7.*")


# --- the canonical string --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("numpy >=1.2 py*", "numpy[version='>=1.2',build=py*]"),
        ("conda-forge::numpy >=1.2", "conda-forge::numpy[version='>=1.2']"),
        ("conda-forge/linux-64::numpy 1.2.* py_0", "conda-forge/linux-64::numpy=1.2[build=py_0]"),
        ("numpy[build_number='>=3']", 'numpy[build_number=">=3"]'),
        ("numpy[build_number='<3']", "numpy[build_number=<3]"),
        ("foo[track_features='a b', license=MIT]", "foo[track_features='a b',license=MIT]"),
        ("foo[when='python >=3.10']", "foo[when=\"python >=3.10\"]"),
        ("ch:ns:foo", "ch:ns:foo"),
        ("ns:foo", "ns:foo"),
        ("/home/me/foo-1.0-0.conda", "foo[url=file:///home/me/foo-1.0-0.conda]"),
    ],
)
def test_canonical_string(text, canonical):
    spec = parse(text)
    assert str(spec) == canonical
    assert parse(canonical) == spec


@given(matchspec_texts())
def test_canonical_string_reads_back_to_the_same_spec(text):
    spec = parse(text)
    again = parse(str(spec))
    assert again == spec
    assert str(again) == str(spec)


@given(package_records(), matchspec_texts())
def test_canonical_string_selects_the_same_records(record, text):
    spec = parse(text)
    assert parse(str(spec)).matches(record) == spec.matches(record)


def test_version_field_is_a_version_spec():
    spec = parse("numpy >=1.26,<2")
    assert isinstance(spec.version, VersionSpec) and spec.version.matches("1.26.4")


_SPEC_PIECES = st.sampled_from(
    list("abc019 .*=<>!~,|()[]'\":/\\#_-^$@")
    + ["numpy", "::", "[version=", "]", "https://", ".conda", "C:\\", "~/", ">=1.2", "py*"]
)


@given(st.lists(_SPEC_PIECES, max_size=12).map("".join), st.booleans(), st.booleans())
def test_any_text_parses_or_fails_cleanly_and_round_trips(text, strict, nameless):
    """Garbage never raises anything but MatchSpecError, and what parses reads back the same."""
    parse_any = MatchSpec.parse_nameless if nameless else MatchSpec.parse
    try:
        spec = parse_any(text, strict=strict)
    except MatchSpecError as err:
        assert err.hint
        return
    assert parse_any(str(spec)) == spec


def test_nameless_canonical_string():
    spec = MatchSpec.parse_nameless("=1.7=py27_0")
    assert str(spec) == "==1.7=py27_0"
    assert str(MatchSpec.parse_nameless(">=1.2[build=py*]")) == "[version='>=1.2',build=py*]"
    assert MatchSpec.parse_nameless(str(spec)) == spec


def test_a_local_channel_has_one_url_for_specs_and_records(tmp_path, monkeypatch):
    """A spec's `./channel::name` must name the URL the records read from `./channel` carry,
    through a symlink and with characters a URL encodes (rattler: folded as text, not resolved)."""
    from minipixi.channel import names as channels

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    monkeypatch.chdir(tmp_path)
    for written in ("./link/chan", "./my chan", "./real/../a+b@c"):
        url = channels.channel_base_url(written)
        assert url == channel_base_url(written)
        assert "/real/" not in url and " " not in url
        record = dataclasses.replace(PYTORCH, name="demo", channel=url + "/")
        assert parse(f"{written}::demo").matches(record)
    assert channel_base_url("./my chan") == f"file://{tmp_path}/my%20chan"
