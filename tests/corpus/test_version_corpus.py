"""Corpus tests: conda's and rattler's own version vectors, read from ../shared/corpus.

- version_order_*.txt: ordered lists ('== V' marks a tie with the line before) must sort
  identically, ties included, both with `Version` and with the numba kernel.
- version_parsed_by_conda.txt: ~28.5k real versions and conda's `VersionOrder` parse.
- version_parse_rattler_edgecases.snap.txt: rattler's valid/invalid edge cases and error texts.
- matchspec/versionspec_conda_tests.json: conda's VersionSpec match cases and invalid inputs.

Where conda and rattler disagree we follow rattler (pixi's engine); those conda cases are
strict xfails with the reason, so a change in either direction is noticed.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from minipixi.errors import VersionError
from minipixi.version import Version
from minipixi.version_spec import VersionSpec

pytestmark = pytest.mark.corpus

ORDER_FILES = [
    "version_order_conda_openssl.txt",
    "version_order_conda_pep440.txt",
    "version_order_conda_test_version_order.txt",
    "version_order_rattler_valid_versions.txt",
]

# Versions conda accepts and rattler refuses: conda allows '*' inside a version literal.
CONDA_ONLY_VERSIONS = {"0.5*": "rattler refuses '*' inside a version (conda accepts it)"}

# Specs (or spec@version cases) where conda's answer differs from rattler's.
REGEX_REASON = "conda accepts regular-expression specs (^...$); rattler refuses them"
CONDA_ONLY_SPECS = {
    "1.*.1": "conda reads a '*' in the middle as a regex wildcard; rattler refuses it",
    "2013a*@2013ab": "conda's glob is a string prefix (2013ab matches); "
    "rattler compares components",
    "~=3.3.2.*": "conda refuses ~= with a glob; rattler's lenient parser drops the '.*'",
}


def read_order_groups(path) -> list[list[str]]:
    """The file as groups of equal versions, in ascending order."""
    groups: list[list[str]] = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("== "):
            groups[-1].append(line[3:])
        else:
            groups.append([line])
    return groups


def without_conda_only(groups):
    return [[t for t in g if t not in CONDA_ONLY_VERSIONS] for g in groups if any(
        t not in CONDA_ONLY_VERSIONS for t in g)]


@pytest.mark.parametrize("name", ORDER_FILES)
def test_ordered_lists_sort_identically(corpus_dir, name):
    groups = without_conda_only(read_order_groups(corpus_dir / name))
    expected = [t for group in groups for t in group]
    rank = {t: i for i, group in enumerate(groups) for t in group}
    for seed in range(5):
        shuffled = expected[:]
        random.Random(seed).shuffle(shuffled)
        ordered = sorted(shuffled, key=Version)
        assert [rank[t] for t in ordered] == sorted(rank[t] for t in expected)
    for group in groups:
        assert len({Version(t) for t in group}) == 1, group
    for smaller, larger in zip(groups, groups[1:]):
        assert Version(smaller[0]) < Version(larger[0])


@pytest.mark.parametrize("name", ORDER_FILES)
def test_kernel_sorts_the_lists_identically(corpus_dir, name):
    version_kernel = pytest.importorskip("minipixi.version_kernel")
    groups = without_conda_only(read_order_groups(corpus_dir / name))
    texts = [t for group in groups for t in group]
    shuffled = texts[:]
    random.Random(7).shuffle(shuffled)
    assert version_kernel.sort_versions(shuffled) == sorted(shuffled, key=Version)


@pytest.mark.parametrize("text", sorted(CONDA_ONLY_VERSIONS))
@pytest.mark.xfail(strict=True, reason="rattler refuses '*' inside a version; conda accepts it")
def test_conda_only_versions(text):
    Version(text)


def _conda_form(version: Version) -> list:
    """Our parse written the way conda's VersionOrder prints it."""
    special = {"post": float("inf"), "dev": "DEV", "-": "_"}
    return [[version.epoch]] + [[special.get(c, c) for c in s] for s in version.components]


