"""Small Streamlit pieces the pages share: header, empty states, the report download."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from wehoplan import exporting
from wehoplan.display import DATE_COLUMN_FORMAT, day, mark_statuses
from wehoplan.rollup import Thresholds, roll_up
from wehoplan.ui import cache
from wehoplan.ui import measures as measures_ui
from wehoplan.ui.state import View
from wehoplan.ui.text import md

if TYPE_CHECKING:  # annotations only; ColumnConfig lives in a Streamlit module that is not public API
    from streamlit.elements.lib.column_types import ColumnConfig

# Words for a person at a browser, who has no command line: the Import page, or whoever runs the server.
NO_PLAN = "No plan yet: import your work plan on the **Import** page, or ask whoever runs this server to " \
          "load the demo plan to try the app first."
NO_MATCH = "No items match these filters. Loosen them, or press **Reset filters** in the sidebar."


def require_plan(view: View) -> None:
    """Show the no-plan empty state and stop the page when the database holds no plan."""
    if view.frames is None:
        st.info(NO_PLAN)
        st.stop()


def no_match() -> None:
    """Show the nothing-matches empty state and stop the page (its data call gave None)."""
    st.info(NO_MATCH)
    st.stop()


def header_caption(plan, as_of, filters) -> str:
    """The line under a page title: the plan, the as-of date and the filters shown."""
    return f"**{md(plan.name)}**, as of **{day(as_of)}** · filters: {md(filters.describe())}"


def demo_notice(plan) -> str | None:
    """The warning a demo plan carries (None for a real plan)."""
    return f"Illustrative demo data. {md(plan.source_note or '')}".strip() if plan.is_demo else None


def draw_header(title: str, caption: str, notice: str | None) -> None:
    """Draw a page's title block (the benchmark floors call this with precomputed texts)."""
    st.title(title)
    st.caption(caption)
    if notice:
        st.warning(notice, icon=":material/science:")


def frames(view: View) -> cache.PlanFrames:
    """The view's plan frames (a page calls :func:`require_plan` first, so there is a plan)."""
    if view.frames is None:
        raise RuntimeError("no plan: call require_plan(view) before reading the view's frames")
    return view.frames


def header(view: View, title: str) -> None:
    """Page title, the plan and as-of date shown, the filters, and the demo notice."""
    plan = frames(view).plan
    draw_header(title, header_caption(plan, view.as_of, view.filters), demo_notice(plan))


def thresholds() -> Thresholds:
    """Due-soon, stale and schedule-health thresholds from the settings."""
    from wehoplan.config import load_config

    return Thresholds.from_config(load_config())


def table(view: View, columns: Collection[str] | None = None) -> pd.DataFrame:
    """Roll up the filtered plan at the view's date (only the filtered roll-up is recomputed per rerun).

    ``columns``: only these columns of the table (what the page reads; None: all of them).
    """
    th, plan = thresholds(), frames(view)
    states = cache.leaf_states_at(plan, [view.as_of], th)  # computed once per date and data version
    return roll_up(plan.tree, states, view.filters, th, columns)


def status_style(frame: pd.DataFrame, column: str = "Status") -> pd.DataFrame:
    """The status (and health) words with their coloured markers, for st.dataframe.

    Formerly a pandas Styler, which refuses tables above 262,144 cells and styles every
    cell on every rerun; the name stays for callers that colour a table's statuses.
    """
    return mark_statuses(frame, column)


def fit_height(n_rows: int, row_height: int = 35, most: int = 720) -> int:
    """A table's height in pixels showing all its ``n_rows`` rows (header included), at most ``most``.

    Streamlit's default height shows ten rows and scrolls the rest, so a 12-row list hid two.
    """
    return int(min(38 + row_height * max(n_rows, 1) + 2, most))


def text_columns(frame: pd.DataFrame, widths: dict[str, int]) -> dict[str, ColumnConfig]:
    """Text column configs giving each of ``frame``'s columns named in ``widths`` that many pixels."""
    return {c: st.column_config.TextColumn(c, width=w) for c, w in widths.items() if c in frame.columns}


def date_column(label: str) -> ColumnConfig:
    """A date column in the one on-screen date format ("15 Oct 2020")."""
    return st.column_config.DateColumn(label, format=DATE_COLUMN_FORMAT, width=100)


PROGRESS_COLOUR = "#546e7a"  # neutral: the status column carries the GUIDE colours


def progress_column(label: str = "Progress", width: int = 120) -> ColumnConfig:
    """Configure a 0-100 % progress bar column in a neutral colour (red would read as "late")."""
    return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f %%",
                                           color=PROGRESS_COLOUR, width=width)


def report_csv(frame: pd.DataFrame) -> Callable[[], bytes]:
    """Return a callable building the CSV bytes of ``frame`` (runs only when the user clicks).

    Written by the one CSV writer (:func:`wehoplan.exporting.csv_bytes`), so text a
    spreadsheet would run as a formula is neutralised exactly as in the extracts.
    """
    return partial(exporting.csv_bytes, frame)


def download_extract(view: View, report: pd.DataFrame | None = None) -> None:
    """Draw the downloads of the current view: Excel extract, its CSV, the rows shown.

    The rows-shown CSV appears when ``report`` is given (the Action Report). Every file is
    built only when its button is clicked (a callable ``data``): building an extract in the
    page body would cost every rerun about a second on a large plan. The extract honours the
    sidebar's filters and as-of date, like the page.
    """
    pf = frames(view)
    plan = pf.plan
    args = (pf.tree, pf.updates, plan, view.as_of, view.filters)
    th = thresholds()
    cols = st.columns(3 if report is not None else 2)
    cols[0].download_button(
        "Excel extract", data=partial(measures_ui.extract_xlsx, *args, thresholds=th),
        file_name=exporting.extract_filename(plan.name, view.as_of, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:", on_click="ignore", key="dl_xlsx",
        help="Actions, Roll-up, Executive (printable, colour-coded), Updates, Measures and About sheets, "
             "with the sidebar's filters and as-of date.",
    )
    cols[1].download_button(
        "Actions (CSV)", data=partial(exporting.extract_bytes, *args, fmt="csv", thresholds=th),
        file_name=exporting.extract_filename(plan.name, view.as_of, "csv"), mime="text/csv",
        icon=":material/download:", on_click="ignore", key="dl_csv",
        help="The extract's Actions sheet as CSV (UTF-8 with BOM; formula-like text neutralised).",
    )
    if report is not None:
        cols[2].download_button(
            "Rows shown (CSV)", data=report_csv(report.drop(columns=["status_key"], errors="ignore")),
            file_name=f"action-report-{view.as_of:%Y-%m-%d}.csv", mime="text/csv",
            icon=":material/download:", on_click="ignore", key="dl_report",
            help="Exactly the rows and columns of the table above, in its layout.",
        )


def chart(c) -> None:
    """Draw an Altair chart full width with its own colours and layout.

    Streamlit's chart theme drew the donut and the layered bar charts empty with
    Streamlit 1.67 (seen in the browser screenshots), so the charts carry their own
    styling and the theme is off.
    """
    st.altair_chart(c, width="stretch", theme=None)
