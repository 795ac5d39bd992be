"""Recording progress and editing the plan: the writers, one module per responsibility.

- :mod:`.validation`: what people type is checked first (errors, dates, reports, fields);
- :mod:`.versions`: optimistic concurrency (compare-and-swap of the item's ``version``);
- :mod:`.progress`: progress reports, one or many (all or none);
- :mod:`.items`: add, edit, move, archive and restore plan items;
- :mod:`.people`: departments and people;
- :mod:`.frames`: pure pandas helpers of the Update Progress page (no writes).

Every writer takes the author as an argument (sign-in can plug in later), runs in one
transaction, and writes its audit rows in that same transaction through
:func:`wehoplan.repository.write_audit`, which also bumps the data version so cached
dashboards reload at once. Either the change and its audit rows are stored, or neither is.

Nothing here deletes or edits progress updates or audit rows: the ORM guard in
:mod:`wehoplan.models` and the database triggers of :func:`wehoplan.db.create_schema`
both refuse it. The readers (audit trail, people, an item's fields) live in
:mod:`wehoplan.repository`.
"""

from __future__ import annotations

import pandas as pd

from wehoplan.editing.items import add_item, archive_item, edit_item, move_item, restore_item
from wehoplan.editing.people import add_department, add_person, edit_person, rename_department
from wehoplan.editing.progress import BulkResult, RowProblem, record_update, record_updates_bulk
from wehoplan.editing.validation import (
    APP_SOURCE,
    EDITABLE_FIELDS,
    CleanUpdate,
    EditError,
    NotFoundError,
    ValidationError,
    to_date,
    validate_update,
)
from wehoplan.editing.versions import StaleWriteError, changed_meanwhile
from wehoplan.exporting import csv_bytes
from wehoplan.models import AppendOnlyError
from wehoplan.repository.audit import audit_frame


def audit_csv(frame: pd.DataFrame) -> bytes:
    """The audit trail as CSV for a text stream (the ``audit`` command): the one CSV writer, no BOM.

    Kept for the CLI; the Audit page's download calls :func:`wehoplan.exporting.csv_bytes`
    directly (with the BOM spreadsheets want).
    """
    return csv_bytes(frame, bom=False)


__all__ = [
    "APP_SOURCE", "EDITABLE_FIELDS", "AppendOnlyError", "BulkResult", "CleanUpdate", "EditError", "NotFoundError",
    "RowProblem", "StaleWriteError", "ValidationError", "add_department", "add_item", "add_person", "archive_item",
    "audit_csv", "audit_frame", "changed_meanwhile", "edit_item", "edit_person", "move_item", "record_update",
    "record_updates_bulk", "rename_department", "restore_item", "to_date", "validate_update",
]
