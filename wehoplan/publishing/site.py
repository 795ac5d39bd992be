"""The public pages of a publication as HTML: no script, charts as inline SVG with text alternatives.

:func:`body_html` is the content both faces show (the static site's ``index.html`` and the
app's Public page), so what the app shows and what the city hosts are the same words. Every
piece of plan text is escaped; statuses are always written in words beside their colour
(WCAG 1.4.1), tables have header cells and captions, and every chart has a title, a
description and the same numbers in a table.
"""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from typing import Any

from wehoplan.dashboard import plural
from wehoplan.display import day, percent

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; line-height: 1.5;
       color: #1a1a1a; background: #ffffff; margin: 0; }
.wp-skip { position: absolute; left: -10000px; top: 0; background: #ffffff; color: #0b3d91; padding: .5rem; }
.wp-skip:focus { left: .5rem; z-index: 10; }
.wp-main { max-width: 68rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
.wp h1 { font-size: 1.9rem; margin: .5rem 0; }
.wp h2 { font-size: 1.4rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #c8c8c8; }
.wp h3 { font-size: 1.15rem; margin: 1.5rem 0 .25rem; }
.wp a { color: #0b3d91; }
.wp a:focus, .wp-skip:focus { outline: 3px solid #1a1a1a; outline-offset: 2px; }
.wp .wp-meta { color: #333333; }
.wp .wp-notice { border-left: 4px solid #8a6d00; background: #fff8e1; padding: .5rem .75rem; }
.wp .wp-note { border-left: 4px solid #0b3d91; background: #eef3fb; padding: .5rem .75rem; }
.wp table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
.wp caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.wp th, .wp td { border: 1px solid #c8c8c8; padding: .3rem .5rem; text-align: left; vertical-align: top; }
.wp th { background: #f0f0f0; }
.wp td.wp-num, .wp th.wp-num { text-align: right; font-variant-numeric: tabular-nums; }
.wp .wp-dot { display: inline-block; width: .8em; height: .8em; border-radius: 50%; margin-right: .35em;
              border: 1px solid #1a1a1a; vertical-align: -.05em; }
.wp .wp-level-2 { padding-left: 1.5rem; }
.wp figure { margin: 1rem 0; }
.wp svg text { font-family: inherit; }
.wp .wp-big { font-size: 1.3rem; }
"""


def day_text(iso: str | None) -> str:
    """A date as people read it on screen: "31 Dec 2022", "2 Dec 2026" (the app's one format)."""
    return "" if not iso else day(dt.date.fromisoformat(iso[:10]))


def _pct(value: float | None) -> str:
    # The app's own format ("92 %", "52.5 %"), with a no-break space so "%" never starts a line.
    return percent(value, "not scheduled").replace(" %", "\u00a0%")


def _status(key: str, label: str, colours: dict[str, str]) -> str:
    # The dot is decoration: the words carry the status (never colour alone).
    return (f'<span class="wp-dot" style="background:{escape(colours[key])}" aria-hidden="true"></span>'
            f"{escape(label)}")


def _chart_text(tops: list[dict[str, Any]]) -> str:
    """The chart's text alternative: every bar's numbers in words."""
    return "; ".join(f"{t['code']} {t['title']}: {_pct(t['progress'])} complete, {_pct(t['expected_progress'])} "
                     "expected" for t in tops) + ". The table below gives the same numbers."


def _wrap(label: str, width: int = 34) -> list[str]:
    """A bar's label on at most two lines of about ``width`` characters (cut with "…" beyond)."""
    words, lines, line = label.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    if len(lines[-1]) > width:
        lines[-1] = lines[-1][:width - 1].rstrip() + "…"
    return lines


def _chart(tops: list[dict[str, Any]], inline: bool = True) -> str:
    """Progress against expected per top-level item, as an SVG bar chart with title and description.

    ``inline`` False gives the same SVG as an image with the description as its ``alt`` text,
    for the app's Public page: Streamlit's HTML sanitiser removes inline SVG.
    """
    if not tops:
        return ""
    if not inline:
        data = base64.b64encode(_chart(tops).encode("utf-8")).decode("ascii")
        return (f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(_chart_text(tops))}" '
                'style="width:100%;max-width:46rem">')
    row, left, width = 40, 250, 400  # 40 px: room for a label on two lines
    height = row * len(tops) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="wp-chart-title wp-chart-desc" '
             f'width="100%" viewBox="0 0 {left + width + 70} {height}" style="max-width:46rem">',
             '<title id="wp-chart-title">Progress against expected, by top-level item</title>',
             f'<desc id="wp-chart-desc">{escape(_chart_text(tops))}</desc>']
    for n, t in enumerate(tops):
        y = 10 + n * row
        lines = _wrap(f"{t['code']} {t['title']}")
        prog = max(0.0, min(100.0, t["progress"] or 0.0))
        first = y + 17 - 7 * (len(lines) - 1)  # two lines sit around the bar's middle
        parts.append(f'<text x="{left - 8}" y="{first}" text-anchor="end" font-size="13" fill="#1a1a1a">'
                     + "".join(f'<tspan x="{left - 8}" dy="{0 if k == 0 else 14}">{escape(line)}</tspan>'
                               for k, line in enumerate(lines)) + "</text>")
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{width}" height="18" fill="#e6e6e6"/>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{width * prog / 100:.1f}" height="18" fill="#37474f"/>')
        if t["expected_progress"] is not None:
            ex = left + width * max(0.0, min(100.0, t["expected_progress"])) / 100
            parts.append(f'<line x1="{ex:.1f}" x2="{ex:.1f}" y1="{y}" y2="{y + 26}" stroke="#b00020" '
                         'stroke-width="3"/>')
        parts.append(f'<text x="{left + width + 8}" y="{y + 17}" font-size="13" fill="#1a1a1a">'
                     f"{escape(_pct(t['progress']))}</text>")
    ly = height - 18
    parts.append(f'<rect x="{left}" y="{ly}" width="14" height="10" fill="#37474f"/>'
                 f'<text x="{left + 20}" y="{ly + 10}" font-size="12" fill="#1a1a1a">progress</text>'
                 f'<line x1="{left + 110}" x2="{left + 110}" y1="{ly - 3}" y2="{ly + 13}" stroke="#b00020" '
                 f'stroke-width="3"/><text x="{left + 118}" y="{ly + 10}" font-size="12" fill="#1a1a1a">'
                 "expected by now</text>")
    parts.append("</svg>")
    return "".join(parts)


def _th(*cols: str, num: tuple[str, ...] = ()) -> str:
    numeric = ' class="wp-num"'
    return "<tr>" + "".join(f'<th scope="col"{numeric if c in num else ""}>{escape(c)}</th>'
                            for c in cols) + "</tr>"


def body_html(doc: dict[str, Any], *, data_links: bool = True, inline_svg: bool = True) -> str:
    """The publication's content: overview, chart, strategies and initiatives, actions, public notes.

    Args:
        doc: a published document (``plan.schema.json``).
        data_links: link the open-data files beside the page (the static site has them; the app does not).
        inline_svg: the chart as inline SVG (the static site) or as an SVG image with alt text (the app).

    """
    colours = {s["key"]: s["colour"] for s in doc["statuses"]}
    plan, pub, summ = doc["plan"], doc["published"], doc["summary"]
    items = doc["items"]
    levels = plan["level_names"]
    top_name = levels[0].lower() if levels else "strategy"
    out = ['<div class="wp">', f"<h1>{escape(plan['name'])}</h1>",
           f'<p class="wp-meta">Published {day_text(pub["at"])} by {escape(pub["by"])}. Statuses and progress '
           f"as of <strong>{day_text(pub['as_of'])}</strong>.</p>"]
    if plan["illustrative"]:
        out.append(f'<p class="wp-notice"><strong>Illustrative demo data.</strong> {escape(plan["about"] or "")}</p>')
    if plan["description"]:
        out.append(f"<p>{escape(plan['description'])}</p>")
    if pub["note"]:
        out.append(f'<div class="wp-note"><h2 style="border:0;margin-top:0">Note from the publisher</h2>'
                   f"<p>{escape(pub['note'])}</p></div>")

    out.append("<h2>Overall</h2>")
    out.append(f'<p class="wp-big">The plan is <strong>{_pct(summ["progress"])}</strong> complete; '
               f"<strong>{_pct(summ['expected_progress'])}</strong> was expected by {day_text(pub['as_of'])}. "
               f"Overall status: <strong>{_status(summ['status'], summ['status_label'], colours)}</strong>.</p>")
    out.append(f"<p>{summ['n_actions']} actions, {summ['n_overdue']} of them past their due date.</p>")
    out.append('<table><caption>Actions by status</caption><thead>' + _th("Status", "Actions", num=("Actions",))
               + "</thead><tbody>")
    for s in doc["statuses"]:
        out.append(f"<tr><td>{_status(s['key'], s['label'], colours)}</td>"
                   f"<td class=\"wp-num\">{summ['actions_by_status'][s['key']]}</td></tr>")
    out.append("</tbody></table>")

    tops = [i for i in items if i["depth"] == 1]
    out.append(f"<h2>Progress by {escape(top_name)}</h2><figure>{_chart(tops, inline_svg)}"
               "<figcaption>Dark bar: progress; red line: progress expected by now from the planned dates. "
               "The numbers are in the table below.</figcaption></figure>")

    parents = [i for i in items if i["depth"] <= 2]
    names = " and ".join(plural(n).lower() for n in levels[:2]) or "items"  # "strategies", not "strategys"
    out.append(f"<h2>{escape(names[0].upper() + names[1:])}</h2>")
    out.append(f"<table><caption>Every {escape(' and '.join(n.lower() for n in levels[:2]))}, with its status "
               "and progress</caption><thead>"
               + _th("Code", "Title", "Level", "Status", "Progress", "Expected", "Actions",
                     num=("Progress", "Expected", "Actions")) + "</thead><tbody>")
    for i in parents:
        out.append(f"<tr><td>{escape(i['code'])}</td><td class=\"wp-level-{i['depth']}\">{escape(i['title'])}</td>"
                   f"<td>{escape(i['level'])}</td><td>{_status(i['status'], i['status_label'], colours)}</td>"
                   f"<td class=\"wp-num\">{_pct(i['progress'])}</td>"
                   f"<td class=\"wp-num\">{_pct(i['expected_progress'])}</td>"
                   f"<td class=\"wp-num\">{i['n_actions']}</td></tr>")
    out.append("</tbody></table>")

    out.append("<h2>Actions</h2>")
    for top in tops:
        under = [i for i in items if i["is_action"] and (i["code"] == top["code"]
                                                           or i["code"].startswith(top["code"] + "."))]
        if not under:
            continue
        out.append(f"<h3>{escape(top['code'])} {escape(top['title'])}</h3>")
        out.append(f"<table><caption>Actions under {escape(top['code'])}</caption><thead>"
                   + _th("Code", "Action", "Department", "Status", "Progress", "Expected", "Due", "Public note",
                         num=("Progress", "Expected")) + "</thead><tbody>")
        for i in under:
            note = ""
            if i["public_note"]:
                note = f"{escape(i['public_note'])} ({day_text(i['public_note_date'])})"
            overdue = " (overdue)" if i["overdue"] else ""
            out.append(f"<tr><td>{escape(i['code'])}</td><td>{escape(i['title'])}</td>"
                       f"<td>{escape(i['department'] or '')}</td>"
                       f"<td>{_status(i['status'], i['status_label'], colours)}{overdue}</td>"
                       f"<td class=\"wp-num\">{_pct(i['progress'])}</td>"
                       f"<td class=\"wp-num\">{_pct(i['expected_progress'])}</td>"
                       f"<td>{day_text(i['due'])}</td><td>{note}</td></tr>")
        out.append("</tbody></table>")

    notes = [u for u in doc["updates"] if u["public_note"]]
    out.append("<h2>Public notes</h2>")
    if notes:
        out.append("<table><caption>Every public note, newest first</caption><thead>"
                   + _th("Date", "Code", "Status", "Note") + "</thead><tbody>")
        for u in reversed(notes):
            out.append(f"<tr><td>{day_text(u['as_of'])}</td><td>{escape(u['code'])}</td>"
                       f"<td>{_status(u['status'], u['status_label'], colours)}</td>"
                       f"<td>{escape(u['public_note'])}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No public notes in this publication.</p>")

    if data_links:
        files = [("plan.json", "the whole publication as JSON"), ("plan.schema.json", "its JSON Schema"),
                 ("items.csv", "one row per item"), ("updates.csv", "one row per report, with public notes")]
        if doc["measures"]:
            files.append(("measures.csv", "one row per measure value"))
        files.append(("DATA.md", "what every field means"))
        out.append("<h2>Open data</h2><p>The same data, for anyone to reuse (UTF-8):</p><ul>"
                   + "".join(f'<li><a href="{f}">{f}</a>: {escape(what)}</li>' for f, what in files) + "</ul>")
    out.append("</div>")
    return "\n".join(out)


def page_html(doc: dict[str, Any]) -> str:
    """The static site's ``index.html``: a whole page (language set, skip link, one main landmark)."""
    title = f"{doc['plan']['name']}: progress as of {day_text(doc['published']['as_of'])}"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body>\n"
            "<a class=\"wp-skip\" href=\"#main\">Skip to the content</a>\n"
            f"<main id=\"main\" class=\"wp-main\">\n{body_html(doc)}\n</main>\n"
            "<footer class=\"wp-main wp\"><p class=\"wp-meta\">Made with wehoplan. This page needs no script; "
            "it shows the publication, not live data.</p></footer>\n</body>\n</html>\n")
