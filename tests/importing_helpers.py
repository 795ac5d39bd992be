"""Small legacy workbooks and CSVs written by the importing tests."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
from sqlalchemy import text

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.rollup import prepare_tree


def xlsx(sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = (),
         pct: dict[str, list[str]] | None = None, merge: dict[str, list[str]] | None = None) -> bytes:
    """Workbook bytes: sheet name -> rows; cells listed in ``pct`` get a % number format."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
        for ref in (pct or {}).get(name, []):
            ws[ref].number_format = "0%"
        for rng in (merge or {}).get(name, []):
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts(url: str) -> dict[str, int]:
    """Rows in every table an import writes to."""
    eng = make_engine(url)
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("plans", "items", "updates", "import_batches", "audit", "item_partner_departments")}


def tree(url: str, plan: str) -> pd.DataFrame:
    """code, parent code, level, title, own department/owner/smart, start, due of a plan, in outline order."""
    eng = make_engine(url)
    p = repository.resolve_plan(eng, plan)
    items = repository.load_items(eng, p.id)
    codes = dict(zip(items["id"], items["code"], strict=True))
    return pd.DataFrame({
        "code": items["code"],
        "parent": pd.Series([codes.get(int(x)) if pd.notna(x) else None for x in items["parent_id"]], dtype=object),
        "level": items["level"], "title": items["title"],
        "department": items["department"], "owner": items["owner"], "smart": items["smart"],
        "start": items["start"], "due": items["due"],
    })


def leaf_updates(url: str, plan: str) -> pd.DataFrame:
    """code, as_of, status, progress, comment of every update of the plan."""
    eng = make_engine(url)
    p = repository.resolve_plan(eng, plan)
    items = repository.load_items(eng, p.id)
    ups = repository.load_updates(eng, p.id)
    m = ups.merge(items[["id", "code"]].rename(columns={"id": "item_id"}), on="item_id")
    return m[["code", "as_of", "status", "progress", "comment"]].sort_values(["code", "as_of"]).reset_index(drop=True)


def prepared(url: str, plan: str) -> pd.DataFrame:
    """The prepared tree (effective values) of a plan."""
    eng = make_engine(url)
    p = repository.resolve_plan(eng, plan)
    return prepare_tree(repository.load_items(eng, p.id)).frame
