"""The solver against brute force (sdxpy's oracle) on small repositories.

Brute force tries every assignment of "one record or nothing" to every name, keeps the valid
ones (by `find_violations`, which knows nothing of the search) and ranks them. The solver must
find a solution exactly when one exists, every solution must be valid, and for the requested
names, in order, its records must be the best any valid solution offers (lexicographically).
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings, strategies as st

from minipixi.errors import SolveError
from minipixi.records import PackageRecord
from minipixi.solver import RecordIndex, SolveTask, find_violations, solve

NAMES = ["a", "b", "c", "d"]


def preference(record: PackageRecord) -> tuple:
    """The oracle's own preference key (smaller is better); versions here are plain integers."""
    return (bool(record.track_features), -int(record.version), -record.build_number, -(record.timestamp or 0))


def brute_force(records, specs, virtual=(), constraints=()):
    """All valid environments: dicts name -> record (virtual packages not included)."""
    by_name: dict[str, list] = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record)
    names = sorted(by_name)
    valid = []
    for choice in itertools.product(*[[None, *by_name[n]] for n in names]):
        chosen = [r for r in choice if r is not None]
        if not find_violations(chosen, specs, virtual_packages=virtual, constraints=constraints):
            valid.append({r.name: r for r in chosen})
    return valid


def requested_names(specs):
    return list(dict.fromkeys(s.split()[0] for s in specs))


def rank(environment, names):
    return tuple(preference(environment[n]) for n in names)


def check_against_oracle(records, specs, virtual=(), constraints=()):
    valid = brute_force(records, specs, virtual, constraints)
    task = SolveTask(specs=list(specs), sources=[RecordIndex(records)], virtual_packages=list(virtual),
                     constraints=list(constraints))
    try:
        solution = solve(task)
    except SolveError as error:
        assert not valid, f"solver failed but {len(valid)} solutions exist:\n{error.details}"
        assert error.details and "solving failed" in error.details
        return None
    assert valid, "solver found a solution where brute force finds none"
    assert find_violations(solution, specs, virtual_packages=virtual, constraints=constraints) == []
    names = requested_names(specs)
    ours = rank({r.name: r for r in solution}, names)
    best = min(rank(env, names) for env in valid)
    assert ours == best, f"requested records are not the best: {ours} vs {best}"
    return solution


# --- generated repositories --------------------------------------------------------------------

spec_forms = st.sampled_from(["{n}", "{n} >={v}", "{n} <{v}", "{n} {v}.*", "{n} >={v},<{w}", "{n} !={v}"])


@st.composite
def spec_text(draw, names=NAMES):
    name = draw(st.sampled_from(names))
    v = draw(st.integers(1, 4))
    return draw(spec_forms).format(n=name, v=v, w=v + 2)


@st.composite
def repositories(draw):
    records, stamp = [], 0
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True)):
        for version in draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)):
            for build_number in range(draw(st.integers(1, 2))):
                stamp += 1
                others = [n for n in NAMES if n != name]
                depends = draw(st.lists(spec_text(others), max_size=2))
                if draw(st.integers(0, 9)) == 0:
                    depends.append(draw(st.sampled_from(["__cuda", "__cuda >=12", "__glibc >=2.30"])))
                constrains = draw(st.lists(spec_text(others), max_size=1))
                features = ("feature",) if draw(st.integers(0, 7)) == 0 else ()
                records.append(PackageRecord(
                    name, str(version), f"b{build_number}_{stamp}", build_number=build_number,
                    depends=tuple(depends), constrains=tuple(constrains), track_features=features,
                    timestamp=draw(st.integers(1, 10**6)) * 10 + stamp % 10, fn=f"{name}-{version}-{stamp}.conda",
                ))
    return records


virtual_sets = st.sampled_from([
    [],
    [PackageRecord("__glibc", "2.28", "0"), PackageRecord("__unix", "0", "0")],
    [PackageRecord("__glibc", "2.34", "0"), PackageRecord("__cuda", "12.4", "0")],
])


@settings(max_examples=250)
@given(repositories(), st.lists(spec_text(), min_size=1, max_size=3), virtual_sets,
       st.lists(spec_text(), max_size=1))
def test_solver_agrees_with_brute_force(records, specs, virtual, constraints):
    check_against_oracle(records, specs, virtual, constraints)


# --- the same oracle on the corpus's resolvo and rattler cases ----------------------------------


