"""The floor of the roll-up and the trend: a minimal numpy roll-up written from GUIDE §3 alone.

It is the least work any implementation of the rules must do for one date or many:

1. the updates sorted by (leaf, day) once per data version, in :func:`prepare` (a stable
   sort: the last one recorded on a day wins), as ``prepare_updates`` does for the roll-up;
   find each leaf's latest state on or before each date with one ``np.searchsorted``;
2. leaf progress (completed = 100), the overdue flag;
3. level by level from the deepest, ``np.add.reduceat`` of each parent's children: weighted /
   plain progress means, status scores, leaf counts per status and overdue counts;
4. schedule health on every node (GUIDE §3 makes it part of every roll-up node, beside the
   status), and the expected progress it needs: a leaf's from its own dates, a parent's from
   its own dates or rolled up like progress over the children that have one.

Inputs are plain arrays prepared once outside the timing (:func:`prepare`): the tree's
structure (what :class:`wehoplan.rollup.PreparedTree` caches too) and the updates' columns
with status as codes, sorted by (leaf, day) (what :class:`wehoplan.rollup.PreparedUpdates`
caches too). It computes no displayed dates, due-soon or stale flags, comments, text
columns or frame, and takes no filter: it is a lower bound for ``roll_up``'s work, not a
replacement for it. :func:`check` shows it gives the same progress, status, counts,
expected progress and schedule health as ``rollup_table`` on every node.
"""

from __future__ import annotations

from dataclasses import dataclass

import common  # noqa: F401  (first: puts this checkout on sys.path before wehoplan is imported)
import numpy as np
import pandas as pd

from wehoplan.domain import STATUS_KEYS

CODE = {k: i for i, k in enumerate(STATUS_KEYS)}
PENDING, COMPLETED, DEFERRED = CODE["pending"], CODE["completed"], CODE["deferred"]
SCORE = np.array([{"on_track": 3.0, "completed": 3.0, "some_disruption": 2.0, "major_disruption": 1.0}.get(k, 0.0)
                  for k in STATUS_KEYS])
NK = len(STATUS_KEYS)
DAY = np.timedelta64(1, "D")
HEALTH = np.array(["done", "", "at_risk", "on_schedule", "behind"], dtype=object)  # by code
ON_SCHEDULE_RATIO, BEHIND_RATIO = 0.95, 0.85  # the settings' defaults (Thresholds())


@dataclass
class Plan:
    """Structure and updates as arrays. Node 0..n-1 in any order, node n is the plan."""

    n: int
    parent: np.ndarray  # parent node of each node (n for top level)
    weight: np.ndarray
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per depth, deepest first: children
    # sorted by parent, their parents (unique, same order) and where each parent's block starts
    leaf_nodes: np.ndarray  # node index of each leaf
    leaf_due: np.ndarray  # days (float, NaN without)
    start: np.ndarray  # own start of each node, days (float, NaN without); node n (the plan) has none
    due: np.ndarray
    ids: np.ndarray  # item id of each node
    u_leaf: np.ndarray  # leaf position of each update (updates of leaves only)
    u_day: np.ndarray
    u_code: np.ndarray
    u_progress: np.ndarray


