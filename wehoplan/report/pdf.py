"""Lay a :class:`~wehoplan.report.build.Packet` out as a tagged PDF (PDF/UA-1) with Typst.

Typst (the ``typst`` package: the compiler itself, no TeX, no browser, nothing fetched)
compiles ``packet.typ`` with the packet's content passed as one JSON input, so user text
is data to the layout and never markup. The PDF is tagged and checked against PDF/UA-1
by the compiler (document title, language, alt text of every chart), fonts are embedded
(subsets of DejaVu Sans), and the charts are vector SVG drawn offline by ``vl-convert``
from the same Altair specs the app shows.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import pandas as pd

from wehoplan import charts
from wehoplan.domain import HEALTH_COLOURS, STATUS_COLOURS
from wehoplan.report.build import Packet, day_text, pct_text
from wehoplan.report.changes import CHANGE_KINDS

#: At most this many rows per change list and in the appendix: a packet is read in a
#: meeting; the Changes page and its CSV have every row.
MAX_ROWS = 30
MAX_ATTENTION = 60
CHART_FONT = "DejaVu Sans"


def _colour(status_key: str) -> str:
    return STATUS_COLOURS.get(status_key, "#ffffff")


def _colour_of_label(label: str) -> str:
    from wehoplan.domain import STATUS_LABELS

    by_label = {v: STATUS_COLOURS[k] for k, v in STATUS_LABELS.items()}
    return by_label.get(label, "#ffffff")


def chart_svg(chart: charts.AnyChart, width: int) -> str:
    """An Altair chart as SVG, drawn offline by vl-convert at ``width`` pixels, in the packet's font."""
    import vl_convert as vlc

    spec = chart.properties(width=width).to_dict()
    spec.setdefault("config", {})["font"] = CHART_FONT
    return vlc.vegalite_to_svg(spec)


def _progress_alt(p: Packet) -> str:
    rows = p.table[p.table["depth"] == 1]
    parts = [f"{c} {t}: {pct_text(v)}" + ("" if pd.isna(e) else f" (expected {pct_text(e)})")
             for c, t, v, e in zip(rows["code"], rows["title"], rows["progress"], rows["expected_progress"],
                                   strict=True)]
    return "Bar chart of progress by strategy. " + ("; ".join(parts) or "No strategies.")


def _status_alt(p: Packet) -> str:
    parts = [f"{label}: {n}" for label, n in zip(p.status_counts["label"], p.status_counts["n"], strict=True) if n]
    return "Donut chart of actions by status. " + ("; ".join(parts) or "No actions.")


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 1)


def _items(frame: pd.DataFrame) -> list[dict]:
    return [{
        "code": r.code, "title": r.title, "status_label": r.status_label, "colour": _colour(r.status),
        "health_label": r.health_label, "health_colour": HEALTH_COLOURS.get(r.health, "#ffffff"),
        "progress": _num(r.progress), "expected_progress": _num(r.expected_progress),
        "progress_text": pct_text(r.progress), "expected_text": pct_text(r.expected_progress),
        "owner": r.owner or "no owner", "department": r.department or "no lead department",
        "who": " · ".join(x for x in (r.owner, r.department) if x) or "–",
        "narrative": r.narrative, "n_leaves": int(r.n_leaves), "n_completed": int(r.n_completed),
        "n_overdue": int(r.n_overdue),
    } for r in frame.itertuples(index=False)]


def _change_cell(status: str, progress) -> str:
    if not status and (progress is None or pd.isna(progress)):
        return ""
    return f"{status}, {pct_text(progress)}" if status else pct_text(progress)


