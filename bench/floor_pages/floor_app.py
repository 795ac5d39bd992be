"""The floor app for ``streamlit run`` (the browser benchmark): the four floor pages under the real URLs.

``app.py`` runs ``st.navigation`` over app_pages/; this runs it over the floor pages
with the same URL paths (Overview is the default page), so the benchmark opens the
same addresses on both servers. ``WEHOPLAN_BENCH_FLOOR`` names the folder of the
pickled payloads (``floor-<page>.pkl``).
"""

from pathlib import Path

import streamlit as st

from wehoplan.memory import keep_freed_blocks

keep_freed_blocks()  # the server process set up as app.py sets up the app's
HERE = Path(__file__).resolve().parent
PAGES = [("floor_home.py", "Overview", None), ("floor_report.py", "Action Report", "Action_Report"),
         ("floor_trends.py", "Trends", "Trends"),
         ("floor_departments.py", "Departments & SMART", "Departments_and_SMART")]

st.navigation([st.Page(str(HERE / f), title=t, url_path=u, default=u is None) for f, t, u in PAGES]).run()
