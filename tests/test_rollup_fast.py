"""The fast prepare_tree gives exactly what the original, per-item version gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wehoplan import repository, rollup
from wehoplan.db import make_engine
from wehoplan.domain import code_sort_key
from wehoplan.generate import generate_plan
from wehoplan.rollup import ROOT_ID, prepare_tree


def _reference_prepare_tree(items: pd.DataFrame) -> pd.DataFrame:
    """Add structure and inherited values to a plan's items.

    Adds ``depth`` (1 = top level), ``is_leaf``, ``parent_key`` (0 for top level),
    ``order`` (outline order), ``top_code`` (the strategy's code), the effective
    ``owner``/``department``/``partners``/``smart`` (own value, else the nearest
    ancestor's; originals kept as ``own_*``), and ``path_codes``/``path_text`` used
    by filters. Archived items and everything under them are dropped.
    """
    if "depth" in items.columns:
        return items
    df = items[~items["archived"]] if "archived" in items.columns else items
    ids = set(df["id"].tolist())
    # Drop children whose parent is archived or missing, repeatedly (whole subtrees).
    while True:
        orphan = df["parent_id"].notna() & ~df["parent_id"].isin(ids)
        if not orphan.any():
            break
        df = df[~orphan]
        ids = set(df["id"].tolist())

    parent = dict(zip(df["id"], df["parent_id"].astype("float64").fillna(ROOT_ID).astype("int64"), strict=True))
    records = df.set_index("id")
    inherit = {
        "owner": records["owner"], "department": records["department"],
        "partners": records["partners"], "smart": records["smart"],
    }

    def blank(v: object) -> bool:
        return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or str(v).strip() == ""

    depth: dict[int, int] = {}
    eff: dict[str, dict[int, object]] = {k: {} for k in inherit}
    path_codes: dict[int, str] = {}
    path_text: dict[int, str] = {}
    code = records["code"].to_dict()
    title = records["title"].to_dict()
    own = {k: v.to_dict() for k, v in inherit.items()}

    def visit(i: int) -> None:
        p = parent[i]
        if p != ROOT_ID and p not in depth:
            visit(p)
        depth[i] = 1 if p == ROOT_ID else depth[p] + 1
        pc = "|" if p == ROOT_ID else path_codes[p]
        path_codes[i] = f"{pc}{code[i]}|"
        path_text[i] = ("" if p == ROOT_ID else path_text[p] + " ") + f"{code[i]} {title[i]}"
        own_dept = own["department"][i]
        for k in inherit:
            v = own[k][i]
            # Partners travel with the lead department: inherited together or not at all.
            if k == "partners":
                v = v if not blank(own_dept) else (eff[k].get(p) if p != ROOT_ID else v)
            elif blank(v) and p != ROOT_ID:
                v = eff[k][p]
            eff[k][i] = None if blank(v) else v

    for i in parent:
        if i not in depth:
            visit(i)

    has_children = set(parent.values())
    order = sorted(parent, key=lambda i: code_sort_key(code[i]))
    out = df.assign(
        **{f"own_{k}": df[k] for k in inherit},
        owner=df["id"].map(eff["owner"]),
        department=df["id"].map(eff["department"]),
        partners=df["id"].map(eff["partners"]),
        smart=df["id"].map(eff["smart"]).fillna(""),
        parent_key=df["id"].map(parent).astype("int64"),
        depth=df["id"].map(depth).astype("int64"),
        is_leaf=~df["id"].isin(has_children),
        order=df["id"].map({i: n for n, i in enumerate(order)}).astype("int64"),
        path_codes=df["id"].map(path_codes),
        path_text=df["id"].map(path_text),
    )
    out = out.assign(top_code=out["path_codes"].str.split("|").str[1])
    return out.sort_values("order").reset_index(drop=True)



def _items(rows: list[dict]) -> pd.DataFrame:
    base = {"owner": None, "department": None, "partners": None, "smart": "", "archived": False,
            "weight": 1.0, "title": "t"}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_same_tree_as_the_reference_on_the_demo_plans(demo_engine):
    for plan_id in repository.list_plans(demo_engine)["id"]:
        items = repository.load_items(demo_engine, int(plan_id))
        pd.testing.assert_frame_equal(prepare_tree(items), _reference_prepare_tree(items))


def test_same_tree_as_the_reference_on_a_generated_plan(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    made = generate_plan(engine, actions=300, months=2, seed=5)
    for archived in (False, True):
        items = repository.load_items(engine, made.plan_id, include_archived=archived)
        pd.testing.assert_frame_equal(prepare_tree(items), _reference_prepare_tree(items))


@pytest.mark.parametrize("blank", [None, np.nan, "", "  "])
def test_same_tree_as_the_reference_on_awkward_items(blank):
    # Deeper than three levels, children listed before parents, blanks of every kind,
    # partners without a department, an archived branch, codes that sort as numbers.
    items = _items([
        {"id": 5, "parent_id": 2, "code": "1.10.1", "department": blank, "partners": "X"},
        {"id": 1, "parent_id": None, "code": "1", "owner": "Ana", "department": "Works", "partners": "P; Q",
         "smart": "MA"},
        {"id": 2, "parent_id": 1, "code": "1.10", "owner": blank, "smart": blank},
        {"id": 3, "parent_id": 1, "code": "1.9", "department": "Parks", "partners": blank, "owner": "Ben"},
        {"id": 4, "parent_id": 5, "code": "1.10.1.1", "owner": " ", "smart": "T"},
        {"id": 6, "parent_id": None, "code": "2", "department": blank, "partners": "Lonely"},
        {"id": 7, "parent_id": 6, "code": "2.1", "archived": True},
        {"id": 8, "parent_id": 7, "code": "2.1.1"},
        {"id": 9, "parent_id": 6, "code": "2.2", "title": None},
    ]).astype({"parent_id": "Int64"})
    pd.testing.assert_frame_equal(prepare_tree(items), _reference_prepare_tree(items))
    tree = prepare_tree(items).set_index("code")
    assert tree.loc["1.10.1.1", "owner"] == "Ana" and tree.loc["1.10.1.1", "depth"] == 4
    assert "2.1.1" not in tree.index  # under an archived item


@pytest.mark.parametrize("seed", range(6))
def test_asof_lookup_equals_merge_asof(seed, monkeypatch):
    from wehoplan.rollup import _merge_asof_by_id

    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, 300), unit="D")
    if seed % 2:  # times of day: the lookup must hand over to merge_asof and agree
        days = days + pd.to_timedelta(rng.integers(0, 86_400, 300), unit="s")
    right = pd.DataFrame({"id": rng.integers(1, 40, 300), "when": days,
                          "status": pd.array(rng.choice(["on_track", "completed"], 300), dtype="str"),
                          "progress": rng.uniform(0, 100, 300)})
    right = right.drop_duplicates(["id", "when"]).sort_values("when", kind="stable")
    snaps = pd.date_range("2019-12-31", periods=14, freq="ME")
    leaf_ids = rng.permutation(np.arange(0, 45))  # the grid keeps the leaves' own order
    left = (pd.DataFrame({"snap": snaps}).merge(pd.DataFrame({"id": leaf_ids}), how="cross")
            .sort_values("snap", kind="stable").reset_index(drop=True))
    expected = pd.merge_asof(left, right, left_on="snap", right_on="when", by="id", direction="backward")
    if seed % 2 == 0:  # whole days: the searchsorted path must answer, not merge_asof
        monkeypatch.setattr(rollup.pd, "merge_asof", None)
    got = _merge_asof_by_id(left, right, "when", leaf_ids, len(snaps))
    monkeypatch.undo()
    assert _merge_asof_by_id(left, right, "when") is not None  # the general fallback
    assert got["when"].notna().any() and got["when"].isna().any()
    pd.testing.assert_frame_equal(got, expected)
