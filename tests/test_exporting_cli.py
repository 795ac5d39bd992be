"""`python -m wehoplan export`, the same extract as the app, and the round trip through import."""

import io
import re

import openpyxl
import pandas as pd
import pytest

from wehoplan import exporting, repository
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.importing import import_files
from wehoplan.rollup import prepare_tree, rollup

ISSUE_ARGS = ["--plan", "smart city", "--department", "Public Works", "--smart", "M", "--as-of", "2020-10-15"]


def sheet_values(data_or_path, sheet: str) -> list[tuple]:
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    ws = openpyxl.load_workbook(src, read_only=True)[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_export_writes_the_filtered_extract_of_the_issue(capsys, demo_url, demo_engine, tmp_path):
    out = tmp_path / "extract.xlsx"
    assert main(["export", str(out), "--db", demo_url, *ISSUE_ARGS]) == 0
    assert "6 actions" in capsys.readouterr().out
    rows = sheet_values(out, "Actions")
    header, body = rows[0], rows[1:]
    codes = [r[header.index("Code")] for r in body]
    plan = repository.resolve_plan(demo_engine, "smart city")
    tree = prepare_tree(repository.load_items(demo_engine, plan.id))
    want = rollup(tree, repository.load_updates(demo_engine, plan.id), "2020-10-15",
                  Filters(department=("Public Works",), smart=("M",)))
    assert codes == want.loc[want["is_leaf"], "code"].tolist()


def test_the_app_and_the_cli_write_the_same_extract(demo_url, demo_engine, tmp_path):
    """The pages call extract_bytes with the sidebar's Filters, rebuilt from the URL."""
    out = tmp_path / "cli.xlsx"
    assert main(["export", str(out), "--db", demo_url, *ISSUE_ARGS]) == 0
    plan = repository.resolve_plan(demo_engine, "smart city")
    filters = Filters.from_query({"department": ["Public Works"], "smart": ["M"]})
    app_bytes = exporting.extract_bytes(prepare_tree(repository.load_items(demo_engine, plan.id)),
                                        repository.load_updates(demo_engine, plan.id), plan,
                                        pd.Timestamp("2020-10-15"), filters)
    def drop_generated(rows):
        # The two files are written moments apart: their "generated" times may differ by a minute.
        return [[re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d", "generated …", c) if isinstance(c, str) else c
                 for c in r] for r in rows if not (r and str(r[0]).startswith("Generated"))]

    for sheet in ("Actions", "Roll-up", "Executive", "Updates"):
        assert drop_generated(sheet_values(out, sheet)) == drop_generated(sheet_values(app_bytes, sheet)), sheet

    assert drop_generated(sheet_values(out, "About")) == drop_generated(sheet_values(app_bytes, "About"))


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["export", "x.pdf", "--plan", "smart"], 2, "must end in .xlsx or .csv"),
        (["export", "x.xlsx", "--plan", "nowhere"], 1, "no plan matches"),
        (["export", "x.xlsx", "--plan", "smart", "--status", "green"], 2, "unknown status"),
    ],
)
def test_export_errors(capsys, demo_url, tmp_path, argv, code, message):
    argv = [argv[0], str(tmp_path / argv[1]), "--db", demo_url, *argv[2:]]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("as_of", ["2019-06-30", "2020-10-15"])
def test_an_exported_plan_imports_back_into_an_equal_plan(demo_engine, empty_url, as_of):
    plan = repository.resolve_plan(demo_engine, "smart city")
    tree = prepare_tree(repository.load_items(demo_engine, plan.id))
    ups = repository.load_updates(demo_engine, plan.id)
    data = exporting.extract_bytes(tree, ups, plan, pd.Timestamp(as_of))
    target = make_engine(empty_url)
    rep = import_files(target, [("extract.xlsx", data)], plan_name="Round trip", as_of=pd.Timestamp(as_of).date())
    assert rep.ok, rep.lines()
    back = repository.resolve_plan(target, "Round trip")
    got = rollup(prepare_tree(repository.load_items(target, back.id)), repository.load_updates(target, back.id), as_of)
    want = rollup(tree, ups, as_of)
    cols = ["code", "title", "depth", "is_leaf", "status", "n_leaves", "n_completed", "n_overdue"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    pd.testing.assert_series_equal(got["progress"].round(6), want["progress"].round(6), check_dtype=False)
    leaf = want["is_leaf"]
    for c in ("owner", "department", "smart", "start", "due"):
        pd.testing.assert_series_equal(got.loc[leaf, c], want.loc[leaf, c], check_dtype=False, check_names=False)


def test_the_csv_extract_imports_back_with_the_same_progress(demo_engine, empty_url):
    plan = repository.resolve_plan(demo_engine, "smart city")
    tree = prepare_tree(repository.load_items(demo_engine, plan.id))
    ups = repository.load_updates(demo_engine, plan.id)
    data = exporting.extract_bytes(tree, ups, plan, pd.Timestamp("2020-10-15"), fmt="csv")
    assert b'"1.3.1",' in data and b",70.0," in data  # 1.3.1 stood at 70 % that day
    target = make_engine(empty_url)
    rep = import_files(target, [("extract.csv", data)], plan_name="From CSV", as_of=pd.Timestamp("2020-10-15").date())
    assert rep.ok, rep.lines()
    back = repository.resolve_plan(target, "From CSV")
    got = rollup(prepare_tree(repository.load_items(target, back.id)), repository.load_updates(target, back.id),
                 "2020-10-15")
    want = rollup(tree, ups, "2020-10-15")
    assert got.set_index("code")["progress"].round(6).to_dict() == want.set_index("code")["progress"].round(6).to_dict()
