"""Unit tests for minipixi.version_kernel: the encoding, sorting and batch matching."""

from __future__ import annotations

import numpy as np
import pytest

from minipixi import version_kernel as kernel
from minipixi.errors import VersionError
from minipixi.version import Version
from minipixi.version_spec import VersionSpec


def test_table_codes_follow_component_order_with_gaps():
    table = kernel.ComponentTable.build(["rc", 0, 1, 10, "dev", "_", "post"])
    assert [table.code(c) for c in ("dev", "_", "rc", 0, 1, 10, "post")] == [2, 4, 6, 8, 10, 12, 14]
    assert table.code("-") == table.code("_")
    assert table.code("a") == 5 and table.code(5) == 11 and table.code(2**64 - 1) == 13
    assert table.zero == 8


def test_rows_are_padded_with_the_code_of_zero_per_segment():
    encoded = kernel.encode_versions(["1.10", "1.2rc1", "1!0.1"])
    assert encoded.layout == kernel.Layout(main=(1, 3), local=())
    zero, one = encoded.table.zero, encoded.table.code(1)
    assert encoded.rows[0].tolist() == [zero, one, encoded.table.code(10), zero, zero]
    assert encoded.rows[2, 0] == one
    assert encoded.main_len.tolist() == [[1, 1], [1, 3], [1, 1]]
    assert encoded.main_count.tolist() == [2, 2, 2]


def test_sort_is_stable_and_keeps_ties_in_input_order():
    texts = ["1.1.0", "1.0", "1.1", "1.0.0", "1.1dev", "1.01"]
    # 1.01 is 1.1 (numbers lose leading zeros); 1.1dev sorts after 1.0, before 1.1.
    assert kernel.sort_versions(texts) == ["1.0", "1.0.0", "1.1dev", "1.1.0", "1.1", "1.01"]
    assert kernel.argsort_versions(texts).tolist() == [1, 3, 4, 0, 2, 5]


def test_sort_handles_local_parts_epochs_and_huge_numbers():
    texts = ["1.2+b", "2!0", "1.2", str(2**64 - 1), "1.2+a.1", "1!1", "1.2+a"]
    assert kernel.sort_versions(texts) == sorted(texts, key=Version)
    assert kernel.sort_versions(texts)[-2:] == ["1!1", "2!0"]


def test_sort_more_than_one_merge_pass():
    texts = [f"{i % 7}.{(i * 37) % 101}.{i % 3}" for i in range(1000)]
    assert kernel.sort_versions(texts) == sorted(texts, key=Version)


def test_empty_and_invalid_input():
    assert kernel.sort_versions([]) == []
    assert kernel.matches("*", []).tolist() == []
    with pytest.raises(VersionError, match="1..2"):
        kernel.sort_versions(["1.0", "1..2"])


@pytest.mark.parametrize(
    "spec",
    ["*", "1.2.*", ">=1.2,<2", "~=1.2", "!=1.2.*", "1.2|1.3", "1.0.1_.*", "1.0.1-.*",
     ">=1.0.1_", "1.2.3+4.*", "==1.2", "==1.0.1-", "!=1.0.1_", "<1.2.0a", "1!1.*", "(>=1|<0.5),!=0.7", "1.2.0.0.0.1.*"],
)
def test_matches_equals_the_reference(spec):
    candidates = ["1.2", "1.2.1", "1.20", "1.2a", "1.3", "2.0", "1!1.2", "1.2+3", "1.0.1-",
                  "1.0.1_", "1.2.3+4.5", "0.7", "0.4", "1.2.0.0.0.1"]
    expected = [VersionSpec(spec).matches(c) for c in candidates]
    assert kernel.matches(VersionSpec(spec), candidates).tolist() == expected
    assert kernel.matches(spec, kernel.encode_versions(candidates)).tolist() == expected


def test_bounds_wider_than_the_batch_are_compared_with_zero_padding():
    encoded = kernel.encode_versions(["1", "2"])
    assert kernel.matches(">=1.0.0.0.1", encoded).tolist() == [False, True]
    assert kernel.matches("1.0.0.0.*", encoded).tolist() == [True, False]
    assert kernel.matches("<1.0a", encoded).tolist() == [False, False]


def test_compiled_program_is_postfix():
    program, bounds = kernel.compile_spec(VersionSpec(">=1,<2|3.*"))
    assert program.tolist() == [[kernel.GE, 0], [kernel.LT, 1], [kernel.AND, 2],
                                [kernel.STARTSWITH, 2], [kernel.OR, 2]]
    assert bounds == [Version("1"), Version("2"), Version("3")]
    assert isinstance(kernel.argsort_versions(["1"]), np.ndarray)
