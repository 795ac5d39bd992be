"""SQLAlchemy 2.0 ORM: plans, the item tree, append-only updates, measures, imports, audit.

Constraints live in the database too (progress range, status values, unique code per
plan, foreign keys) so no writer, however it got there, can store a broken plan.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from wehoplan.domain import STATUS_KEYS

_STATUS_SQL = ", ".join(f"'{k}'" for k in STATUS_KEYS)


class Base(DeclarativeBase):
    """Declarative base of every wehoplan table."""


item_partner_departments = Table(
    "item_partner_departments",
    Base.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class Meta(Base):
    """Key/value facts about the database; ``data_version`` changes on every write."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Plan(Base):
    """A strategic plan: the root of one item tree."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    level_names: Mapped[str] = mapped_column(String(200), default="Strategy;Initiative;Action")
    adopted: Mapped[dt.date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    # Publishing (issue 19): nothing leaves until someone switches the plan public on purpose.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    items: Mapped[list[Item]] = relationship(back_populates="plan")


class Department(Base):
    """A city department or division."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Person(Base):
    """Someone who owns, sponsors or reports on items."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))


class Item(Base):
    """A node of the plan tree: strategy, initiative, action, or any deeper level."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("plan_id", "code", name="uq_item_code_per_plan"),
        CheckConstraint("weight >= 0", name="ck_item_weight_nonnegative"),
        CheckConstraint("start IS NULL OR due IS NULL OR start <= due", name="ck_item_start_before_due"),
        Index("ix_items_plan_parent", "plan_id", "parent_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    code: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    smart: Mapped[str] = mapped_column(String(5), default="")
    start: Mapped[dt.date | None] = mapped_column(Date)
    due: Mapped[dt.date | None] = mapped_column(Date)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    priority: Mapped[str | None] = mapped_column(String(32))
    funding_source: Mapped[str | None] = mapped_column(String(200))
    item_type: Mapped[str | None] = mapped_column(String(64))
    track: Mapped[str | None] = mapped_column(String(200))
    depends_on: Mapped[str | None] = mapped_column(String(200))
    source_note: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optimistic concurrency: every write checks and bumps it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Publishing (issue 19): an internal item (False) and everything under it never leave;
    # items are public by default, which counts only once their plan is switched public.
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    plan: Mapped[Plan] = relationship(back_populates="items")
    partner_departments: Mapped[list[Department]] = relationship(secondary=item_partner_departments)


class Update(Base):
    """A dated progress report on an item. Append-only: never edited, never deleted."""

    __tablename__ = "updates"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_update_progress_range"),
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="ck_update_status"),
        # Covering index for "latest update per item on or before D".
        Index("ix_updates_item_asof", "item_id", "as_of", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    # Publishing (issue 19): ``comment`` stays internal; only this note is ever published.
    public_note: Mapped[str | None] = mapped_column(Text)


class Measure(Base):
    """A performance measure (KPI) of a plan, tied to plan items (see :mod:`wehoplan.measures`).

    ``item_id`` is the measure's main item; further items are linked through ``measure_items``.
    """

    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint("direction IN ('increase', 'decrease', 'maintain')", name="ck_measure_direction"),
        CheckConstraint("frequency IN ('monthly', 'quarterly', 'annual')", name="ck_measure_frequency"),
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="ck_measure_tolerance"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    goal_code: Mapped[str | None] = mapped_column(String(64))
    goal: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(8), default="increase")
    target: Mapped[float | None] = mapped_column(Float)
    baseline_note: Mapped[str | None] = mapped_column(Text)
    source_note: Mapped[str | None] = mapped_column(Text)
    # Issue 17 (revision 0005_measures): all nullable or with server defaults.
    number_format: Mapped[str] = mapped_column(String(16), server_default="decimal", default="decimal")
    frequency: Mapped[str] = mapped_column(String(16), server_default="annual", default="annual")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_date: Mapped[dt.date | None] = mapped_column(Date)
    data_source: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    tolerance: Mapped[float | None] = mapped_column(Float)
    provenance: Mapped[str | None] = mapped_column(String(16))


