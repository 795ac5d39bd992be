"""What changed between two as-of dates: the diff of two roll-up tables, as pure functions on frames.

Both tables come from :func:`wehoplan.rollup.rollup_table` (same filters, two dates), so
"what changed" is time travel evaluated twice and compared, never a separate log to keep
in step. :func:`diff` returns one long frame, one row per (change, item), which the
packet's "Changes" section, the Changes page and its CSV all show.

Which items exist at a date: an item added in Edit Plan after that date was not in the
plan yet, one archived after it still was (:func:`items_at`, from the audit trail's
``add`` / ``archive`` / ``restore`` rows about items). Items without such rows (the
demo, imported plans) exist throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wehoplan.domain import HEALTH_LABELS, STATUS_LABELS
from wehoplan.rollup import ROOT_ID

#: Change kinds (key, heading), in the order the packet and the page list them.
CHANGE_KINDS: tuple[tuple[str, str], ...] = (
    ("status", "Status changed"),
    ("gained", "Progress gained"),
    ("lost", "Progress lost"),
    ("completed", "Newly completed"),
    ("overdue", "Newly overdue"),
    ("new", "New items"),
    ("archived", "Archived items"),
)
CHANGE_LABELS = dict(CHANGE_KINDS)

#: The columns of :func:`diff` a person reads (``kind`` and ``order`` are for sorting and filtering).
CHANGE_COLUMNS = ["Change", "Code", "Title", "Level", "Status before", "Status after", "Progress before",
                  "Progress after", "Points", "Health before", "Health after", "Owner", "Department"]

# Progress is compared at the precision it is shown (one decimal): a drift in the
# 10th decimal of a mean is not a change anyone could see.
_PRECISION = 1
_ADDED = ("add", "create")


def items_at(items: pd.DataFrame, audit: pd.DataFrame, when) -> pd.DataFrame:
    """The plan's items as they stood at the end of ``when``: added by then, archived or not by then.

    Args:
        items: every item of the plan, archived ones included
            (``load_items(..., include_archived=True)``).
        audit: the plan's audit rows (:func:`wehoplan.repository.audit_frame`); only rows with
            ``entity == "item"`` and action ``add``/``create``/``archive``/``restore`` count.
        when: the date.

    Returns:
        A new frame: the items that existed at ``when``, ``archived`` as it was then.

    """
    end = pd.Timestamp(when).normalize() + pd.Timedelta(days=1)
    ev = audit[(audit["entity"] == "item") & audit["action"].isin([*_ADDED, "archive", "restore"])]
    if ev.empty:  # nothing added or archived in the app: the plan's items are what they are
        return items
    ev = ev[["entity_id", "action", "at", "id"]].astype({"entity_id": "int64"}).sort_values(["at", "id"],
                                                                                             kind="stable")
    ids = items[["id"]].astype("int64")
    added = ev[ev["action"].isin(_ADDED)].groupby("entity_id", as_index=False)["at"].min()
    added_at = ids.merge(added, left_on="id", right_on="entity_id", how="left")["at"]
    not_yet = (added_at.notna() & (added_at >= end)).to_numpy(dtype=bool)
    toggles = ev[ev["action"].isin(["archive", "restore"])]
    by_then = toggles[toggles["at"] < end].groupby("entity_id", as_index=False)["action"].last()
    first = toggles.groupby("entity_id", as_index=False)["action"].first()
    then = ids.merge(by_then, left_on="id", right_on="entity_id", how="left")["action"]
    first_toggle = ids.merge(first, left_on="id", right_on="entity_id", how="left")["action"]
    # With archive/restore rows: archived at ``when`` is the last toggle by then; none by then
    # means the state before the first toggle (the opposite of that first toggle).
    archived = np.where(then.notna(), then.eq("archive"),
                        np.where(first_toggle.notna(), first_toggle.eq("restore"),
                                 items["archived"].to_numpy(dtype=bool)))
    return items[~not_yet].assign(archived=archived[~not_yet])


def _items(table: pd.DataFrame) -> pd.DataFrame:
    cols = ["id", "code", "title", "level", "status", "progress", "overdue", "is_leaf", "owner", "department", "order",
            "health"]
    rows = table[table["id"] != ROOT_ID]
    if "health" not in rows.columns:  # a roll-up without schedule health: blank
        rows = rows.assign(health="")
    return rows[cols]


def _label(status: pd.Series) -> pd.Series:
    return status.astype("string").map(STATUS_LABELS).fillna("").astype(str)


def _health(health: pd.Series) -> pd.Series:
    return health.astype("string").map(HEALTH_LABELS).fillna("").astype(str)


def diff(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Compare two roll-up tables of one plan (same filters) at an earlier and a later date.

    Args:
        before: the roll-up table at the earlier date.
        after: the roll-up table at the later date.

    Returns:
        One row per (change, item), kinds in :data:`CHANGE_KINDS` order, items in outline
        order within a kind (progress: biggest move first). Columns :data:`CHANGE_COLUMNS`
        plus ``kind`` (its key) and ``order``. ``status``: every item whose status differs;
        ``gained`` / ``lost``: every item whose progress (one decimal) moved; ``completed``:
        actions completed at the later date and not at the earlier; ``overdue``: actions
        overdue at the later date and not at the earlier; ``new``: items only in
        ``after``; ``archived``: items only in ``before``.

    """
    b, a = _items(before), _items(after)
    both = a.merge(b[["id", "status", "progress", "overdue", "health"]], on="id", how="inner",
                   suffixes=("", "_before"))
    p_after = both["progress"].astype("float64").round(_PRECISION)
    p_before = both["progress_before"].astype("float64").round(_PRECISION)
    points = (p_after - p_before).round(_PRECISION)
    leaf = both["is_leaf"].astype(bool)
    done = both["status"].astype("string") == "completed"
    masks = {
        "status": (both["status"].astype("string") != both["status_before"].astype("string")).fillna(False),
        "gained": points > 0,
        "lost": points < 0,
        "completed": leaf & done & (both["status_before"].astype("string") != "completed").fillna(True),
        "overdue": leaf & both["overdue"].astype(bool) & ~both["overdue_before"].astype(bool),
    }
    common = pd.DataFrame({
        "Code": both["code"].astype(str), "Title": both["title"].astype(str), "Level": both["level"].astype(str),
        "Status before": _label(both["status_before"]), "Status after": _label(both["status"]),
        "Progress before": p_before, "Progress after": p_after, "Points": points,
        "Health before": _health(both["health_before"]), "Health after": _health(both["health"]),
        "Owner": both["owner"].fillna("").astype(str), "Department": both["department"].fillna("").astype(str),
        "order": both["order"].astype("int64"),
    })
    parts = []
    for kind, mask in masks.items():
        part = common[mask.to_numpy(dtype=bool)].assign(kind=kind)
        if kind in ("gained", "lost"):  # biggest move first, outline order among equals
            part = part.assign(_mag=part["Points"].abs()).sort_values(["_mag", "order"], ascending=[False, True],
                                                                      kind="stable").drop(columns="_mag")
        parts.append(part)
    parts.append(_one_side(a[~a["id"].isin(b["id"])], "new", after_side=True))
    parts.append(_one_side(b[~b["id"].isin(a["id"])], "archived", after_side=False))
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(Change=out["kind"].map(CHANGE_LABELS).astype(str))
    return out[["kind", *CHANGE_COLUMNS, "order"]].reset_index(drop=True)


