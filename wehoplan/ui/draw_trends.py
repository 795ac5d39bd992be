"""Draw the Trends page from its data object (:class:`wehoplan.trends.TrendsPage`).

The page and its benchmark floor (``bench/floor_pages/floor_trends.py``) both call these,
so they draw the very same elements; the floor with data computed before timing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from wehoplan import trends
from wehoplan.trends import (
    DEFAULT_GROUP,
    DEFAULT_STEP,
    DEFAULT_WINDOW,
    GROUP_OPTIONS,
    STEP_OPTIONS,
    WINDOW_OPTIONS,
    TrendsPage,
)
from wehoplan.ui import cache, widgets
from wehoplan.ui.state import url_choice


@st.cache_resource(show_spinner=False, max_entries=8)
def _period_ends(url: str, plan_name: str, version: int, as_of: pd.Timestamp, step: str,
                 _updates: pd.DataFrame) -> pd.DatetimeIndex:
    return trends.period_ends(_updates, as_of, step)


def period_ends(frames: cache.PlanFrames, as_of, step: str) -> pd.DatetimeIndex:
    """:func:`wehoplan.trends.period_ends` of the plan, cached per data version, date and step.

    It reads the earliest of all the plan's updates, which no filter changes.
    """
    return cache.remembered(_period_ends, (cache.database_url(), frames.plan.name, frames.version, pd.Timestamp(as_of),
                                           step), frames.updates)


def controls() -> tuple[str, str, int, DeltaGenerator]:
    """The page's three choices, kept in the URL: ``(by, step, window_days, charts_area)``.

    The charts sit above the forecast's window control but are drawn from data that
    needs its value: ``charts_area`` keeps their place, :func:`page` fills it.
    """
    c1, c2 = st.columns(2)
    by = url_choice("Progress by", GROUP_OPTIONS, "by", DEFAULT_GROUP, c1)
    step = url_choice("Every", STEP_OPTIONS, "every", DEFAULT_STEP, c2)
    charts_area = st.container()
    st.subheader("Completion forecast")
    window = int(url_choice("Trailing window for velocity", WINDOW_OPTIONS, "window", DEFAULT_WINDOW))
    return by, step, window, charts_area


def page(data: TrendsPage, charts_area: DeltaGenerator) -> None:
    """The four trend charts (into ``charts_area``), then the forecast's explanation, chart and table."""
    with charts_area:
        widgets.chart(data.progress_chart)
        left, right = st.columns(2)
        with left:
            widgets.chart(data.status_chart)
            widgets.chart(data.completions_chart)
        with right:
            widgets.chart(data.overdue_chart)
    window = data.window_days
    st.caption(
        f"Velocity = progress gained over the last {window} days ÷ {window}. Projected finish = as-of date + "
        "remaining points ÷ velocity. In the chart, the black tick is the due date and the dot the projected "
        "finish (a completed, deferred or unmoving initiative's dot sits on the as-of date, the dashed line). "
        "**Late** when the projected finish is after the due date (or the due "
        "date has passed and it is not complete); **no velocity** when it did not move in the window."
    )
    widgets.chart(data.forecast_chart)
    if not len(data.forecast):
        return
    st.caption(f"{data.n_late} of {len(data.forecast)} initiatives projected late.")
    config: dict[str, Any] = {
        "code": "Code", "title": "Title", "state": "Forecast",
        "progress_now": widgets.progress_column("Progress"),
        "progress_then": st.column_config.NumberColumn(f"Progress {window} days ago", format="%.0f %%"),
        "velocity": st.column_config.NumberColumn("Points / 30 days", format="%.1f"),
        "due": widgets.date_column("Due"),
        "projected_finish": widgets.date_column("Projected finish"),
        "days_late": st.column_config.NumberColumn("Days late"),
        "late": st.column_config.CheckboxColumn("Late"),
    }
    st.dataframe(data.forecast_table, hide_index=True, width="stretch", column_config=config, placeholder="",
                 height=widgets.fit_height(len(data.forecast_table)))
