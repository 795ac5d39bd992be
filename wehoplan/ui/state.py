"""Shared sidebar: plan picker and as-of date, kept in session state and the URL.

Every page calls :func:`sidebar` first; it returns the view the page must show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from wehoplan.filters import Filters
from wehoplan.repository import default_as_of
from wehoplan.ui import cache


@dataclass(frozen=True)
class View:
    """What the user chose: plan, as-of date, filters."""

    frames: cache.PlanFrames | None
    as_of: pd.Timestamp
    filters: Filters


def sidebar() -> View:
    """Draw the shared sidebar and return the chosen view (frames None when no plan)."""
    plans = cache.plans()
    if plans.empty:
        st.sidebar.info("No plan yet: import one, or run `python -m wehoplan init-demo`.")
        return View(None, pd.Timestamp(dt.date.today()), Filters())
    names = plans["name"].tolist()
    wanted = st.query_params.get("plan")
    index = names.index(wanted) if wanted in names else 0
    name = st.sidebar.selectbox("Plan", names, index=index, key="plan")
    st.query_params["plan"] = name
    frames = cache.plan_frames(name)
    default = default_as_of(frames.updates).date()
    as_of = st.sidebar.date_input("As of", value=default, key=f"as_of:{name}")
    return View(frames, pd.Timestamp(as_of), Filters())
