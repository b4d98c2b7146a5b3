"""The solver on small hand-made indexes: rules, preferences, priorities, pins and explanations."""

from __future__ import annotations

import pytest

from minipixi.errors import SolveError
from minipixi.records import PackageRecord
from minipixi.solver import MergedSource, RecordIndex, Reporter, SolveTask, find_violations, solve
from minipixi.solver.provider import Provider, indexes, mask_from_bool_array, mask_of
from minipixi.solver.incompatibility import Term
from minipixi.channel.virtual_packages import default_virtual_packages

STAMP = iter(range(1, 10**6))


def rec(name, version, build="0", *, depends=(), constrains=(), build_number=0, features=(),
        timestamp=None, fn=None, subdir="linux-64", channel=None):
    return PackageRecord(
        name, version, build, build_number=build_number, depends=tuple(depends),
        constrains=tuple(constrains), track_features=tuple(features),
        timestamp=timestamp if timestamp is not None else next(STAMP),
        fn=fn or f"{name}-{version}-{build}.conda", subdir=subdir, channel=channel,
    )


def lines(records):
    return [f"{r.name} {r.version} {r.build}" for r in records]


def run(specs, *records, **task):
    sources = task.pop("sources", None) or [RecordIndex(records)]
    return solve(SolveTask(specs=list(specs), sources=sources, **task))


def failure(specs, *records, **task) -> SolveError:
    with pytest.raises(SolveError) as caught:
        run(specs, *records, **task)
    return caught.value


# --- terms: set algebra on masks --------------------------------------------------------------


def test_term_relations_follow_set_semantics():
    installed_1_or_2 = Term("a", 0b011, True)
    not_2 = Term("a", 0b010, False)
    assert Term("a", 0b001, True).satisfied_by(Term("a", 0b001, True))
    assert not_2.satisfied_by(Term("a", 0b001, True))
    assert not_2.contradicted_by(Term("a", 0b010, True))
    assert not installed_1_or_2.satisfied_by(Term("a", 0, False))  # knowing nothing proves nothing
    assert installed_1_or_2.intersect(not_2) == Term("a", 0b001, True)
    assert Term("a", 0b001, False).intersect(not_2) == Term("a", 0b011, False)


def test_masks_from_booleans_agree():
    import numpy as np

    bits = [True, False, True, True] + [False] * 70 + [True]
    assert mask_of(bits) == mask_from_bool_array(np.array(bits))
    assert list(indexes(mask_of(bits))) == [0, 2, 3, 74]


# --- the rules --------------------------------------------------------------------------------


def test_depends_pull_in_their_best_match():
    solution = run(["app"], rec("app", "1.0", depends=["lib >=2"]), rec("lib", "1.0"),
                   rec("lib", "2.0"), rec("lib", "3.0"))
    assert lines(solution) == ["app 1.0 0", "lib 3.0 0"]


def test_backtracks_to_an_older_version_when_the_newest_cannot_work():
    solution = run(["app"], rec("app", "2.0", depends=["lib >=5"]), rec("app", "1.0", depends=["lib"]),
                   rec("lib", "1.0"))
    assert lines(solution) == ["app 1.0 0", "lib 1.0 0"]


def test_constrains_bind_only_installed_packages():
    app = rec("app", "1.0", constrains=["lib <2"])
    assert lines(run(["app"], app, rec("lib", "3.0"))) == ["app 1.0 0"]
    solution = run(["app", "other"], app, rec("lib", "3.0"), rec("lib", "1.5"), rec("other", "1", depends=["lib"]))
    assert lines(solution) == ["app 1.0 0", "lib 1.5 0", "other 1 0"]


def test_task_constraints_do_not_install():
    solution = run(["app"], rec("app", "1", depends=["lib"]), rec("lib", "1"), rec("lib", "2"), rec("zz", "1"),
                   constraints=["lib <2", "zz >5"])
    assert lines(solution) == ["app 1 0", "lib 1 0"]


def test_one_record_per_name_even_across_two_specs():
    solution = run(["lib >=2", "lib <3"], rec("lib", "1"), rec("lib", "2.5"), rec("lib", "3"))
    assert lines(solution) == ["lib 2.5 0"]


# --- preferences ------------------------------------------------------------------------------


