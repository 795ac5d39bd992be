"""``wehoplan users``: the first admin of a server is made here; roles per plan; one-line errors."""

from __future__ import annotations

import io

import pandas as pd

from wehoplan.access import principal_for_email
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.demo import INNOVATIONS, SMART_CITY


def _list(url, capsys) -> pd.DataFrame:
    capsys.readouterr()
    assert main(["users", "list", "--db", url]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False).set_index("email")


def test_add_set_role_list_remove(fresh_url, capsys):
    assert main(["users", "add", "Boss@WeHo.org", "--role", "admin", "--db", fresh_url]) == 0
    assert main(["users", "add", "pat@weho.org", "--role", "updater", "--plan", "smart city", "--name", "Pat",
                 "--person", "public works director", "--department", "Department of Public Safety",
                 "--db", fresh_url]) == 0
    assert main(["users", "set-role", "PAT@weho.org", "--role", "viewer", "--plan", "innovations",
                 "--db", fresh_url]) == 0
    frame = _list(fresh_url, capsys)
    assert frame.loc["boss@weho.org", "roles"] == "admin: every plan"
    assert frame.loc["pat@weho.org"].to_dict() == {
        "name": "Pat", "person": "Public Works Director", "departments": "Department of Public Safety",
        "roles": f"updater: {SMART_CITY}; viewer: {INNOVATIONS}"}
    who = principal_for_email(make_engine(fresh_url), "pat@WEHO.org")
    assert who is not None and who.best_role() == "updater"
    assert main(["users", "remove", "pat@weho.org", "--db", fresh_url]) == 0
    assert list(_list(fresh_url, capsys).index) == ["boss@weho.org"]


def test_errors_are_one_line_with_the_contract_exit_codes(fresh_url, capsys):
    assert main(["users", "add", "a@weho.org", "--role", "viewer", "--db", fresh_url]) == 0
    capsys.readouterr()
    cases = [
        (["users", "add", "A@weho.org", "--role", "viewer"], 1, "already exists"),
        (["users", "add", "b@weho.org", "--role", "owner"], 2, "invalid choice"),
        (["users", "add", "b@weho.org", "--role", "viewer", "--plan", "no such plan"], 1, "no plan"),
        (["users", "add", "b@weho.org", "--role", "viewer", "--department", "Nope"], 1, "no department"),
        (["users", "set-role", "nobody@weho.org", "--role", "editor"], 1, "no user"),
        (["users", "remove", "nobody@weho.org"], 1, "no user"),
    ]
    for argv, rc, text in cases:
        assert main([*argv, "--db", fresh_url]) == rc, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and text in err.lower(), (argv, err)
    assert list(_list(fresh_url, capsys).index) == ["a@weho.org"]


def test_changes_are_audited_with_who_ran_the_command(fresh_url, capsys):
    assert main(["users", "add", "a@weho.org", "--role", "editor", "--plan", "smart", "--db", fresh_url]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", fresh_url, "--action", "role"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert out[["entity", "field", "new_value"]].values.tolist() == [["user", f"role on {SMART_CITY}", "editor"]]
    assert out["author"].str.endswith("(cli)").all()
