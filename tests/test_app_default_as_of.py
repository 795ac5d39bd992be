"""The app and the CLI open a plan on its default date over live items only (GUIDE §3 As-of state)."""

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from test_repository import _plan_with_archived_latest

from wehoplan.cli import main as cli_main
from wehoplan.db import make_engine
from wehoplan.models import Item

ROOT = Path(__file__).resolve().parent.parent


def test_the_sidebar_opens_on_the_latest_update_of_a_live_item(monkeypatch, empty_url):
    _plan_with_archived_latest(empty_url)  # live 2024-01-10; archived items updated 2024-03-01 and 2024-05-01
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["plan"] = "Archived last"
    at.run()
    assert not at.exception
    assert str(at.date_input(key="w_as_of").value) == "2024-01-10"


def test_the_cli_defaults_to_the_same_date(monkeypatch, empty_url, capsys):
    plan_id = _plan_with_archived_latest(empty_url)
    with Session(make_engine(empty_url)) as s, s.begin():  # due between the two candidate dates
        s.execute(update(Item).where(Item.plan_id == plan_id, Item.code == "1.1").values(due=dt.date(2024, 2, 1)))
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    assert cli_main(["rollup", "--plan", "Archived last", "--format", "json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["1.1"]["n_overdue"] == 0  # on 2024-05-01 (an archived item's update) it would be overdue
    assert cli_main(["rollup", "--plan", "Archived last", "--format", "json", "--as-of", "2024-05-01"]) == 0
    assert {r["code"]: r for r in json.loads(capsys.readouterr().out)}["1.1"]["n_overdue"] == 1