def test_preference_version_then_build_number_then_timestamp():
    records = [rec("a", "1.0", "old", build_number=5), rec("a", "1.1", "x", build_number=0),
               rec("a", "1.1", "y", build_number=2, timestamp=10), rec("a", "1.1", "z", build_number=2, timestamp=20)]
    assert lines(run(["a"], *records)) == ["a 1.1 z"]


def test_tracked_features_sort_below_everything_else():
    records = [rec("blas", "2.0", "mkl", features=["blas_mkl"]), rec("blas", "1.0", "openblas")]
    assert lines(run(["blas"], *records)) == ["blas 1.0 openblas"]
    assert lines(run(["blas 2.0"], *records)) == ["blas 2.0 mkl"]


def test_requested_packages_are_decided_first_in_order():
    # a 2 needs b 1, b 2 needs a 1: whoever is asked first gets its newest version.
    records = [rec("a", "2", depends=["b 1.*"]), rec("a", "1"), rec("b", "2", depends=["a 1.*"]), rec("b", "1")]
    assert lines(run(["a", "b"], *records)) == ["a 2 0", "b 1 0"]
    assert lines(run(["b", "a"], *records)) == ["a 1 0", "b 2 0"]


@pytest.mark.parametrize("strategy, preferred, other", [("highest", "2.0", "1.0"), ("lowest", "1.0", "2.0")])
def test_the_oldest_open_requirement_is_decided_first(strategy, preferred, other):
    # app needs p then q; p needs x, q needs y; x 2.0 needs y 1, x 1.0 needs y 2. Both answers
    # are equally good; resolvo (and so Pixi) decides x first, because p's requirement was
    # opened before q's: x gets its preferred version. Swapping p and q swaps the answer.
    def records(first, second):
        return [rec("app", "1.0", depends=[first, second]), rec("p", "1.0", depends=["x"]),
                rec("q", "1.0", depends=["y"]), rec("x", "1.0", depends=["y 2.*"]),
                rec("x", "2.0", depends=["y 1.*"]), rec("y", "1.0"), rec("y", "2.0")]
    answer = {r.name: r.version for r in run(["app"], *records("p", "q"), strategy=strategy)}
    assert (answer["x"], answer["y"]) == (preferred, other)
    answer = {r.name: r.version for r in run(["app"], *records("q", "p"), strategy=strategy)}
    assert (answer["y"], answer["x"]) == (preferred, other)


def test_locked_record_is_preferred_while_it_fits():
    old = rec("lib", "1.0")
    records = [old, rec("lib", "2.0"), rec("app", "1", depends=["lib"])]
    assert lines(run(["app"], *records, locked=[old])) == ["app 1 0", "lib 1.0 0"]
    assert lines(run(["app", "lib >=2"], *records, locked=[old])) == ["app 1 0", "lib 2.0 0"]


def test_locked_record_missing_from_the_channel_is_still_a_candidate():
    gone = rec("lib", "1.5")
    records = [rec("lib", "2.0"), rec("app", "1", depends=["lib <2"])]
    assert lines(run(["app"], *records, locked=[gone])) == ["app 1 0", "lib 1.5 0"]


def test_conda_format_wins_over_tar_bz2_twin():
    bz2 = rec("a", "1", "h0", fn="a-1-h0.tar.bz2", timestamp=99)
    conda = rec("a", "1", "h0", fn="a-1-h0.conda", timestamp=1)
    assert run(["a"], bz2, conda)[0].fn == "a-1-h0.conda"


# --- sources and channel priority ------------------------------------------------------------


def test_strict_channel_priority_hides_lower_channels():
    high = RecordIndex([rec("numpy", "1.26", channel="pytorch")], label="pytorch")
    low = RecordIndex([rec("numpy", "2.1", channel="conda-forge"), rec("zlib", "1.3")], label="conda-forge")
    solution = run(["numpy", "zlib"], sources=[high, low])
    assert lines(solution) == ["numpy 1.26 0", "zlib 1.3 0"]
    assert solution[0].channel == "pytorch"


def test_a_channel_named_in_the_spec_overrides_priority():
    high = RecordIndex([rec("numpy", "1.26", channel="https://conda.anaconda.org/pytorch/")], label="pytorch")
    low = RecordIndex([rec("numpy", "2.1", channel="https://conda.anaconda.org/conda-forge/")], label="conda-forge")
    solution = run(["conda-forge::numpy"], sources=[high, low])
    assert lines(solution) == ["numpy 2.1 0"]
    assert lines(run(["numpy"], sources=[high, low])) == ["numpy 1.26 0"]


