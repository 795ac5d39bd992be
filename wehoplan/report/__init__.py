"""The council packet (issue 18): a PDF status report of a plan, and what changed since the last one.

Three steps, each testable on its own:

1. :mod:`.changes`: the diff of two roll-up tables (the plan evaluated at two dates with the
   same filters), as pure functions on frames; the Changes page shows the same frame.
2. :mod:`.build`: :func:`build_packet` gathers every figure, table and chart into a :class:`Packet`.
3. :mod:`.pdf`: :func:`render` lays it out with Typst as a tagged PDF/UA-1 document.

:func:`packet_bytes` does all three (for the CLI and the Overview's download, built on click).
"""

from __future__ import annotations

import pandas as pd

from wehoplan.report.build import (
    Headline,
    Packet,
    build_packet,
    changes_between,
    day_text,
    pct_text,
    plan_measures,
    previous_cycle_end,
)
from wehoplan.report.changes import CHANGE_COLUMNS, CHANGE_KINDS, CHANGE_LABELS, counts, default_since, diff, items_at
from wehoplan.report.pdf import packet_data, render


def packet_bytes(*args, **kwargs) -> bytes:
    """:func:`build_packet` then :func:`render`: the packet's PDF bytes (same arguments as ``build_packet``)."""
    return render(build_packet(*args, **kwargs))


def packet_filename(plan_name: str, as_of) -> str:
    """A tidy download name, e.g. ``weho-smart-city-strategic-plan-2018_2020-10-15_packet.pdf``."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "plan"
    return f"{slug}_{pd.Timestamp(as_of):%Y-%m-%d}_packet.pdf"


__all__ = [
    "CHANGE_COLUMNS", "CHANGE_KINDS", "CHANGE_LABELS", "Headline", "Packet", "build_packet",
    "changes_between",
    "counts", "day_text", "default_since", "diff", "items_at", "packet_bytes", "packet_data", "packet_filename",
    "pct_text", "plan_measures", "previous_cycle_end", "render",
]
