"""wehoplan: the entry point registers the pages per role and runs the chosen one.

Every page is registered so its URL always answers (a page the role may not use is
hidden from the menu and says which role it needs, GUIDE §4); the home page is
"Overview". Who may do what is decided in :mod:`wehoplan.ui.auth`.
"""

import streamlit as st

from wehoplan.memory import keep_freed_blocks
from wehoplan.ui import auth

keep_freed_blocks()  # once per server process: a county plan's columns are recycled (wehoplan/memory.py)
st.navigation(auth.navigation_pages()).run()