def test_disabled_channel_priority_pools_records():
    high = RecordIndex([rec("numpy", "1.26")], label="pytorch")
    low = RecordIndex([rec("numpy", "2.1")], label="conda-forge")
    assert lines(run(["numpy"], sources=[high, low], channel_priority="disabled")) == ["numpy 2.1 0"]


def test_hidden_record_explained_with_channel_priority_hint():
    high = RecordIndex([rec("numpy", "1.26")], label="pytorch/linux-64")
    low = RecordIndex([rec("numpy", "2.1")], label="conda-forge/linux-64")
    error = failure(["numpy >=2"], sources=[high, low])
    assert "strict channel priority hides behind pytorch/linux-64" in error.details
    assert "conda-forge/linux-64" in error.details
    assert "channel-priority" in error.hint


def test_noarch_and_platform_subdir_share_one_tier():
    linux = RecordIndex([rec("tool", "1.0", subdir="linux-64")], label="conda-forge/linux-64")
    noarch = RecordIndex([rec("tool", "2.0", subdir="noarch"), rec("pure", "1", subdir="noarch")],
                         label="conda-forge/noarch")
    solution = run(["tool", "pure"], sources=[MergedSource([linux, noarch])])
    assert lines(solution) == ["pure 1 0", "tool 2.0 0"]


# --- pins and virtual packages ----------------------------------------------------------------


def test_pinned_record_is_kept_even_when_older():
    pin = rec("bors", "1.0", "bla_1")
    records = [pin, rec("bors", "2.0"), rec("app", "1", depends=["bors"])]
    assert lines(run(["app"], *records, pinned=[pin])) == ["app 1 0", "bors 1.0 bla_1"]


def test_pinned_conflict_is_explained():
    pin = rec("bors", "1.0", "bla_1")
    error = failure(["bors >=2"], pin, rec("bors", "2.0"), rec("bors", "2.1"), pinned=[pin])
    assert "bors is pinned to 1.0 (bla_1)" in error.details
    assert "pinned" in error.hint


def test_virtual_packages_are_facts_not_output():
    records = [rec("bar", "1.0", depends=["__unix"]), rec("win-only", "1", depends=["__win"])]
    linux = default_virtual_packages("linux-64")
    assert lines(run(["bar"], *records, virtual_packages=linux)) == ["bar 1.0 0"]
    error = failure(["win-only"], *records, virtual_packages=linux, platform="linux-64")
    assert "__win, which linux-64 does not provide here" in error.details


def test_constrains_on_a_virtual_package_are_checked():
    cv = rec("cuda-version", "12.5", constrains=["__cuda >=12.1"])
    error = failure(["cuda-version"], cv, virtual_packages=[rec("__cuda", "1", timestamp=0)])
    assert "constrains __cuda >=12.1" in error.details
    assert lines(run(["cuda-version"], cv, virtual_packages=[rec("__cuda", "12.4", timestamp=0)])) == ["cuda-version 12.5 0"]


# --- explanations -----------------------------------------------------------------------------


def gpu_index():
    return [
        rec("pytorch-gpu", "2.7.0", "cuda126_0", depends=["pytorch 2.7.0 cuda*"]),
        rec("pytorch", "2.7.0", "cuda126_0", depends=["__cuda", "python >=3.12"]),
        rec("pytorch", "2.7.0", "cuda126_1", build_number=1, depends=["__cuda", "python >=3.12"]),
        rec("pytorch", "2.7.0", "cpu_0", depends=["python >=3.12"]),
        rec("python", "3.12.1"),
    ]


def test_missing_cuda_is_explained_as_a_chain_with_both_fixes():
    error = failure(["pytorch-gpu >=2.7"], *gpu_index(), virtual_packages=default_virtual_packages("linux-64"),
                    platform="linux-64", label="environment 'gpu'")
    assert "environment 'gpu' for linux-64" in error.message
    details = error.details
    assert "__cuda, which linux-64 does not provide here" in details
    assert "environment 'gpu' requires pytorch-gpu >=2.7" in details
    assert details.rstrip().endswith("solving environment 'gpu' for linux-64 failed.")
    assert 'cuda = "12"' in error.hint and "CONDA_OVERRIDE_CUDA=12" in error.hint
    kinds = {type(cause).__name__ for cause in error.causes}
    assert {"Requested", "Depends"} <= kinds