def _changes(p: Packet) -> list[dict]:
    out = []
    for kind, heading in CHANGE_KINDS:
        rows = p.changes[p.changes["kind"] == kind]
        shown = rows.head(MAX_ROWS)
        out.append({
            "heading": heading, "total": len(rows), "more": len(rows) - len(shown),
            "rows": [{"code": r["Code"], "title": r["Title"], "level": r["Level"],
                      "before": _change_cell(r["Status before"], r["Progress before"]),
                      "after": _change_cell(r["Status after"], r["Progress after"]),
                      "points": "" if pd.isna(r["Points"]) else f"{r['Points']:+.1f}",
                      "owner": r["Owner"]} for _, r in shown.iterrows()],
        })
    return out


def _attention(p: Packet) -> dict:
    a = p.attention
    shown = a.head(MAX_ATTENTION)
    return {"more": len(a) - len(shown), "rows": [{
        "code": r["Code"], "title": r["Title"], "why": r["Why"][:1].upper() + r["Why"][1:], "status": r["Status"] or "",
        "colour": _colour_of_label(r["Status"]), "progress": pct_text(r["Progress"]), "due": day_text(r["Due"]),
        "owner": " · ".join(x for x in (r["Owner"], r["Department"]) if x),
    } for _, r in shown.iterrows()]}


def _measures(p: Packet) -> dict | None:
    if p.measures is None:
        return None
    m = p.measures
    return {"columns": [str(c) for c in m.columns],
            "rows": [["" if pd.isna(v) else str(v) for v in row] for row in m.itertuples(index=False)]}


def packet_data(p: Packet) -> dict:
    """The JSON content ``packet.typ`` lays out (plain strings, numbers and lists)."""
    strategies = _items(p.strategies)
    by_parent = p.initiatives.groupby("parent_id", sort=False)
    for s, sid in zip(strategies, p.strategies["id"], strict=True):
        s["initiatives"] = _items(by_parent.get_group(sid)) if sid in by_parent.groups else []
    return {
        "title": f"{p.plan_name}: status report as of {day_text(p.as_of)}",
        "plan": p.plan_name, "as_of": day_text(p.as_of), "since": day_text(p.since), "since_reason": p.since_reason,
        "filters": p.filters.describe().replace("no filters", "the whole plan (no filters)"),
        "made_by": p.made_by or "wehoplan", "made_at": f"{day_text(p.made_at)} {p.made_at:%H:%M}",
        "demo": p.demo_note, "source_note": "",
        "levels": list(p.level_names) + ["Item"] * max(0, 2 - len(p.level_names)),
        "headline": [{"label": h.label, "value": h.value, "detail": h.detail} for h in p.headline],
        "status_counts": [{"label": r.label, "n": int(r.n), "colour": _colour(r.status)}
                          for r in p.status_counts.itertuples(index=False)],
        "health_counts": None if p.health_counts is None else [
            {"label": r.label, "n": int(r.n), "colour": HEALTH_COLOURS[r.health]}
            for r in p.health_counts.itertuples(index=False)],
        "charts": {"progress": chart_svg(p.progress_chart, 560), "status": chart_svg(p.status_chart, 170),
                   "progress_alt": _progress_alt(p), "status_alt": _status_alt(p)},
        "strategies": strategies,
        "changes": _changes(p),
        "measures": _measures(p),
        "attention": _attention(p),
        "stale_days": p.thresholds.stale_days,
        "on_schedule_pct": f"{p.thresholds.on_schedule_ratio * 100:g}\u00a0%",
        "behind_pct": f"{p.thresholds.behind_ratio * 100:g}\u00a0%",
    }


def render(p: Packet) -> bytes:
    """The packet as PDF bytes: tagged, PDF/UA-1, language English, fonts embedded."""
    import typst

    source = resources.files("wehoplan.report").joinpath("packet.typ").read_bytes()
    made = p.made_at if p.made_at.tzinfo else p.made_at.replace(tzinfo=dt.UTC)
    out = typst.compile(source, format="pdf", sys_inputs={"data": json.dumps(packet_data(p))},
                        pdf_standards=["ua-1"], timestamp=made)
    if not isinstance(out, bytes):  # one PDF, never a list of pages
        raise TypeError("typst returned pages instead of one PDF")
    return out
