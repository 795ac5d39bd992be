"""User text that meets Markdown shows as text: no live link, directive, HTML or new block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wehoplan.db import make_engine
from wehoplan.importing import import_files
from wehoplan.ui.text import md, plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EVIL = "[Pay here](http://evil.example)"


def _live_markdown(source: str) -> bool:
    """True when ``source`` still holds an unescaped link, autolink, HTML tag or Streamlit directive."""
    unescaped = r"(?<!\\)"
    return bool(re.search(unescaped + r"\[[^\]]*" + unescaped + r"\]\(", source)
                or re.search(r"(?i)\b(https?|ftp|mailto|javascript):(?!\\)", source.replace("\\:", ""))
                or re.search(unescaped + r"<[a-z/]", source)
                or re.search(r"(?i)www\.", source)
                or re.search(unescaped + r":[a-z]+" + unescaped + r"\[", source))


@pytest.mark.parametrize("text", [
    EVIL, "![img](http://x/a.png)", "<a href='http://x'>x</a>", "http://evil.example", "www.evil.example",
    ":red[alarm] :material/warning:", "**bold** _it_ `code` ~~s~~", "$x^2$", "a@b.example",
])
def test_md_leaves_nothing_live(text):
    out = md(text)
    assert not _live_markdown(out), out
    assert "\n" not in out


def test_md_keeps_plain_names_readable():
    assert md("Department of Public Works") == "Department of Public Works"
    assert md("Saved 1.2.3 on 2026-01-31: 40 %") == "Saved 1.2.3 on 2026-01-31: 40 %"
    assert md("- not a list") == "\\- not a list"
    assert md("1. not a list") == "1\\. not a list"


def test_plain_drops_bidi_overrides_and_breaks_lines():
    assert plain("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert plain("two\r\nlines\u2028here") == "two lines here"
    assert plain(None) == ""


def test_url_text_and_owner_params_are_escaped_on_every_caption(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["text"] = EVIL
    at.query_params["owner"] = "<img src=x onerror=alert(1)>"
    at.run()
    assert not at.exception
    sources = [c.value for c in at.caption] + [m.value for m in at.markdown]
    assert any("Pay here" in s for s in sources)
    assert not any(_live_markdown(s) for s in sources), sources


def test_a_plan_named_like_a_link_is_shown_as_text(monkeypatch, empty_url):
    eng = make_engine(empty_url)
    data = b"Code,Title,Owner,Status,Progress\n1,Goal,,,\n1.1,Act,[Boss](http://evil.example),on track,10\n"
    assert import_files(eng, [("p.csv", data)], plan_name=EVIL).ok
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    caption = at.caption[0].value
    assert "Pay here" in caption and not _live_markdown(caption)


def test_import_page_escapes_the_upload_file_name(monkeypatch, empty_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/7_Import.py").run()
    name = "[Open me](http://evil.example)\u202e.csv"
    data = b"Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,on track,40\n"
    at.get("file_uploader")[0].set_value([(name, data, "text/csv")]).run()
    assert not at.exception
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any("Open me" in s for s in shown)
    assert not any(_live_markdown(s) or "\u202e" in s for s in shown), shown
