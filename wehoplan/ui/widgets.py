"""Small Streamlit pieces the pages share: header, empty states, the report download."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from wehoplan.domain import STATUS_COLOURS, STATUS_LABELS
from wehoplan.rollup import Thresholds, rollup_table
from wehoplan.ui import cache
from wehoplan.ui.state import View

NO_PLAN = "No plan yet: import one (Import page, or `python -m wehoplan import FILE`), or run " \
          "`python -m wehoplan init-demo` for the demo."
NO_MATCH = "No items match these filters. Loosen them, or press **Reset filters** in the sidebar."


def require_plan(view: View) -> None:
    """Show the no-plan empty state and stop the page when the database holds no plan."""
    if view.frames is None:
        st.info(NO_PLAN)
        st.stop()


def header(view: View, title: str) -> None:
    """Page title, the plan and as-of date shown, the filters, and the demo notice."""
    plan = view.frames.plan
    st.title(title)
    st.caption(f"**{plan.name}**, as of **{view.as_of:%d %B %Y}** · filters: {view.filters.describe()}")
    if plan.is_demo:
        st.warning(f"Illustrative demo data. {plan.source_note or ''}".strip(), icon=":material/science:")


def thresholds() -> Thresholds:
    """Due-soon and stale thresholds from the settings."""
    from wehoplan.config import load_config

    return Thresholds.from_config(load_config())


def table(view: View) -> pd.DataFrame:
    """Roll up the filtered plan at the view's date (only the filtered roll-up is recomputed per rerun)."""
    th = thresholds()
    states = cache.leaf_states_at(view.frames, [view.as_of], th)  # computed once per date and data version
    return rollup_table(view.frames.tree, view.frames.updates, view.as_of, view.filters, th, states)


def status_style(frame: pd.DataFrame, column: str = "Status"):
    """Colour the status cells with the GUIDE colours (a pandas Styler for st.dataframe)."""
    by_label = {STATUS_LABELS[k]: c for k, c in STATUS_COLOURS.items()}

    def cell(v: object) -> str:
        c = by_label.get(v)
        return f"background-color: {c}; color: white" if c else ""

    return frame.style.map(cell, subset=[column])


PROGRESS_COLOUR = "#546e7a"  # neutral: the status column carries the GUIDE colours


def progress_column(label: str = "Progress") -> dict:
    """Configure a 0–100 % progress bar column in a neutral colour (red would read as "late")."""
    return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f%%",
                                           color=PROGRESS_COLOUR)


def report_csv(frame: pd.DataFrame) -> Callable[[], bytes]:
    """Return a callable building the CSV bytes of ``frame`` (runs only when the user clicks)."""
    return lambda: frame.to_csv(index=False).encode("utf-8-sig")


def download_report(frame: pd.DataFrame, view: View) -> None:
    """Draw the Action Report's download of exactly the filtered view.

    CSV for now. MERGE NOTE: switch this one function to ``wehoplan.exporting``'s Excel
    extract when it lands (keep passing a callable so the file is built only on click).
    """
    stem = f"action-report-{view.as_of:%Y-%m-%d}"
    st.download_button(
        "Download this view (CSV)", data=report_csv(frame.drop(columns=["status_key"], errors="ignore")),
        file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:", on_click="ignore",
    )


def chart(c) -> None:
    """Draw an Altair chart full width with its own colours and layout.

    Streamlit's chart theme drew the donut and the layered bar charts empty with
    Streamlit 1.67 (seen in the browser screenshots), so the charts carry their own
    styling and the theme is off.
    """
    st.altair_chart(c, width="stretch", theme=None)
