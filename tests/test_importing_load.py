"""Loading: idempotent re-import, undo, snapshot history, round trip of an extract, a large file."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import xlsxwriter
from importing_helpers import counts, leaf_updates, prepared, tree
from sqlalchemy import text

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.domain import STATUS_LABELS
from wehoplan.importing import import_files, list_batches, undo_import
from wehoplan.rollup import prepare_tree, rollup

D = dt.date
V1 = ("Code,Title,Lead Department,Owner,Due,Status,% Complete,Comment\n"
      "1,Streets,Public Works,,,,,\n"
      "1.1,Crash dashboard,IT,Ann,2020-06-30,on track,40,started\n"
      "1.2,Speed humps,Public Works,Bo,2020-09-30,not started,0,\n"
      "2,Data,IT,,,,,\n"
      "2.1,Open data portal,IT,Cy,2020-12-31,delayed,20,vendor late\n")


def test_reimporting_the_same_file_adds_nothing(empty_url):
    eng = make_engine(empty_url)
    first = import_files(eng, [("v1.csv", V1.encode())], plan_name="P", as_of=D(2020, 3, 31))
    assert (first.items_created, first.updates_added) == (5, 3)
    before = counts(empty_url)
    again = import_files(eng, [("v1.csv", V1.encode())], plan_name="P", as_of=D(2020, 3, 31))
    assert again.ok and (again.items_created, again.items_updated, again.updates_added) == (0, 0, 0)
    assert again.batch_id is None
    assert counts(empty_url) == before
    assert any("nothing new" in w.message for w in again.warnings)


def test_dry_run_counts_but_writes_nothing(empty_url):
    rep = import_files(make_engine(empty_url), [("v1.csv", V1.encode())], plan_name="P", dry_run=True)
    assert rep.ok and (rep.items_created, rep.updates_added) == (5, 3)
    assert all(n == 0 for n in counts(empty_url).values())


def test_changes_are_audited_and_undo_restores_exactly(empty_url):
    eng = make_engine(empty_url)
    b1 = import_files(eng, [("v1.csv", V1.encode())], plan_name="P", as_of=D(2020, 3, 31), author="ann")
    tree1, ups1 = tree(empty_url, "P"), leaf_updates(empty_url, "P")
    v2 = (V1.replace("Crash dashboard", "Crash data dashboard").replace("1.2,Speed humps,Public Works,Bo",
                                                                       "1.2,Speed humps,Transit,Di")
          .replace("2.1,Open data portal", "2.1,Open data portal").replace("delayed,20", "on track,60")
          .replace("1,Streets,Public Works,,,,,\n", "1,Streets,Public Works,,,,,\n1.3,Bike lanes,Transit,Eve,,,,\n"))
    v2 = "\n".join(line for line in v2.splitlines() if not line.startswith("2,") and not line.startswith("2.1")) + "\n"
    v2 += "2,Data,IT,,,,,\n2.1,Open data portal,IT,Cy,2020-12-31,on track,60,caught up\n"
    b2 = import_files(eng, [("v2.csv", v2.encode())], plan_name="P", as_of=D(2020, 6, 30), author="bo")
    assert b2.ok and (b2.items_created, b2.items_updated) == (1, 2)
    t2 = tree(empty_url, "P").set_index("code")
    assert t2.loc["1.1", "title"] == "Crash data dashboard" and t2.loc["1.2", "department"] == "Transit"
    with eng.connect() as c:
        audit = pd.read_sql(text("SELECT action, field, old_value, new_value FROM audit WHERE batch_id = :b"), c,
                            params={"b": b2.batch_id})
    assert {("update", "title", "Crash dashboard", "Crash data dashboard"),
            ("update", "department", "Public Works", "Transit")} <= set(map(tuple, audit.to_numpy().tolist()))
    assert list_batches(eng)["id"].tolist() == [b2.batch_id, b1.batch_id]

    res = undo_import(eng, b2.batch_id, author="admin")
    assert res["items_removed"] == 1 and res["updates_removed"] > 0
    pd.testing.assert_frame_equal(tree(empty_url, "P"), tree1)
    pd.testing.assert_frame_equal(leaf_updates(empty_url, "P"), ups1)
    assert list_batches(eng).set_index("id").loc[b2.batch_id, "undone_at"] is not None

    undo_import(eng, b1.batch_id)
    c = counts(empty_url)
    assert (c["plans"], c["items"], c["updates"]) == (0, 0, 0)
    assert c["import_batches"] == 2  # the history stays


def test_snapshot_series_builds_trend_history(empty_url):
    eng = make_engine(empty_url)
    for as_of, (s, p) in [(D(2020, 3, 31), ("not started", 0)), (D(2020, 6, 30), ("on track", 40)),
                          (D(2020, 9, 30), ("complete", 100))]:
        data = f"Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,{s},{p}\n1.2,Other,on track,{p // 2}\n"
        assert import_files(eng, [(f"q-{as_of}.csv", data.encode())], plan_name="Snap", as_of=as_of).ok
    plan = repository.resolve_plan(eng, "Snap")
    t = prepare_tree(repository.load_items(eng, plan.id))
    ups = repository.load_updates(eng, plan.id)
    series = [rollup(t, ups, pd.Timestamp(d)).set_index("code").loc["1", "progress"]
              for d in (D(2020, 3, 31), D(2020, 6, 30), D(2020, 9, 30))]
    assert series == [0.0, 30.0, 75.0]
    assert len(ups) == 6  # every quarter's state of both leaves is kept as history


def _extract(url: str, plan: str, as_of: pd.Timestamp) -> bytes:
    """An extract shaped like the Export engineer's: About, Actions (one row per leaf), Roll-up."""
    eng = make_engine(url)
    p = repository.resolve_plan(eng, plan)
    t = prepare_tree(repository.load_items(eng, p.id)).frame
    table = rollup(t, repository.load_updates(eng, p.id), as_of)
    by_id = table.set_index("id")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_urls": False})
    pct = wb.add_format({"num_format": "0%"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    about = wb.add_worksheet("About")
    about.write(0, 0, f"{plan} as of {as_of.date()}")
    about.write(2, 0, "Filters: none")
    ws = wb.add_worksheet("Actions")
    head = ["Strategy code", "Strategy", "Initiative code", "Initiative", "Code", "Title", "Owner", "Department",
            "SMART values", "Start", "Due", "Status", "Progress", "Expected progress", "Overdue", "Latest comment",
            "Comment date"]
    ws.write_row(0, 0, head)
    r = 1
    for _, row in table[table["is_leaf"]].iterrows():
        path = [by_id.loc[i] for i in _ancestors(t, row["id"])]
        s, i = [*path, None, None][:2]
        vals = [s["code"] if s is not None else None, s["title"] if s is not None else None,
                i["code"] if i is not None else None, i["title"] if i is not None else None,
                row["code"], row["title"], row["owner"], row["department"], row["smart"]]
        ws.write_row(r, 0, [None if pd.isna(v) else v for v in vals])
        for c, d in ((9, row["start"]), (10, row["due"]), (16, row["comment_date"])):
            if pd.notna(d):
                ws.write_datetime(r, c, d.to_pydatetime(), date)
        ws.write(r, 11, STATUS_LABELS[row["status"]])
        ws.write_number(r, 12, row["progress"] / 100, pct)
        if pd.notna(row["expected_progress"]):
            ws.write_number(r, 13, row["expected_progress"] / 100, pct)
        ws.write(r, 14, "yes" if row["overdue"] else "")
        if pd.notna(row["comment"]):
            ws.write(r, 15, row["comment"])
        r += 1
    ru = wb.add_worksheet("Roll-up")
    ru.write_row(0, 0, ["Code", "Title", "Level", "Progress", "Status", "Leaves"])
    for k, (_, row) in enumerate(table.iterrows(), start=1):
        ru.write_row(k, 0, [row["code"], row["title"], row["level"], row["progress"] / 100,
                            STATUS_LABELS[row["status"]], int(row["n_leaves"])])
    wb.close()
    return buf.getvalue()


def _ancestors(t: pd.DataFrame, item_id: int) -> list[int]:
    parent = dict(zip(t["id"], t["parent_id"], strict=True))
    out, p = [], parent[item_id]
    while pd.notna(p):
        out.insert(0, int(p))
        p = parent[int(p)]
    return out


def test_an_extract_imports_back_into_an_equal_plan(demo_url, empty_url):
    as_of = pd.Timestamp("2020-10-31")
    data = _extract(demo_url, SMART_CITY, as_of)
    eng = make_engine(empty_url)
    rep = import_files(eng, [("extract.xlsx", data)], plan_name="Round trip", as_of=as_of)
    assert rep.ok, rep.lines()
    assert any("'Roll-up' holds a different kind of table" in w.message for w in rep.warnings)
    src = prepared(demo_url, SMART_CITY)
    back = prepared(empty_url, "Round trip")
    leaves = src["is_leaf"]
    assert back["code"].tolist() == src["code"].tolist()
    assert back["title"].tolist() == src["title"].tolist()
    assert back["depth"].tolist() == src["depth"].tolist()
    s_leaf, b_leaf = src[leaves].set_index("code"), back[back["is_leaf"]].set_index("code")
    for c in ("owner", "department", "smart", "start", "due"):
        assert s_leaf[c].fillna("").astype(str).to_dict() == b_leaf[c].fillna("").astype(str).to_dict(), c
    p_src = repository.resolve_plan(make_engine(demo_url), SMART_CITY)
    p_back = repository.resolve_plan(eng, "Round trip")
    r_src = rollup(src, repository.load_updates(make_engine(demo_url), p_src.id), as_of)
    r_back = rollup(back, repository.load_updates(eng, p_back.id), as_of)
    pd.testing.assert_frame_equal(r_back[["code", "status", "progress"]].reset_index(drop=True),
                                  r_src[["code", "status", "progress"]].reset_index(drop=True))


def test_a_few_thousand_rows_import(empty_url):
    lines = ["Code,Title,Department,Owner,Due,Status,Progress"]
    for s in range(1, 11):
        lines.append(f"{s},Strategy {s},Dept {s},,,,")
        for i in range(1, 21):
            lines.append(f"{s}.{i},Initiative {s}.{i},Dept {s},,,,")
            for a in range(1, 16):
                lines.append(f"{s}.{i}.{a},Action {a},Dept {s},Owner {a},2021-06-30,on track,{(a * 7) % 100}")
    rep = import_files(make_engine(empty_url), [("big.csv", "\n".join(lines).encode())], plan_name="Big",
                       as_of=D(2021, 1, 1))
    assert rep.ok and rep.items_created == 3210 and rep.updates_added == 3000


def test_an_extract_imported_onto_its_own_plan_keeps_its_level_names(fresh_url):
    from wehoplan.demo import INNOVATIONS

    as_of = pd.Timestamp("2016-12-31")
    eng = make_engine(fresh_url)
    before = tree(fresh_url, INNOVATIONS)
    rep = import_files(eng, [("extract.xlsx", _extract(fresh_url, INNOVATIONS, as_of))], plan_name=INNOVATIONS,
                       as_of=as_of)
    assert rep.ok and rep.items_created == 0
    after = tree(fresh_url, INNOVATIONS)
    cols = ["code", "parent", "level", "title"]
    pd.testing.assert_frame_equal(after[cols], before[cols])
    undo_import(eng, rep.batch_id)
    pd.testing.assert_frame_equal(tree(fresh_url, INNOVATIONS), before)


def test_undo_refuses_while_later_work_depends_on_the_batch(empty_url):
    import pytest

    from wehoplan.importing import UndoRefused

    eng = make_engine(empty_url)
    b1 = import_files(eng, [("v1.csv", V1.encode())], plan_name="P", as_of=D(2020, 3, 31))
    b2 = import_files(eng, [("v1.csv", V1.replace("delayed,20", "on track,50").encode())], plan_name="P",
                      as_of=D(2020, 6, 30))
    assert b2.updates_added == 3  # every leaf's state as of the new date, one of them changed
    with pytest.raises(UndoRefused, match="received updates"):
        undo_import(eng, b1.batch_id)
    undo_import(eng, b2.batch_id)
    with pytest.raises(UndoRefused, match="already undone"):
        undo_import(eng, b2.batch_id)
    undo_import(eng, b1.batch_id)
    assert counts(empty_url)["items"] == 0


def test_undated_reimport_on_another_day_adds_nothing(empty_url):
    eng = make_engine(empty_url)
    data = b"Code,Title,Status,Progress\n1,A,on track,40\n2,B,on track,10\n"
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert import_files(eng, [("u.csv", data)], plan_name="U", as_of=yesterday).updates_added == 2
    again = import_files(eng, [("u.csv", data.replace(b"B,on track,10", b"B,on track,30"))], plan_name="U")
    assert again.updates_added == 1  # only the changed leaf gets a new update, dated today
    assert leaf_updates(empty_url, "U")["progress"].tolist() == [40.0, 10.0, 30.0]
    dated = import_files(eng, [("u.csv", data)], plan_name="U", as_of=dt.date.today())
    assert dated.updates_added == 2  # with an explicit --as-of, every leaf's snapshot state is recorded
