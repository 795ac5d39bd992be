"""Benchmark: the council packet of the 10k-action plan against the two roll-ups it compares (target <= 3x).

Operation: ``report.render(report.build_packet(items, updates, plan, as_of))``: both
roll-ups (as-of date and 90 days before), the changes diff, the narratives, the charts
drawn by vl-convert, and Typst laying out and writing the tagged PDF/UA-1 bytes.

Floor: the two ``rollup_table`` calls alone (as-of date and comparison date, no filters)
plus Typst compiling a one-page tagged document with one table. A packet that compares
two dates cannot cost less than evaluating the plan at both, and any Typst PDF pays the
compiler's start and font loading. Data loaded once, outside the timing. A second line
gives the packet's own seconds against the "a few seconds" of the issue (target <= 5 s,
against a floor of 1 s: the ratio is the seconds).
"""

from __future__ import annotations

import pandas as pd
from common import args, line, paired  # common puts the repo on sys.path

from wehoplan import report, repository
from wehoplan.db import make_engine
from wehoplan.rollup import Thresholds, prepare_tree, rollup_table

MINIMAL = b"""#set document(title: "floor")
#set text(lang: "en", font: "DejaVu Sans")
= Floor
#table(columns: 2, table.header([A], [B]), [1], [2])
"""


def main() -> None:
    import typst

    ns = args(__doc__)
    engine = make_engine(f"sqlite:///{ns.db}")
    plan = repository.resolve_plan(engine, None)
    items = repository.load_items(engine, plan.id, include_archived=True)
    updates = repository.load_updates(engine, plan.id)
    as_of = repository.default_as_of(updates, items[~items["archived"]])
    since = as_of - pd.Timedelta(days=90)
    th = Thresholds()
    pages: list[int] = []

    def op() -> None:
        pdf = report.render(report.build_packet(items, updates, plan, as_of, thresholds=th, made_by="bench"))
        pages.append(pdf.count(b"/Type /Page\n") or pdf.count(b"/Type/Page"))

    def floor() -> None:
        tree = prepare_tree(items)
        rollup_table(tree, updates, as_of, None, th)
        rollup_table(tree, updates, since, None, th)
        typst.compile(MINIMAL, format="pdf", pdf_standards=["ua-1"])

    t_op, t_floor = paired(op, floor, ns.runs)
    line(f"packet_pdf ({len(items)} items, {len(updates)} updates)", t_op, t_floor, 3.0)
    line("packet_pdf_seconds (floor = 1 s)", t_op, 1.0, 5.0)


if __name__ == "__main__":
    main()
