"""Readers of departments and people, with how many items each leads or owns."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text


def departments_frame(engine: Engine) -> pd.DataFrame:
    """Departments (id, name, n_items leading) by name."""
    sql = """SELECT d.id, d.name, (SELECT COUNT(*) FROM items i WHERE i.lead_department_id = d.id) AS n_items
             FROM departments d ORDER BY d.name"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return pd.DataFrame(rows, columns=["id", "name", "n_items"])


def people_frame(engine: Engine) -> pd.DataFrame:
    """People (id, name, email, department, n_owned) by name."""
    # One pass over items (a correlated COUNT per person scanned items once per person).
    sql = """SELECT p.id, p.name, p.email, d.name, COALESCE(c.n, 0) AS n_owned
             FROM people p
             LEFT JOIN departments d ON d.id = p.department_id
             LEFT JOIN (SELECT owner_id, COUNT(*) AS n FROM items GROUP BY owner_id) c ON c.owner_id = p.id
             ORDER BY p.name"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return pd.DataFrame(rows, columns=["id", "name", "email", "department", "n_owned"])
