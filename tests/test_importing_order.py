"""The outline order of plain codes (numpy: the import's flat plan, the roll-up's tree) is code_sort_key's."""

from __future__ import annotations

import random

import pytest

from wehoplan.domain import code_sort_key
from wehoplan.domain import plain_outline_order as _plain_order


def _by_keys(codes: list[str]) -> list[int]:
    return sorted(range(len(codes)), key=lambda i: code_sort_key(codes[i]))


def _depths(codes: list[str]) -> list[int]:
    return [c.count(".") + 1 for c in codes]


@pytest.mark.parametrize("seed", range(20))
def test_plain_codes_sort_as_their_outline_keys(seed):
    rnd = random.Random(seed)
    codes = list(dict.fromkeys(
        ".".join(rnd.choice(["0", "1", "2", "9", "10", "11", "01", "010", "123456789"])
                 for _ in range(rnd.randint(1, 5)))
        for _ in range(rnd.randint(1, 300))))
    rnd.shuffle(codes)
    assert _plain_order(codes, _depths(codes)) == _by_keys(codes)


def test_a_parent_comes_before_its_children_and_1_10_after_1_9():
    codes = ["1.10", "1", "1.9", "1.9.1", "2", "1.2"]
    assert [codes[i] for i in _plain_order(codes, _depths(codes))] == ["1", "1.2", "1.9", "1.9.1", "1.10", "2"]


def test_equal_keys_keep_file_order():
    codes = ["1.01", "2", "1.1", "1.001"]  # 1.01, 1.1 and 1.001 all read as (1, 1)
    assert _plain_order(codes, _depths(codes)) == [0, 2, 3, 1] == _by_keys(codes)


def test_a_part_too_long_for_int64_is_left_to_pythons_ints():
    codes = ["1", "1." + "9" * 25]
    assert _plain_order(codes, _depths(codes)) is None


def test_no_codes():
    assert _plain_order([], []) == []


def test_codes_that_are_not_plain_are_left_to_code_sort_key():
    assert _plain_order(["1", "1.a", "2"]) is None
    assert _plain_order([" 1", "2"]) is None
    assert _plain_order(["1", None, 2]) is None


def test_depths_are_counted_when_not_given():
    codes = ["2", "1.3.1", "1.3", "1"]
    assert _plain_order(codes) == _plain_order(codes, _depths(codes)) == _by_keys(codes)