def test_declared_cuda_solves_the_same_index():
    solution = run(["pytorch-gpu >=2.7"], *gpu_index(), virtual_packages=default_virtual_packages("linux-64", cuda="12"))
    assert lines(solution) == ["python 3.12.1 0", "pytorch 2.7.0 cuda126_1", "pytorch-gpu 2.7.0 cuda126_0"]


def test_missing_package_names_the_sources():
    error = failure(["asdfasdf", "foo"], rec("foo", "1"), sources=[RecordIndex([rec("foo", "1")], label="conda-forge/linux-64")])
    assert "the request requires asdfasdf, which is in none of conda-forge/linux-64" in error.details
    assert "asdfasdf" in error.hint


def test_explanation_of_two_conflicting_requests():
    records = [rec("foobar", "2.0", depends=["bors <2.0"]), rec("foobar", "2.1", depends=["bors <2.0"]),
               rec("bors", "1.0"), rec("bors", "2.0"), rec("bors", "2.1")]
    error = failure(["foobar >=2", "bors >=2"], *records)
    assert "every build of foobar depends on bors <2.0" in error.details
    assert "requires bors >=2" in error.details
    assert "relax the version requirements" in error.hint


def test_reporter_sees_decisions_and_conflicts():
    class Counting(Reporter):
        def __init__(self):
            self.decided, self.conflicts = [], 0

        def deciding(self, name, record):
            self.decided.append(name)

        def conflict(self, incompatibility):
            self.conflicts += 1

    counting = Counting()
    records = [rec("app", "2.0", depends=["lib >=5", "x"]), rec("app", "1.0", depends=["lib"]),
               rec("lib", "1.0"), rec("x", "1", depends=["lib >=5"])]
    solve(SolveTask(specs=["app"], sources=[RecordIndex(records)]), reporter=counting)
    assert counting.decided[0] == "app" and "lib" in counting.decided


def test_many_candidates_take_the_kernel_path_and_agree(monkeypatch):
    from minipixi.solver import provider as provider_module

    monkeypatch.setattr(provider_module, "KERNEL_MIN_CANDIDATES", 64)
    monkeypatch.setattr(provider_module, "KERNEL_WORK", 0)
    records = [rec("big", f"1.{i}.{j}", f"b{k}", build_number=k) for i in range(12) for j in range(8) for k in range(2)]
    provider = Provider(SolveTask(specs=["big"], sources=[RecordIndex(records)]))
    cands = provider.candidates("big")
    assert len(cands.records) == 192
    assert (cands.records[0].version, cands.records[0].build) == ("1.11.7", "b1")
    mask = provider.matches("big >=1.3,<1.5")
    expected = {r for r in records if r.version.startswith(("1.3.", "1.4."))}
    assert {cands.records[i] for i in indexes(mask)} == expected
    assert cands._encoded is not None  # the kernel answered
    monkeypatch.setattr(provider_module, "KERNEL_MIN_CANDIDATES", 10**6)
    pure = Provider(SolveTask(specs=["big"], sources=[RecordIndex(records)]))
    assert pure.candidates("big").records == cands.records
    assert pure.matches("big >=1.3,<1.5") == mask
    assert pure.candidates("big")._encoded is None


def test_kernel_starts_only_after_enough_python_checks(monkeypatch):
    from minipixi.solver import provider as provider_module

    monkeypatch.setattr(provider_module, "KERNEL_MIN_CANDIDATES", 10)
    monkeypatch.setattr(provider_module, "KERNEL_WORK", 25)
    monkeypatch.setattr(provider_module, "kernel_started", lambda: False)
    provider = Provider(SolveTask(specs=[], sources=[]))
    assert [provider._kernel_pays(n) for n in (5, 12, 12, 12, 12)] == [False, False, False, False, True]
    assert provider.python_checks == 36


def test_solution_is_valid_by_the_independent_checker():
    records = [rec("app", "1", depends=["lib >=2", "zlib"], constrains=["other <1"]), rec("lib", "2", depends=["zlib 1.*"]),
               rec("zlib", "1.3"), rec("zlib", "2.0"), rec("other", "0.5")]
    solution = run(["app"], *records)
    assert find_violations(solution, ["app"]) == []
    assert find_violations([records[0]], ["app"]) == [
        "app 1 (0) depends on lib >=2, which nothing matches", "app 1 (0) depends on zlib, which nothing matches"]


