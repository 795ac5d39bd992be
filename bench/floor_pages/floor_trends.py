"""Floor of pages/2_Trends.py: same elements, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import widgets
from wehoplan.ui.state import url_choice

st.set_page_config(page_title="wehoplan: trends", page_icon="📈", layout="wide")
meta, p = _floor.start()
_floor.header(meta, p, "Trends")
c1, c2 = st.columns(2)
url_choice("Progress by", {"strategy": "Strategy", "department": "Department", "smart": "SMART value"}, "by",
           "strategy", c1)
url_choice("Every", {"month": "Month", "quarter": "Quarter"}, "every", "quarter", c2)
charts_area = st.container()
st.subheader("Completion forecast")
window = int(url_choice("Trailing window for velocity", {"90": "90 days", "180": "180 days", "365": "365 days"},
                        "window", "180"))
with charts_area:
    widgets.chart(p["progress"])
    left, right = st.columns(2)
    with left:
        widgets.chart(p["status"])
        widgets.chart(p["completions"])
    with right:
        widgets.chart(p["overdue"])
st.caption(
    f"Velocity = progress gained over the last {window} days ÷ {window}. Projected finish = as-of date + "
    "remaining points ÷ velocity. **Late** when the projected finish is after the due date (or the due "
    "date has passed and it is not complete); **no velocity** when it did not move in the window."
)
widgets.chart(p["forecast_chart"])
if p["n_fc"]:
    st.caption(f"{p['n_late']} of {p['n_fc']} initiatives projected late.")
    st.dataframe(
        p["forecast"], hide_index=True, width="stretch",
        column_config={"code": "Code", "title": "Title", "state": "Forecast",
                       "progress_now": widgets.progress_column("Progress"),
                       "progress_then": st.column_config.NumberColumn(f"Progress {window} days ago",
                                                                      format="%.0f%%"),
                       "velocity": st.column_config.NumberColumn("Points / 30 days"),
                       "due": st.column_config.DateColumn("Due"),
                       "projected_finish": st.column_config.DateColumn("Projected finish"),
                       "days_late": st.column_config.NumberColumn("Days late"),
                       "late": st.column_config.CheckboxColumn("Late")})
