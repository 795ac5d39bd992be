"""Pure pandas helpers of the Update Progress page: find items, current states, the bulk editor's rows.

No database and no writes here: frames in, new frames out. :func:`bulk_changes` gives
the rows :func:`wehoplan.editing.record_updates_bulk` takes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wehoplan.domain import STATUS_LABELS


def find_items(tree: pd.DataFrame, *, text_contains: str = "", owner: str | None = None,
               leaves_only: bool = False) -> pd.DataFrame:
    """Items of a prepared tree matching a code/title search and an (effective) owner, in outline order."""
    keep = pd.Series(True, index=tree.index)
    if text_contains.strip():
        q = text_contains.strip()
        keep &= tree["code"].astype(str).str.startswith(q) | tree["title"].str.contains(q, case=False, regex=False)
    if owner:
        keep &= tree["owner"].fillna("") == owner
    if leaves_only and "is_leaf" in tree.columns:
        keep &= tree["is_leaf"]
    return tree[keep]


BULK_COLUMNS = ["item_id", "version", "code", "title", "owner", "current_status", "current_progress", "last_update",
                "report", "as_of", "status", "progress", "comment"]


def current_states(updates: pd.DataFrame) -> pd.DataFrame:
    """Latest update per item regardless of date (item_id, status, progress, as_of)."""
    if updates.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype="int64"), "status": pd.Series(dtype="str"),
                             "progress": pd.Series(dtype="float64"), "as_of": pd.Series(dtype="datetime64[ns]")})
    # Sorting by (as_of, id) then keeping the last row per item is the latest report; ties go to the newest id.
    latest = updates.sort_values(["as_of", "id"], kind="stable").groupby("item_id", sort=False).tail(1)
    return latest[["item_id", "status", "progress", "as_of"]].reset_index(drop=True)


def bulk_editor_frame(tree: pd.DataFrame, updates: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Rows for the bulk editor: one per leaf of ``tree``, prefilled with its current state.

    The new ``status``/``progress`` start at the current ones so an owner only touches
    what changed; ``report`` ticks a row to re-confirm it unchanged at a new date.
    """
    leaves = tree[tree["is_leaf"]] if "is_leaf" in tree.columns else tree
    cur = current_states(updates)
    df = leaves[["id", "version", "code", "title", "owner"]].rename(columns={"id": "item_id"}).merge(
        cur.rename(columns={"status": "current_status", "progress": "current_progress", "as_of": "last_update"}),
        on="item_id", how="left",
    )
    labels = STATUS_LABELS
    status = df["current_status"].fillna("pending")
    return df.assign(
        current_status=status.map(labels),
        current_progress=df["current_progress"].fillna(0.0),
        last_update=df["last_update"].dt.date,
        report=False,
        as_of=as_of,
        status=status.map(labels),
        progress=df["current_progress"].fillna(0.0),
        comment="",
    )[BULK_COLUMNS].reset_index(drop=True)


def bulk_changes(edited: pd.DataFrame) -> pd.DataFrame:
    """Rows of an edited bulk frame to record: ticked, or status/progress changed, or a comment written.

    Returns the columns :func:`record_updates_bulk` takes (``expected_version`` is the
    version the row was read at).
    """
    if edited.empty:
        return pd.DataFrame(columns=["item_id", "code", "expected_version", "as_of", "status", "progress", "comment"])
    changed_status = edited["status"].fillna("").astype(str) != edited["current_status"].fillna("").astype(str)
    prog = pd.to_numeric(edited["progress"], errors="coerce")
    changed_progress = edited["progress"].isna() | prog.isna() | (prog != edited["current_progress"])
    has_comment = edited["comment"].fillna("").astype(str).str.strip() != ""
    touched = edited["report"].fillna(False).astype(bool) | changed_status | changed_progress | has_comment
    rows = edited[touched]
    return rows.rename(columns={"version": "expected_version"})[
        ["item_id", "code", "expected_version", "as_of", "status", "progress", "comment"]
    ].reset_index(drop=True)
