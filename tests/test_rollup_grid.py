"""The premise of the grid roll-up's sums: adding a (children x dates) block row by row is np.bincount's order."""

from __future__ import annotations

import numpy as np
import pytest

from wehoplan.rollup import grid


@pytest.mark.parametrize("k", [2, 3, 12, 60, 61])
def test_run_sums_add_each_parents_children_in_bincounts_order(k):
    rng = np.random.default_rng(k)
    sizes = np.array([1, 2, 7, 8, 9, 17, 128, 129, 400])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    end = np.cumsum(sizes)
    m = int(end[-1])
    # Values of very different sizes, so that any other order of the additions shows in the last bits.
    values = rng.random((m, k)) * rng.choice([1.0, 1e-9, 1e9], (m, k))
    values[first[3]:end[3]] = -0.0  # all children -0.0: bincount's sum is +0.0
    parent = np.repeat(np.arange(len(sizes)), sizes)
    gid = (np.arange(k)[:, None] * len(sizes) + parent[None, :]).ravel()  # (date x child) rows, date-major
    want = np.bincount(gid, weights=np.ascontiguousarray(values.T).ravel(), minlength=k * len(sizes))
    got = grid._run_sums(first, end, k)(values)
    assert np.array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_numpy_huge_page_request_is_off_during_a_roll_up_and_restored_after():
    """The roll-up stages switch numpy's huge-page request off while they run, counted, and put it back."""
    numpy_core = pytest.importorskip("numpy._core.multiarray")
    from wehoplan.rollup import engine

    before = numpy_core._get_madvise_hugepage()
    with engine.plain_pages(100):  # a small roll-up: numpy's own setting (its huge pages help there)
        assert numpy_core._get_madvise_hugepage() == before
    with engine.plain_pages():
        assert numpy_core._get_madvise_hugepage() is False
        with engine.plain_pages():  # nested (another thread's roll-up): still off
            assert numpy_core._get_madvise_hugepage() is False
        assert numpy_core._get_madvise_hugepage() is False
    assert numpy_core._get_madvise_hugepage() == before
    seen = []
    county = engine.plain_pages_for(len)(lambda _rows: seen.append(numpy_core._get_madvise_hugepage()))
    county(range(engine.LARGE_ROWS))
    county(range(10))
    assert seen == [False, before]
    assert numpy_core._get_madvise_hugepage() == before
    with pytest.raises(RuntimeError), engine.plain_pages():
        raise RuntimeError("a roll-up that fails")
    assert numpy_core._get_madvise_hugepage() == before