def prepare(tree, updates: pd.DataFrame) -> Plan:
    """Arrays from a PreparedTree frame and loaded updates (outside the timing)."""
    f = tree.frame
    ids = f["id"].to_numpy()
    n = len(ids)
    pos = pd.Series(np.arange(n), index=ids)
    pk = f["parent_key"].to_numpy()
    parent = np.where(pk == 0, n, pos.reindex(pk).fillna(n).to_numpy().astype("int64"))
    depth = f["depth"].to_numpy()
    weight = np.append(f["weight"].to_numpy(dtype="float64", na_value=1.0), 1.0)
    is_leaf = f["is_leaf"].to_numpy(dtype=bool)
    leaf_nodes = np.flatnonzero(is_leaf)

    def days(col: str) -> np.ndarray:
        d = f[col].to_numpy(dtype="datetime64[ns]")
        return np.append(np.where(np.isnat(d), np.nan, d.astype("datetime64[D]").astype("int64").astype("float64")),
                         np.nan)

    start, due = days("start"), days("due")
    leaf_due = due[leaf_nodes]
    leaf_pos = pd.Series(np.arange(len(leaf_nodes)), index=ids[leaf_nodes])
    u = updates[updates["item_id"].isin(leaf_pos.index)]
    u_day = u["as_of"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64")
    u_code = pd.Categorical(u["status"], categories=STATUS_KEYS).codes.astype("int64")
    levels = []
    for d in range(int(depth.max()), 0, -1):
        nodes = np.flatnonzero(depth == d)
        nodes = nodes[np.argsort(parent[nodes], kind="stable")]
        parents, starts = np.unique(parent[nodes], return_index=True)
        levels.append((nodes, parents, starts))
    u_leaf = leaf_pos.reindex(u["item_id"]).to_numpy()
    # Sorted once by (leaf, day), stable (the last one recorded on a day stays last), as
    # the roll-up's prepare_updates does once per data version.
    by = np.lexsort((u_day, u_leaf))
    return Plan(n, parent, weight, levels, leaf_nodes, leaf_due, start, due, ids, u_leaf[by], u_day[by], u_code[by],
                u["progress"].to_numpy(dtype="float64", na_value=np.nan)[by])


def expected(start: np.ndarray, due: np.ndarray, days: np.ndarray) -> np.ndarray:
    """GUIDE §3: clamp((D - start) / (due - start), 0, 1) x 100 (start = due: 0 before, 100 from); NaN without both."""
    span = (due - start)[:, None]
    elapsed = days[None, :] - start[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(span > 0, np.clip(elapsed / span, 0, 1) * 100.0, np.where(days[None, :] >= due[:, None], 100.0,
                                                                               0.0))
    return np.where(np.isnan(span), np.nan, e)


def roll_up(p: Plan, dates) -> dict[str, np.ndarray]:
    """Progress, status code, leaf counts per status, overdue count, expected progress and health of every node.

    Returns arrays of shape (n + 1, k) (``counts``: (n + 1, k, 6)), row n is the plan.
    """
    days = np.atleast_1d(pd.DatetimeIndex(dates).normalize().to_numpy().astype("datetime64[D]").astype("int64"))
    k = len(days)
    nl = len(p.leaf_nodes)
    low = min(int(p.u_day.min()), int(days.min()))
    width = max(int(p.u_day.max()), int(days.max())) - low + 1
    key = p.u_leaf * width + (p.u_day - low)  # sorted: the updates are in (leaf, day) order
    needles = (np.arange(nl)[:, None] * width + (days - low)[None, :]).ravel()
    at = np.searchsorted(key, needles, side="right") - 1
    hit = (at >= 0) & (key[np.maximum(at, 0)] // width == needles // width)
    src = np.maximum(at, 0)
    code = np.where(hit, p.u_code[src], PENDING).reshape(nl, k)
    prog = np.where(hit, np.nan_to_num(p.u_progress[src]), 0.0).reshape(nl, k)
    prog = np.where(code == COMPLETED, 100.0, prog)
    open_ = (code != COMPLETED) & (code != DEFERRED)
    overdue = open_ & (p.leaf_due[:, None] < days[None, :])

    m = p.n + 1
    P = np.zeros((m, k))
    S = np.zeros((m, k), dtype="int64")
    C = np.zeros((m, k, NK))
    OV = np.zeros((m, k))
    P[p.leaf_nodes] = prog
    S[p.leaf_nodes] = code
    C[p.leaf_nodes] = code[:, :, None] == np.arange(NK)
    OV[p.leaf_nodes] = overdue
    E = np.full((m, k), np.nan)
    E[p.leaf_nodes] = expected(p.start[p.leaf_nodes], p.due[p.leaf_nodes], days)
    for nodes, parents, starts in p.levels:
        c = S[nodes]
        w = p.weight[nodes][:, None]
        pr = P[nodes]
        counted = c != DEFERRED
        scored = counted & (c != PENDING)
        score_c = SCORE[c]

        def total(v: np.ndarray, starts: np.ndarray = starts) -> np.ndarray:
            # Children are sorted by parent: one contiguous block per parent.
            return np.add.reduceat(v, starts, axis=0)

        counts = total(C[nodes])
        n_all = counts.sum(axis=2)
        n_counted = n_all - counts[:, :, DEFERRED]
        n_completed = counts[:, :, COMPLETED]
        n_pending = total((c == PENDING).astype(float))
        w_c = total(np.where(counted, w, 0.0))
        wp_c = total(np.where(counted, w * pr, 0.0))
        p_c = total(np.where(counted, pr, 0.0))
        p_all = total(pr)
        n_s = total(scored.astype(float))
        w_s = total(np.where(scored, w, 0.0))
        ws_s = total(np.where(scored, w * score_c, 0.0))
        s_s = total(np.where(scored, score_c, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_c = np.where(w_c > 0, wp_c / w_c, p_c / n_counted)
            P[parents] = np.where(n_counted > 0, mean_c, p_all / n_all)
            score = np.where(w_s > 0, ws_s / w_s, s_s / n_s)
        S[parents] = np.select([n_counted == 0, n_completed == n_counted, n_pending == n_counted, score >= 2.5,
                                score >= 1.5], [DEFERRED, COMPLETED, PENDING, CODE["on_track"],
                                                CODE["some_disruption"]], default=CODE["major_disruption"])
        C[parents] = counts
        OV[parents] = total(OV[nodes])
        # Expected progress: own dates, else rolled up like progress over the children that have one.
        ex = E[nodes]
        has = ~np.isnan(ex)
        ex0 = np.where(has, ex, 0.0)
        e_ok = counted & has
        n_e = total(e_ok.astype(float))
        w_e = total(np.where(e_ok, w, 0.0))
        we_e = total(np.where(e_ok, w * ex0, 0.0))
        s_e = total(np.where(e_ok, ex0, 0.0))
        n_e_all = total(has.astype(float))
        s_e_all = total(ex0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rolled = np.where(n_counted > 0, np.where(w_e > 0, we_e / w_e, s_e / n_e), s_e_all / n_e_all)
        own = expected(p.start[parents], p.due[parents], days)
        E[parents] = np.where((np.isnan(p.start[parents]) | np.isnan(p.due[parents]))[:, None], rolled, own)
    # Schedule health of every node: done, blank (deferred), at risk (overdue leaf), else progress / expected.
    OVL = np.zeros((m, k), dtype=bool)
    OVL[p.leaf_nodes] = overdue
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = P / E
    # The cases last to first, each overwriting the later ones (cheaper than np.select's passes).
    H = np.where(ratio >= BEHIND_RATIO, np.int8(4), np.int8(2))
    np.putmask(H, ratio >= ON_SCHEDULE_RATIO, np.int8(3))
    np.putmask(H, ~((E > 0) & ~np.isnan(P)), np.int8(1))
    np.putmask(H, OVL, np.int8(2))
    np.putmask(H, S == DEFERRED, np.int8(1))
    np.putmask(H, S == COMPLETED, np.int8(0))
    return {"progress": P, "status": S, "counts": C, "overdue": OV, "expected": E, "health": H}


def check(p: Plan, out: dict[str, np.ndarray], table: pd.DataFrame, j: int = 0) -> None:
    """Stop unless ``out`` (date ``j``) gives ``rollup_table``'s progress, status and counts on every node."""
    by_id = table.set_index("id")
    ids = np.append(p.ids, 0)  # the plan row has id 0 (ROOT_ID)
    t = by_id.loc[ids]
    np.testing.assert_allclose(out["progress"][:, j], t["progress"].to_numpy(dtype="float64"), rtol=1e-9, atol=1e-9)
    assert (np.array(STATUS_KEYS, dtype=object)[out["status"][:, j]] == t["status"].astype(str).to_numpy()).all()
    for i, key in enumerate(STATUS_KEYS):
        assert (out["counts"][:, j, i] == t[f"n_{key}"].to_numpy(dtype="float64")).all(), key
    assert (out["counts"][:, j].sum(axis=1) == t["n_leaves"].to_numpy(dtype="float64")).all()
    assert (out["overdue"][:, j] == t["n_overdue"].to_numpy(dtype="float64")).all()
    np.testing.assert_allclose(out["expected"][:, j], t["expected_progress"].to_numpy(dtype="float64"), rtol=1e-9,
                               atol=1e-9)
    assert (HEALTH[out["health"][:, j]] == t["health"].astype(str).to_numpy()).all()
