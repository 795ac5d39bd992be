"""An owner's email from the import (issue 16: "people need an email address: people page, import column, CLI")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from wehoplan.db import create_schema, make_engine
from wehoplan.importing import import_files, undo_import
from wehoplan.models import Audit, Person

AS_OF = dt.date(2026, 6, 30)
HEAD = "Code,Title,Owner,Owner Email,Status,Percent Complete\n"


def _emails(engine) -> dict[str, str | None]:
    with Session(engine) as s:
        return dict(s.execute(select(Person.name, Person.email)).all())


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    create_schema(engine)
    return engine


def test_an_owner_email_column_gives_each_owner_their_email_and_undo_takes_it_back(tmp_path):
    engine = _engine(tmp_path)
    csv = (HEAD + "1,Safer streets,Ana Lead,ana@weho.org,On track,40\n"
           "1.1,Crash dashboard,Ben Owner, mailto:ben@weho.org ,Delayed,20\n"
           "1.2,Bike lanes,Ben Owner,,Done,100\n")
    res = import_files(engine, [("plan.csv", csv.encode())], plan_name="Streets", as_of=AS_OF, author="Importer")
    assert res.ok, res.errors
    assert _emails(engine) == {"Ana Lead": "ana@weho.org", "Ben Owner": "ben@weho.org"}
    with Session(engine) as s:
        audited = s.execute(select(Audit.entity, Audit.field, Audit.new_value)
                            .where(Audit.entity == "person")).all()
    assert sorted(audited) == [("person", "email", "ana@weho.org"), ("person", "email", "ben@weho.org")]
    # A later file with a new address for one owner: only that person changes, and the import counts.
    again = import_files(engine, [("plan.csv", csv.replace("ana@weho.org", "ana.lead@weho.org").encode())],
                         plan_name="Streets", as_of=AS_OF, author="Importer")
    assert again.ok and again.batch_id is not None
    assert _emails(engine)["Ana Lead"] == "ana.lead@weho.org"
    undo_import(engine, again.batch_id, author="Importer")
    assert _emails(engine)["Ana Lead"] == "ana@weho.org"


def test_a_cell_that_is_not_an_email_is_refused_with_its_row_and_nothing_is_written(tmp_path):
    engine = _engine(tmp_path)
    csv = HEAD + "1,Safer streets,Ana Lead,ana at weho,On track,40\n1.1,Crash dashboard,Ben Owner,ben@,Delayed,20\n"
    res = import_files(engine, [("plan.csv", csv.encode())], plan_name="Streets", as_of=AS_OF, author="Importer")
    assert not res.ok
    assert [(p.row, p.value) for p in res.errors] == [(2, "ana at weho"), (3, "ben@")]
    assert all("not an email address" in p.message for p in res.errors)
    assert _emails(engine) == {}