class MeasureValue(Base):
    """A measure's value for one period (``as_of`` is the period's end). Append-only.

    A correction is a newer row for the same period; the latest row of a period wins.
    """

    __tablename__ = "measure_values"
    __table_args__ = (Index("ix_measure_values_period", "measure_id", "as_of", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    not_applicable: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime | None] = mapped_column(DateTime, server_default=func.now())


class ImportBatch(Base):
    """One import of one or more files: what came in, who brought it, whether undone."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    items_created: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    updates_added: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Audit(Base):
    """Who changed what, when, from what to what. Append-only."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    author: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


_ROLE_SQL = "'viewer', 'updater', 'editor', 'admin'"


class User(Base):
    """Someone who signs in: matched by email (case-insensitive), optionally a person of the plan."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower case so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class UserPlanRole(Base):
    """A user's role on one plan, or on every plan when ``plan_id`` is NULL (one row per user and plan)."""

    __tablename__ = "user_plan_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "plan_id", name="uq_user_plan_role"),
        CheckConstraint(f"role IN ({_ROLE_SQL})", name="ck_user_role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class UserDepartment(Base):
    """A department whose items an updater may report on."""

    __tablename__ = "user_departments"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)


# ---------------------------------------------------------------- append-only guard
# The data layer refuses edits of the append-only tables whatever the database; SQLite
# triggers (db.py) enforce the same rule below the ORM.


class AppendOnlyError(RuntimeError):
    """Something tried to edit or delete a progress update or an audit row."""


# ---------------------------------------------------------------- append-only guard


@event.listens_for(Session, "before_flush")
def _refuse_append_only_changes(session: Session, _ctx, _instances) -> None:
    """Refuse any ORM flush that deletes or modifies an Update or Audit row.

    Same rule as the SQLite triggers: the only deletable updates are those of an import
    batch already marked undone (that is how undoing an import works).
    """
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if not isinstance(obj, Update | Audit):
            continue
        if isinstance(obj, Update) and obj in session.deleted and obj.batch_id is not None:
            batch = session.get(ImportBatch, obj.batch_id)
            if batch is not None and batch.undone_at is not None:
                continue
        raise AppendOnlyError(f"{type(obj).__name__.lower()} rows are append-only: never edited or deleted")


# Execution option naming the undone import batch whose updates a bulk DELETE removes.
UNDO_BATCH_OPTION = "wehoplan_undo_batch"


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state) -> None:
    """Refuse ORM-enabled bulk UPDATE/DELETE statements on the append-only tables.

    The one exception is undo-import's DELETE of the updates of a batch already marked
    undone, which says so with the :data:`UNDO_BATCH_OPTION` execution option.
    """
    if not (state.is_update or state.is_delete):
        return
    classes = {m.class_ for m in state.all_mappers}
    if Audit in classes:
        raise AppendOnlyError("audit rows are append-only: never edited or deleted")
    if Update in classes:
        batch_id = state.execution_options.get(UNDO_BATCH_OPTION) if state.is_delete else None
        batch = state.session.get(ImportBatch, batch_id) if batch_id is not None else None
        if batch is None or batch.undone_at is None:
            raise AppendOnlyError("update rows are append-only: never edited or deleted")


# ---------------------------------------------------------------- measures (issue 17)


class MeasureItem(Base):
    """A further plan item a measure is tied to (besides its main ``Measure.item_id``)."""

    __tablename__ = "measure_items"
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)


class MeasureTarget(Base):
    """A measure's target from one period on (a step: it holds until the next target).

    ``value`` for increase/decrease measures; ``lower`` and ``upper`` for maintain measures.
    """

    __tablename__ = "measure_targets"
    __table_args__ = (
        UniqueConstraint("measure_id", "period", name="uq_measure_target_period"),
        CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="ck_measure_target_bounds"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)


@event.listens_for(Session, "before_flush")
def _refuse_measure_value_changes(session: Session, _ctx, _instances) -> None:
    """Measure values are append-only like progress updates: no ORM edit or delete gets through."""
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, MeasureValue):
            raise AppendOnlyError("measure values are append-only: never edited or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_measure_value_changes(state) -> None:
    """Refuse ORM bulk UPDATE/DELETE of measure values."""
    if (state.is_update or state.is_delete) and MeasureValue in {m.class_ for m in state.all_mappers}:
        raise AppendOnlyError("measure values are append-only: never edited or deleted")
# ---------------------------------------------------------------- publishing (issue 19)


class Publication(Base):
    """A frozen publication of a plan: who published it, when, their note, and the data as published.

    ``document`` is the plan as it went out (the JSON of ``wehoplan/publishing/plan.schema.json``),
    so the public view never reads live data. Publications are never edited (ORM guard below).
    """

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_plan", "plan_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[dt.date] = mapped_column(Date)
    schema_version: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)


@event.listens_for(Session, "before_flush")
def _refuse_publication_changes(session: Session, _ctx, _instances) -> None:
    """A publication is what went out on that day: refuse any ORM edit or delete of one."""
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, Publication):
            raise AppendOnlyError("publications are frozen: never edited or deleted")
# ---------------------------------------------------------------- update cycles and reminders (issue 16)


class CycleSetting(Base):
    """A plan's update cycle: how often its owners report, the window, due and grace days."""

    __tablename__ = "cycles"
    __table_args__ = (
        CheckConstraint("every IN ('month', 'quarter', 'custom')", name="ck_cycle_every"),
        CheckConstraint("window_days >= 0 AND due_days >= 0 AND grace_days >= 0", name="ck_cycle_days"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), unique=True)
    every: Mapped[str] = mapped_column(String(16))
    # Custom period ends as ISO dates separated by ";" (only for every = 'custom').
    period_ends: Mapped[str | None] = mapped_column(Text)
    window_days: Mapped[int] = mapped_column(Integer, default=14)
    due_days: Mapped[int] = mapped_column(Integer, default=10)
    grace_days: Mapped[int] = mapped_column(Integer, default=5)


class PeriodLock(Base):
    """A reporting period an admin locked: reports dated inside it are refused (except by an admin)."""

    __tablename__ = "period_locks"
    __table_args__ = (
        UniqueConstraint("plan_id", "period_end", name="uq_period_lock"),
        CheckConstraint("period_start <= period_end", name="ck_period_lock_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class ReminderLog(Base):
    """One reminder email sent; the unique key (plan, period, owner, kind) makes ``remind`` idempotent."""

    __tablename__ = "reminder_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    period_end: Mapped[dt.date] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(16))
    n_items: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
class ImportMapping(Base):
    """The last column mapping used to import a header layout into a plan (issue 14: not lost on re-upload).

    Keyed by plan name (the plan may not exist yet when the page looks it up) and a hash of the
    table's normalised headers; ``mapping`` is the JSON a --mapping file holds.
    """

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("plan_name", "layout", name="uq_import_mapping_plan_layout"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_name: Mapped[str] = mapped_column(String(200))
    layout: Mapped[str] = mapped_column(String(64))
    headers: Mapped[str] = mapped_column(Text)  # the headers, readable, for the page's picker
    mapping: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