def _one_side(rows: pd.DataFrame, kind: str, after_side: bool) -> pd.DataFrame:
    """Rows of items present at one date only; the other date's status and progress stay blank."""
    progress = rows["progress"].astype("float64").round(_PRECISION)
    blank = pd.Series("", index=rows.index, dtype=str)
    nan = pd.Series(np.nan, index=rows.index, dtype="float64")
    return pd.DataFrame({
        "Code": rows["code"].astype(str), "Title": rows["title"].astype(str), "Level": rows["level"].astype(str),
        "Status before": blank if after_side else _label(rows["status"]),
        "Status after": _label(rows["status"]) if after_side else blank,
        "Progress before": nan if after_side else progress, "Progress after": progress if after_side else nan,
        "Points": nan, "Health before": blank if after_side else _health(rows["health"]),
        "Health after": _health(rows["health"]) if after_side else blank, "Owner": rows["owner"].fillna("").astype(str),
        "Department": rows["department"].fillna("").astype(str), "order": rows["order"].astype("int64"),
        "kind": kind,
    })


def counts(changes: pd.DataFrame) -> dict[str, int]:
    """Rows per change kind (every kind, zero included), in :data:`CHANGE_KINDS` order."""
    n = changes["kind"].value_counts()
    return {k: int(n.get(k, 0)) for k, _ in CHANGE_KINDS}


def default_since(as_of, cycle_end=None, days: int = 90) -> tuple[pd.Timestamp, str]:
    """The comparison date when none is given, and the words that say why.

    The one hook for reporting cycles: pass the previous cycle's end as ``cycle_end`` when
    the plan has cycles; without one it is ``days`` days before ``as_of``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if cycle_end is not None and pd.Timestamp(cycle_end) < as_of:
        return pd.Timestamp(cycle_end).normalize(), "the end of the previous reporting cycle"
    return as_of - pd.Timedelta(days=days), f"{days} days before the as-of date"