def test_every_real_version_parses_like_conda(corpus_dir):
    lines = (corpus_dir / "version_parsed_by_conda.txt").read_text().splitlines()
    mismatches, count = [], 0
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        text, conda_parse = line.split("=", 1)
        count += 1
        expected = eval(conda_parse, {"__builtins__": {}, "inf": float("inf")})  # list literal
        if _conda_form(Version(text)) != expected:
            mismatches.append(text)
    assert count > 28000
    assert mismatches == []


def _rattler_edge_cases(corpus_dir) -> dict[str, object]:
    """Parse the insta snapshot: text -> (epoch+segments, local) or the error text."""
    snap = (corpus_dir / "version_parse_rattler_edgecases.snap.txt").read_text()
    cases: dict[str, object] = {}
    pattern = re.compile(
        r'"(?P<text>[^"]*)": (?:Error\(\s*"(?P<error>[^"]*)",\s*\)|Version\(\s*Version \{\s*'
        r"version: (?P<version>\[.*?\]),\s*local: (?P<local>\[.*?\]),\s*\},\s*\))",
        re.S,
    )
    for match in pattern.finditer(snap):
        if match["error"] is not None:
            cases[match["text"]] = match["error"]
        else:
            parse = lambda s: eval(s, {"__builtins__": {}, "inf": float("inf")})  # noqa: E731
            cases[match["text"]] = (parse(match["version"]), parse(match["local"]))
    return cases


def test_rattler_edge_cases_behave_as_listed(corpus_dir):
    cases = _rattler_edge_cases(corpus_dir)
    assert len(cases) >= 22
    for text, expected in cases.items():
        if isinstance(expected, str):
            with pytest.raises(VersionError) as info:
                Version(text)
            assert expected in info.value.message, text
        else:
            version = Version(text)
            special = {"post": float("inf"), "-": "_"}
            local = [[special.get(c, c) for c in s] for s in version.local]
            assert (_conda_form(version), local) == expected, text
            assert version.canonical == text


def _spec_cases(corpus_dir):
    data = json.loads((corpus_dir / "matchspec" / "versionspec_conda_tests.json").read_text())
    cases = [(c["spec"], "1.7.1", c["matches"]) for c in data["versionspec_match_against_1.7.1"]]
    cases += [(c["spec"], c["version"], c["matches"]) for c in data["ver_eval"]]
    cases += [(c["spec"], c["version"], c["matches"]) for c in data["versionspec_match"]]
    return cases, data["invalid_version_specs"], data["invalid_versions"]


def _divergence(spec: str, version: str) -> str | None:
    if "$" in spec or spec.startswith("^"):
        return REGEX_REASON
    return CONDA_ONLY_SPECS.get(spec) or CONDA_ONLY_SPECS.get(f"{spec}@{version}")


def _spec_params():
    from conftest import find_corpus

    corpus = find_corpus()
    if corpus is None:
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason="no corpus"))]
    params = []
    for spec, version, expected in _spec_cases(corpus)[0]:
        reason = _divergence(spec, version)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(spec, version, expected, marks=marks, id=f"{spec}@{version}"))
    return params


@pytest.mark.parametrize(("spec", "version", "expected"), _spec_params())
def test_conda_versionspec_match_cases(spec, version, expected):
    assert VersionSpec(spec).matches(version) is expected


def test_conda_invalid_specs_and_versions_are_refused(corpus_dir):
    _, invalid_specs, invalid_versions = _spec_cases(corpus_dir)
    accepted = []
    for text in invalid_specs:
        try:
            VersionSpec(text)
            accepted.append(text)
        except VersionError as err:
            assert f"'{text}'" in err.message
    # rattler's lenient parser reads '~=3.3.2.*' as '~=3.3.2' (see CONDA_ONLY_SPECS).
    assert accepted == ["~=3.3.2.*"]
    for text in invalid_versions:
        with pytest.raises(VersionError):
            Version(text)