def test_a_record_with_a_broken_spec_is_never_picked():
    records = [rec("tool", "2.0", depends=["<3.0"]), rec("tool", "1.0")]
    assert lines(run(["tool"], *records)) == ["tool 1.0 0"]
    error = failure(["tool >=2"], *records)
    assert "tool 2.0 cannot be used: its spec '<3.0' is broken" in error.details


def test_task_constraint_conflict_is_explained():
    error = failure(["app"], rec("app", "1", depends=["lib >=2"]), rec("lib", "1"), rec("lib", "2"),
                    constraints=["lib <2"], label="environment 'default'")
    assert "environment 'default' constrains lib <2" in error.details
    assert "app 1 depends on lib >=2" in error.details


def test_checker_reports_duplicates_and_broken_constrains():
    a = rec("a", "1", constrains=["b <2"])
    problems = find_violations([a, rec("b", "2"), rec("b", "3")], ["a", "c"])
    assert "b appears 2 times" in problems
    assert "nothing matches the requested c" in problems
    assert "a 1 (0) constrains b <2, but b 2 is present" in problems


def test_ties_are_broken_by_what_the_dependencies_allow():
    records = [rec("python", "3.12.8"), rec("python", "3.13.1"),
               rec("numpy", "2.3.0", "py313", depends=["python >=3.13,<3.14.0a0"], timestamp=1),
               rec("numpy", "2.3.0", "py312", depends=["python >=3.12,<3.13.0a0"], timestamp=2)]
    assert lines(run(["numpy"], *records)) == ["numpy 2.3.0 py313", "python 3.13.1 0"]
    assert lines(run(["numpy", "python 3.12.*"], *records)) == ["numpy 2.3.0 py312", "python 3.12.8 0"]


def test_dependency_cycles_do_not_recurse_forever():
    records = [rec("a", "1", "x", depends=["b >=1"]), rec("a", "1", "y", depends=["b >=2"]),
               rec("b", "2", "x", depends=["a"]), rec("b", "2", "y", depends=["a 1 x"])]
    assert lines(run(["a"], *records)) == ["a 1 y", "b 2 x"]


def test_a_name_that_widens_again_after_a_backjump_is_still_decided():
    """Regression (found by the oracle at 8,000 examples): `a` went from one candidate left to
    several after a backjump and dropped out of the decision queue, so it was never installed."""
    def r(name, version, build, number, depends=(), constrains=(), features=("feature",), stamp=1):
        return PackageRecord(name, version, build, build_number=number, depends=depends,
                             constrains=constrains, track_features=features, timestamp=stamp)
    records = [
        r("a", "4", "b0_1", 0, ("b", "c 2.*"), features=(), stamp=850161),
        r("a", "4", "b1_2", 1, (), ("b 1.*",), features=(), stamp=8196332),
        r("a", "3", "b0_3", 0, stamp=54613), r("a", "1", "b0_4", 0, ("b",), stamp=99194),
        r("a", "1", "b1_5", 1, ("b",), stamp=9515), r("c", "1", "b0_6", 0, ("__cuda",), ("a",), stamp=3706),
        r("c", "2", "b0_7", 0, (), ("a",), stamp=1987), r("c", "2", "b1_8", 1, ("a",), stamp=21758),
        r("c", "4", "b0_9", 0, ("a !=1", "d"), stamp=2769), r("b", "2", "b0_10", 0, ("a", "c", "__cuda"), stamp=6130),
        r("b", "2", "b1_11", 1, (), ("a",), stamp=13481), r("b", "1", "b0_12", 0, ("a",), stamp=6752),
        r("b", "3", "b0_13", 0, ("a",), ("a",), stamp=99063), r("b", "3", "b1_14", 1, ("a",), ("a",), stamp=9344),
        r("d", "1", "b0_15", 0, ("b >=2", "a"), features=(), stamp=1640585),
        r("d", "1", "b1_16", 1, ("b >=3", "__cuda"), ("c <2",), features=(), stamp=53996),
    ]
    virtual = [rec("__glibc", "2.34"), rec("__cuda", "12.4")]
    solution = run(["c !=3"], *records, virtual_packages=virtual)
    assert find_violations(solution, ["c !=3"], virtual_packages=virtual) == []
    assert "a" in {r.name for r in solution}
