"""Readers that turn the database into DataFrames, and writers that keep the audit trail.

Readers fetch rows with one SQL statement each and build the frame column-wise:
building frames from ORM objects row by row is orders of magnitude slower. Every
reader takes ``reader=`` (see :mod:`wehoplan.repository.readers`): Arrow through
``adbc-driver-sqlite`` on a SQLite file, SQLAlchemy anywhere; the frames are the same.

Modules: ``readers`` (how a query becomes a frame), ``plans``, ``items``, ``updates``
(what is read), ``writers`` (names to ids, the audit trail).
"""

from __future__ import annotations

from wehoplan.repository.items import ITEM_COLUMNS, live_item_ids, load_items
from wehoplan.repository.plans import PlanInfo, PlanNotFound, list_plans, resolve_plan
from wehoplan.repository.readers import (
    ArrowPostgresReader,
    ArrowSQLiteReader,
    Query,
    Reader,
    SQLAlchemyReader,
    read_frame,
    read_frames,
    reader_for,
)
from wehoplan.repository.updates import (
    UPDATE_COLUMNS,
    default_as_of,
    latest_update_date,
    load_latest_updates,
    load_updates,
    plan_default_as_of,
)
from wehoplan.repository.writers import department_id, person_id, write_audit

__all__ = [
    "AUDIT_COLUMNS",
    "ITEM_COLUMNS",
    "UPDATE_COLUMNS",
    "ArrowPostgresReader",
    "ArrowSQLiteReader",
    "ItemNotFound",
    "PlanInfo",
    "PlanNotFound",
    "Query",
    "Reader",
    "SQLAlchemyReader",
    "audit_frame",
    "default_as_of",
    "department_id",
    "departments_frame",
    "editable_fields",
    "item_snapshot",
    "latest_update_date",
    "list_plans",
    "live_item_ids",
    "load_items",
    "load_latest_updates",
    "load_updates",
    "people_frame",
    "person_id",
    "plan_default_as_of",
    "read_frame",
    "read_frames",
    "reader_for",
    "resolve_plan",
    "write_audit",
]

# Readers that live in their own modules, re-exported so ``repository.audit_frame(...)`` works.
from wehoplan.repository.audit import AUDIT_COLUMNS as AUDIT_COLUMNS
from wehoplan.repository.audit import audit_frame as audit_frame
from wehoplan.repository.editable import ItemNotFound as ItemNotFound
from wehoplan.repository.editable import editable_fields as editable_fields
from wehoplan.repository.editable import item_snapshot as item_snapshot
from wehoplan.repository.people import departments_frame as departments_frame
from wehoplan.repository.people import people_frame as people_frame
