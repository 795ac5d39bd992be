"""The extract's sheets as display-ready frames, built from the same roll-up the pages show.

:func:`build_extract` turns (tree, updates, plan, as-of, filters) into an :class:`Extract`:
one DataFrame per sheet, with the headers people (and the importer) read. Writing the
frames is :mod:`wehoplan.exporting.xlsx`'s and :mod:`wehoplan.exporting.csv_writer`'s job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wehoplan import __version__
from wehoplan.domain import HEALTH_LABELS, STATUS_KEYS, STATUS_LABELS, smart_names
from wehoplan.filters import Filters
from wehoplan.rollup import ROOT_ID, PreparedTree, Thresholds, prepare_tree, rollup_table

# The importer reads these headers back: keep them exactly.
ACTIONS_COLUMNS: tuple[str, ...] = (
    "Strategy code", "Strategy", "Initiative code", "Initiative", "Code", "Title", "Level", "Owner",
    "Department", "Partner departments", "SMART values", "Start", "Due", "Status", "Schedule health", "Progress",
    "Expected progress", "Overdue", "Latest comment", "Comment date",
)
COUNT_HEADERS: tuple[str, ...] = tuple(STATUS_LABELS[k] for k in STATUS_KEYS)
ROLLUP_COLUMNS: tuple[str, ...] = (
    "Code", "Title", "Level", "Owner", "Department", "SMART values", "Start", "Due", "Status", "Schedule health",
    "Progress", "Expected progress", "Schedule variance", "Actions", *COUNT_HEADERS, "Overdue",
)
EXECUTIVE_COLUMNS: tuple[str, ...] = (
    "Code", "Strategy / initiative", "Lead department", "Status", "Schedule health", "Progress", "Expected progress",
    "Actions", "Completed", "Overdue",
)
UPDATES_COLUMNS: tuple[str, ...] = (
    "Code", "Title", "Date", "Status", "Progress", "Comment", "Author", "Source", "Recorded at",
)
SHEET_NAMES: tuple[str, ...] = ("Actions", "Roll-up", "Executive", "Updates", "About")

# Columns holding 0-1 fractions shown as percentages; every other float is a plain number.
PERCENT_COLUMNS = frozenset({"Progress", "Expected progress", "Schedule variance"})
DEMO_NOTE = (
    "Illustrative demo data: the plan's items are real, but owners, planned dates and the "
    "month-by-month progress history were generated for demonstration."
)
NO_MATCH_NOTE = "No actions match these filters at this as-of date: the other sheets are empty too."


@dataclass(frozen=True)
class Extract:
    """One extract: a display-ready frame per sheet plus what it was built from.

    Columns whose names start with ``_`` carry formatting hints (status keys, depth)
    and are not written.
    """

    plan_name: str
    as_of: pd.Timestamp
    filters: Filters
    actions: pd.DataFrame
    rollup: pd.DataFrame
    executive: pd.DataFrame
    updates: pd.DataFrame
    about: pd.DataFrame
    demo_note: str = ""  # DEMO_NOTE when the plan is the illustrative demo (the Executive sheet says so too)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    # Further sheets (name, frame) written before About: e.g. Measures (wehoplan.measures.extract).
    extra_sheets: tuple[tuple[str, pd.DataFrame], ...] = ()

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Sheet name -> frame, in workbook order."""
        frames = (self.actions, self.rollup, self.executive, self.updates, self.about)
        return dict(zip(SHEET_NAMES, frames, strict=True))


# ---------------------------------------------------------------- building the frames


def _smart_names(letters: pd.Series) -> pd.Series:
    return letters.map(lambda s: "; ".join(smart_names(s))).astype("string")


def _fraction(s: pd.Series) -> pd.Series:
    # The roll-up works in 0-100; spreadsheets format 0-1 fractions as percentages.
    return s.astype("float64") / 100.0


def _status_labels(s: pd.Series) -> pd.Series:
    return s.astype("string").map(STATUS_LABELS).astype("string")


def _health_labels(s: pd.Series) -> pd.Series:
    # Blank where health does not apply (deferred, nothing expected yet): an empty cell.
    return s.astype("string").map(HEALTH_LABELS).astype("string")


def _ancestors(tree: pd.DataFrame, ids: pd.Series, depth: int) -> tuple[pd.Series, pd.Series]:
    """Code and title of each item's ancestor at ``depth`` (blank for the item itself or shallower)."""
    path = ids.map(tree.set_index("id")["path_codes"]).astype("string").str.strip("|").str.split("|")
    own_depth = path.str.len()
    code = path.str[depth - 1].where(own_depth > depth)
    titles = dict(zip(tree["code"], tree["title"], strict=True))
    return code.astype("string"), code.map(titles).astype("string")


