"""The examples in the core types' docstrings run, and say what the code does.

The docstrings of the version, spec and record modules (and of the solver's terms and its
data-only failure report, which an explanation is written from) teach by example (``>>> Version("1.1")
== Version("1.1.0")``). An example that no longer holds would teach something false, so each
module's examples are run here with `doctest`: none may fail, and each module must have some.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "minipixi.version",
    "minipixi.version_order",
    "minipixi.version_spec",
    "minipixi.records",
    "minipixi.build_match",
    "minipixi.matchspec",
    "minipixi.matchspec_parse",
    "minipixi.solver.incompatibility",
    "minipixi.solver.report",
    "minipixi.solver.explain",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.attempted > 0, f"{name} has no examples in its docstrings"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail (run python -m doctest -v)"


def test_a_wrong_example_is_caught():
    """The check above can fail: an example whose output is wrong counts as a failure."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(">>> from minipixi.version import Version\n>>> Version('1.1') < Version('1.1.0')\nTrue\n",
                              {}, "wrong", "wrong.py", 0)
    runner = doctest.DocTestRunner(verbose=False)
    runner.run(test, out=lambda _text: None)
    assert runner.summarize(verbose=False) == (1, 2)
