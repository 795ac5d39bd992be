import streamlit as st

from wehoplan import charts, trends
from wehoplan.ui import cache, widgets
from wehoplan.ui.state import peek_choice, sidebar, url_choice

st.set_page_config(page_title="wehoplan: trends", page_icon="📈", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Trends")
tree, updates, f, th = view.frames.tree, view.frames.updates, view.filters, widgets.thresholds()
c1, c2 = st.columns(2)
groups = {"strategy": "Strategy", "department": "Department", "smart": "SMART value"}
by = url_choice("Progress by", groups, "by", "strategy", c1)
step = url_choice("Every", {"month": "Month", "quarter": "Quarter"}, "every", "quarter", c2)
dates = trends.period_ends(updates, view.as_of, step)
windows = {"90": "90 days", "180": "180 days", "365": "365 days"}
# One roll-up over the trend's dates and the forecast's two, shared by three charts and the
# forecast; the forecast window is drawn further down, so its value is peeked here.
guess = int(peek_choice(windows, "window", "180"))
shared = trends.shared_dates(dates, view.as_of, guess)
states = cache.leaf_states_at(view.frames, shared, th)  # filter-independent: once per dates and data version
rolled = trends.series(tree, updates, shared, f, th, states)
widgets.chart(charts.progress_trend(trends.progress_over_time(
    tree, updates, dates, f, by, th, rolled,
    states if by == "strategy" else cache.leaf_states_at(view.frames, dates, th)), groups[by]))
left, right = st.columns(2)
with left:
    widgets.chart(charts.status_area(trends.status_mix_over_time(tree, updates, dates, f, th, rolled)))
    widgets.chart(charts.completions_bar(trends.completions_per_quarter(
        tree, updates, view.as_of, f, th, states=cache.leaf_states_at(view.frames, [view.as_of], th),
        first_done=cache.first_completed_at(view.frames, view.as_of))))
with right:
    widgets.chart(charts.overdue_line(trends.overdue_over_time(tree, updates, dates, f, th, rolled)))

st.subheader("Completion forecast")
window = int(url_choice("Trailing window for velocity", windows, "window", "180"))
if window == guess:
    fc = trends.forecast(tree, updates, view.as_of, f, window_days=window, thresholds=th, rolled=rolled)
else:
    fc = trends.forecast(tree, updates, view.as_of, f, window_days=window, thresholds=th,
                         states=cache.leaf_states_at(view.frames, trends.forecast_dates(view.as_of, window), th))
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
