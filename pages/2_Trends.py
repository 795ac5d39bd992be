import streamlit as st

from wehoplan import charts, trends
from wehoplan.ui import cache, widgets
from wehoplan.ui.state import sidebar, url_choice

st.set_page_config(page_title="wehoplan: trends", page_icon="📈", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Trends")
c1, c2 = st.columns(2)
groups = {"strategy": "Strategy", "department": "Department", "smart": "SMART value"}
by = url_choice("Progress by", groups, "by", "strategy", c1)
step = url_choice("Every", {"month": "Month", "quarter": "Quarter"}, "every", "quarter", c2)
# The charts are drawn above the forecast's window control but need its value (one roll-up
# over the trend's dates and the forecast's serves them all): keep their place, fill it later.
charts_area = st.container()
st.subheader("Completion forecast")
window = int(url_choice("Trailing window for velocity", {"90": "90 days", "180": "180 days", "365": "365 days"},
                        "window", "180"))
dates = trends.period_ends(view.frames.updates, view.as_of, step)
th = widgets.thresholds()
states = cache.leaf_states_at(view.frames, trends.shared_dates(dates, view.as_of, window), th)  # filter-independent
data = trends.page_data(view.frames.tree, states, view.filters, dates, view.as_of, window, by,
                        cache.first_completed_at(view.frames, view.as_of))
with charts_area:
    widgets.chart(charts.progress_trend(data.progress, groups[by]))
    left, right = st.columns(2)
    with left:
        widgets.chart(charts.status_area(data.status_mix))
        widgets.chart(charts.completions_bar(data.completions))
    with right:
        widgets.chart(charts.overdue_line(data.overdue))
fc = data.forecast
st.caption(
    f"Velocity = progress gained over the last {window} days ÷ {window}. Projected finish = as-of date + "
    "remaining points ÷ velocity. **Late** when the projected finish is after the due date (or the due "
    "date has passed and it is not complete); **no velocity** when it did not move in the window."
)
widgets.chart(charts.forecast_chart(fc, view.as_of))
n_late = int(fc["late"].sum()) if len(fc) else 0
if len(fc):
    st.caption(f"{n_late} of {len(fc)} initiatives projected late.")
    st.dataframe(
        fc.drop(columns=["id"]).assign(velocity=lambda d: (d["velocity"] * 30).round(2)),
        hide_index=True, width="stretch",
        column_config={"code": "Code", "title": "Title", "state": "Forecast",
                       "progress_now": widgets.progress_column("Progress"),
                       "progress_then": st.column_config.NumberColumn(f"Progress {window} days ago",
                                                                      format="%.0f%%"),
                       "velocity": st.column_config.NumberColumn("Points / 30 days"),
                       "due": st.column_config.DateColumn("Due"),
                       "projected_finish": st.column_config.DateColumn("Projected finish"),
                       "days_late": st.column_config.NumberColumn("Days late"),
                       "late": st.column_config.CheckboxColumn("Late")})

st.divider()
widgets.download_extract(view)
