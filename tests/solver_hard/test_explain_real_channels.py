"""Golden explanations on real channel indexes (../shared/solver-data), the cases of issue 19.

Each explanation must open with its root cause, mention only records inside the requested
ranges, merge versions ("python 2.7 | 3.5 | 3.6 | 3.7"), and be no longer than py-rattler's
report for the same request (9, about 70 and 20 lines; the line counts are asserted).
"""

from __future__ import annotations

import re

import pytest

from minipixi.errors import SolveError
from minipixi.solver import solve

import solver_data

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    data = solver_data.find_solver_data()
    if data is None:
        pytest.skip("../shared/solver-data is not present beside this checkout")
    folder = tmp_path_factory.mktemp("solver-data")
    for channel in ("cf2024", "old2017", "r2018", "main2018"):
        solver_data.unpack_one(data, channel, folder)
    return folder


def failure(unpacked, key, specs) -> SolveError:
    with pytest.raises(SolveError) as caught:
        solve(solver_data.our_task(solver_data.BY_KEY[key], unpacked, specs))
    return caught.value


def test_setuptools_40_on_conda_forge_win64(unpacked):
    error = failure(unpacked, "cf2024/win-64", ["setuptools 40.0.0.*"])
    lines = error.details.splitlines()
    assert lines == [
        "setuptools 40.0.0 needs python 2.7 | 3.5 | 3.6 | 3.7, and none is available "
        "(there is only python 3.9.0 | 3.9.1 ... 3.9.19 (17 versions)).",
        "So, because the request requires setuptools 40.0.0.*, solving for win-64 failed.",
    ]
    assert not re.search(r"setuptools (?!40\.0\.0)\d", error.details)  # nothing outside the request


def test_conda_426_with_setuptools_21_py33(unpacked):
    error = failure(unpacked, "old2017/linux-64", ["conda ==4.2.6", "setuptools 2.1 py33_0"])
    lines = error.details.splitlines()
    assert lines == [
        "Because conda 4.2.6 depends on python 2.7 | 3.4 | 3.5 and setuptools 2.1 (py33_0) depends on "
        "python 3.3, conda 4.2.6 and setuptools 2.1 (py33_0) cannot be installed together.",
        "So, because the request requires both conda ==4.2.6 and setuptools 2.1 py33_0, solving for linux-64 failed.",
    ]
    assert "4.3" not in error.details


def test_mro_base_with_r_kernsmooth_keeps_its_first_sentence(unpacked):
    error = failure(unpacked, "r2018+main2018/linux-64", ["mro-base", "r-kernsmooth !=2.23_15"])
    lines = error.details.splitlines()
    assert lines[0] == (
        "Because every build of mro-base depends on _r-mutex 1.* mro_2 and every build of r-base depends on "
        "_r-mutex 1.* anacondar_1, every build of mro-base and every build of r-base cannot be installed together.")
    assert lines[-1] == ("So, because the request requires both mro-base and r-kernsmooth !=2.23_15, "
                         "solving for linux-64 failed.")
    assert len(lines) == 5
    assert "2.23_15 |" not in error.details and "r-kernsmooth 2.23_15" not in error.details
