"""Publishing (issue 19): a public face for a plan, published on purpose, never live data.

- :mod:`.document`: what of a plan may leave (public items only; public notes, never comments)
  as a JSON document following ``plan.schema.json`` (versioned, :data:`SCHEMA_VERSION`);
- :mod:`.publish`: the public switches of plans and items, the Publish writer (editor or
  admin, audited), and reading the latest publication;
- :mod:`.site`: the publication as HTML (no script, SVG charts with text alternatives);
- :mod:`.opendata`: plan.json, items.csv, updates.csv, measures.csv and DATA.md.

:func:`write_site` writes a self-contained static site of one publication.
"""

from __future__ import annotations

from pathlib import Path

from wehoplan.publishing.document import SCHEMA_VERSION, build_document, public_item_ids
from wehoplan.publishing.opendata import SCHEMA_PATH, write_open_data
from wehoplan.publishing.publish import (
    NOTE_MAX,
    Published,
    item_visibility,
    latest_publication,
    plan_is_public,
    public_plans,
    publications,
    publish,
    set_items_public,
    set_plan_public,
)
from wehoplan.publishing.site import STYLE, body_html, page_html


def write_site(published: Published, out: str | Path) -> list[Path]:
    """Write ``published`` as a static site into folder ``out`` (created): index.html, style.css, open data.

    Returns:
        The files written.

    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    index.write_text(page_html(published.document), encoding="utf-8")
    style = folder / "style.css"
    style.write_text(STYLE.lstrip(), encoding="utf-8")
    return [index, style, *write_open_data(published.document, folder)]


__all__ = [
    "NOTE_MAX", "SCHEMA_PATH", "SCHEMA_VERSION", "STYLE", "Published", "body_html", "build_document", "item_visibility",
    "latest_publication", "page_html", "plan_is_public", "public_item_ids", "public_plans", "publications", "publish",
    "set_items_public", "set_plan_public", "write_open_data", "write_site",
]