def _actions_frame(table: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    leaves = table[table["is_leaf"].astype(bool) & (table["id"] != ROOT_ID)]
    s_code, s_title = _ancestors(tree, leaves["id"], 1)
    i_code, i_title = _ancestors(tree, leaves["id"], 2)
    out = pd.DataFrame({
        "Strategy code": s_code, "Strategy": s_title, "Initiative code": i_code, "Initiative": i_title,
        "Code": leaves["code"], "Title": leaves["title"], "Level": leaves["level"], "Owner": leaves["owner"],
        "Department": leaves["department"], "Partner departments": leaves["partners"],
        "SMART values": _smart_names(leaves["smart"]), "Start": leaves["start"], "Due": leaves["due"],
        "Status": _status_labels(leaves["status"]), "Schedule health": _health_labels(leaves["health"]),
        "Progress": _fraction(leaves["progress"]),
        "Expected progress": _fraction(leaves["expected_progress"]),
        "Overdue": np.where(leaves["overdue"].astype(bool), "Yes", "No"),
        "Latest comment": leaves["comment"], "Comment date": leaves["comment_date"],
        "_status": leaves["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def _counts(rows: pd.DataFrame) -> dict[str, pd.Series]:
    return {STATUS_LABELS[k]: rows[f"n_{k}"].astype("int64") for k in STATUS_KEYS}


def _rollup_frame(table: pd.DataFrame, plan_name: str) -> pd.DataFrame:
    # astype(bool): when nothing matches, the roll-up's empty columns are object dtype and
    # indexing with an empty object Series would select columns, not rows.
    parents = table[~table["is_leaf"].astype(bool)]
    root = parents["id"] == ROOT_ID
    out = pd.DataFrame({
        "Code": parents["code"], "Title": parents["title"].where(~root, plan_name), "Level": parents["level"],
        "Owner": parents["owner"], "Department": parents["department"], "SMART values": _smart_names(parents["smart"]),
        "Start": parents["start"], "Due": parents["due"], "Status": _status_labels(parents["status"]),
        "Schedule health": _health_labels(parents["health"]),
        "Progress": _fraction(parents["progress"]), "Expected progress": _fraction(parents["expected_progress"]),
        "Schedule variance": _fraction(parents["schedule_variance"]), "Actions": parents["n_leaves"].astype("int64"),
        **_counts(parents), "Overdue": parents["n_overdue"].astype("int64"),
        "_status": parents["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def _executive_frame(table: pd.DataFrame, plan_name: str) -> pd.DataFrame:
    rows = table[table["depth"] <= 2]
    root = rows["id"] == ROOT_ID
    out = pd.DataFrame({
        "Code": rows["code"], "Strategy / initiative": rows["title"].where(~root, plan_name),
        "Lead department": rows["department"], "Status": _status_labels(rows["status"]),
        "Schedule health": _health_labels(rows["health"]),
        "Progress": _fraction(rows["progress"]), "Expected progress": _fraction(rows["expected_progress"]),
        "Actions": rows["n_leaves"].astype("int64"), "Completed": rows["n_completed"].astype("int64"),
        "Overdue": rows["n_overdue"].astype("int64"),
        "_status": rows["status"].astype("string"), "_depth": rows["depth"].astype("int64"),
    })
    return out.reset_index(drop=True)


def _updates_frame(
    updates: pd.DataFrame, table: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    items = table[table["id"] != ROOT_ID][["id", "code", "title", "order"]]
    ups = updates[updates["item_id"].isin(items["id"])]
    if start is not None:
        ups = ups[ups["as_of"] >= start]
    if end is not None:
        ups = ups[ups["as_of"] <= end]
    ups = ups.merge(items.rename(columns={"id": "item_id"}), on="item_id", how="left")
    ups = ups.sort_values(["order", "as_of", "id"], kind="stable")
    out = pd.DataFrame({
        "Code": ups["code"], "Title": ups["title"], "Date": ups["as_of"], "Status": _status_labels(ups["status"]),
        "Progress": _fraction(ups["progress"]), "Comment": ups["comment"], "Author": ups["author"],
        "Source": ups["source"], "Recorded at": ups["created_at"].dt.floor("s"),
        "_status": ups["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def health_note(th: Thresholds) -> str:
    """The schedule-health rule in a reader's words, with the ratios in use."""
    return (f"Schedule health compares progress with the progress expected by the as-of date from start and due "
            f"dates: On schedule at {th.on_schedule_ratio:.0%} of expected or more, Behind at "
            f"{th.behind_ratio:.0%} or more, At risk below that or when an action is past its due date; Done when "
            "completed. The status is what owners report; health is the plan's own arithmetic.")


def _about_frame(
    plan, as_of: pd.Timestamp, filters: Filters, start, end, counts: dict[str, int], generated_at: dt.datetime,
    thresholds: Thresholds,
) -> pd.DataFrame:
    def when(d) -> str:
        return "" if d is None else pd.Timestamp(d).strftime("%Y-%m-%d")

    rows: list[tuple[str, object]] = [
        ("Plan", plan.name),
        ("As of", as_of),
        ("Filters", filters.describe()),
    ]
    labels = {"strategy": "Strategy codes", "department": "Departments", "smart": "SMART values",
              "status": "Statuses", "health": "Schedule health", "owner": "Owners", "text": "Text search"}
    for name, label in labels.items():
        v = getattr(filters, name)
        if name == "smart":
            v = tuple(smart_names("".join(v)))
        elif name == "status":
            v = tuple(STATUS_LABELS[s] for s in v)
        elif name == "health":
            v = tuple(HEALTH_LABELS[h] for h in v)
        rows.append((label, "; ".join(v) if isinstance(v, tuple) else v))
    if counts.get("Actions", 0) == 0:
        rows.append(("Note", NO_MATCH_NOTE))
    rows += [
        ("Updates shown", f"{when(start) or 'first'} to {when(end) or 'last'}"),
        *[(f"Rows in {k}", n) for k, n in counts.items()],
        ("Generated at", generated_at),
        ("App version", f"wehoplan {__version__}"),
    ]
    if plan.is_demo:
        rows.append(("Demo data", DEMO_NOTE))
    if plan.source_note:
        rows.append(("Plan source", plan.source_note))
    rows += [
        ("Values", "Owner, department and SMART values are effective values: an item without its own takes its "
                   "nearest ancestor's. Progress is rolled up from the filtered actions at the as-of date."),
        ("Schedule health rule", health_note(thresholds)),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def build_extract(
    tree: pd.DataFrame | PreparedTree,
    updates: pd.DataFrame,
    plan,
    as_of,
    filters: Filters | None = None,
    *,
    updates_from=None,
    updates_to=None,
    thresholds: Thresholds | None = None,
) -> Extract:
    """Build every sheet of an extract from the same roll-up the pages show.

    Args:
        tree: the plan's items (raw from ``load_items`` or already prepared).
        updates: the plan's updates (``load_updates``).
        plan: a :class:`wehoplan.repository.PlanInfo` (name, is_demo, source_note).
        as_of: the as-of date of the view.
        filters: the view's filters (None = everything).
        updates_from: first date of the Updates sheet (default: the first update).
        updates_to: last date of the Updates sheet (default: ``as_of``, so the history ends
            where the view stands).
        thresholds: due-soon / stale and schedule-health thresholds (settings; default 30 and 90 days,
            0.95 and 0.85).

    Returns:
        The extract; write it with :func:`write_xlsx` or :func:`write_csv`.

    """
    filters = filters or Filters()
    as_of = pd.Timestamp(as_of).normalize()
    start = None if updates_from is None else pd.Timestamp(updates_from).normalize()
    end = as_of if updates_to is None else pd.Timestamp(updates_to).normalize()
    tree = prepare_tree(tree)
    thresholds = thresholds or Thresholds()
    table = rollup_table(tree, updates, as_of, filters, thresholds)
    actions = _actions_frame(table, tree.frame)
    rolled = _rollup_frame(table, plan.name)
    executive = _executive_frame(table, plan.name)
    history = _updates_frame(updates, table, start, end)
    generated_at = dt.datetime.now().replace(microsecond=0)
    counts = {"Actions": len(actions), "Roll-up": len(rolled), "Executive": len(executive), "Updates": len(history)}
    about = _about_frame(plan, as_of, filters, start, end, counts, generated_at, thresholds)
    return Extract(plan_name=plan.name, as_of=as_of, filters=filters, actions=actions, rollup=rolled,
                   executive=executive, updates=history, about=about, generated_at=generated_at,
                   demo_note=DEMO_NOTE if plan.is_demo else "")


def column_kind(name: str, s: pd.Series) -> str:
    """How a column is written: ``date``, ``pct`` (0-1 fractions), ``num`` or ``text``."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return "text"
    return "pct" if name in PERCENT_COLUMNS else "num"