def resolvo_spec(text: str) -> str:
    """resolvo's BundleBox DSL to a conda spec: "b 1..3" -> "b >=1,<3", "b 2" -> "b >=2,<3"."""
    parts = text.split()
    if len(parts) == 1:
        return parts[0]
    if ".." in parts[1]:
        low, high = parts[1].split("..")
        return f"{parts[0]} >={low},<{high}"
    return f"{parts[0]} >={parts[1]},<{int(parts[1]) + 1}"


def resolvo_records(case):
    return [
        PackageRecord(p["name"], str(p["version"]), f"{p['name']}_{p['version']}",
                      depends=tuple(resolvo_spec(d) for d in p["depends"]), timestamp=1)
        for p in case["packages"]
    ]


def resolvo_cases(corpus_dir):
    data = json.loads((corpus_dir / "data" / "resolvo_solver_cases.json").read_text())
    return [c for c in data["cases"] if not any("|" in d for p in c["packages"] for d in p["depends"])]


@pytest.mark.corpus
def test_resolvo_cases_agree_with_brute_force(corpus_dir):
    cases = resolvo_cases(corpus_dir)
    assert len(cases) >= 12
    for case in cases:
        records = resolvo_records(case)
        specs = [resolvo_spec(r) for r in case["requirements"]]
        solution = check_against_oracle(records, specs)
        assert (solution is None) == (case["kind"] == "unsat"), case["test"]
        if solution is not None:
            got = "\n".join(sorted(f"{r.name}={r.version}" for r in solution))
            assert got == case["expected"], case["test"]


@pytest.mark.corpus
def test_rattler_dummy_cases_agree_with_brute_force(corpus_dir):
    from minipixi.records import PackageRecord as Record

    data = json.loads((corpus_dir / "data" / "repodata" / "rattler__dummy-linux-64.json").read_text())
    records = [Record.from_repodata(fn, entry, subdir="linux-64")
               for key in ("packages", "packages.conda") for fn, entry in data.get(key, {}).items()]
    cases = json.loads((corpus_dir / "data" / "rattler_dummy_solver_cases.json").read_text())["cases"]
    for case in cases:
        if case["locked"]:
            continue
        names = {s.split()[0].split("=")[0].split("<")[0].split(">")[0] for s in case["specs"]}
        small = [r for r in records if r.name in names or r.name == "bors"]
        virtual = [Record(*v.split("=")) for v in case["virtual_packages"]]
        valid = brute_force(small, case["specs"], virtual)
        task = SolveTask(specs=case["specs"], sources=[RecordIndex(records)], virtual_packages=virtual)
        try:
            solve(task)
            solved = True
        except SolveError:
            solved = False
        assert solved == bool(valid), case["test"]


# --- channel priority, pins and locks ---------------------------------------------------------


def visible_records(first, second, pinned):
    """What brute force may use: strict priority (a name in `first` hides it in `second`), and a
    pinned name only as its pinned record."""
    in_first = {r.name for r in first}
    records = first + [r for r in second if r.name not in in_first]
    pins = {p.name: p for p in pinned}
    return [r for r in records if r.name not in pins or r == pins[r.name]]


@settings(max_examples=150)
@given(repositories(), st.lists(spec_text(), min_size=1, max_size=3), st.data())
def test_priority_pins_and_locks_agree_with_brute_force(records, specs, data):
    in_second = data.draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    first = [r for r, later in zip(records, in_second) if not later]
    second = [r for r, later in zip(records, in_second) if later]
    pinned = data.draw(st.lists(st.sampled_from(records), max_size=1))
    locked = data.draw(st.lists(st.sampled_from(records), max_size=2, unique_by=lambda r: r.name))
    allowed = visible_records(first, second, pinned)
    valid = brute_force(allowed, specs)
    task = SolveTask(specs=specs, sources=[RecordIndex(first), RecordIndex(second)], pinned=pinned, locked=locked)
    try:
        solution = solve(task)
    except SolveError:
        assert not valid
        return
    assert valid and find_violations(solution, specs) == []
    assert set(solution) <= set(allowed)
    lock = {r.name: r for r in locked}
    key = lambda r: (r != lock.get(r.name), *preference(r))  # noqa: E731 - a locked record first
    names = requested_names(specs)
    ours = tuple(key(r) for r in sorted(solution, key=lambda r: names.index(r.name) if r.name in names else 99)
                 if r.name in names)
    best = min(tuple(key(env[n]) for n in names) for env in valid)
    assert ours == best
