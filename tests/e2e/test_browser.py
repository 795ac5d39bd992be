"""A real browser against `streamlit run`: every page opens, a filter changes, screenshots.

Screenshots go to a temporary folder (``$TMPDIR/wehoplan-screenshots``), so a test run
leaves the working tree clean; ``WEHOPLAN_UPDATE_SCREENSHOTS=1`` (``make screenshots``)
writes them to docs/screenshots/, the README's pictures. Skipped only when Debian's
Chromium (/usr/bin/chromium) is absent.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from .serve import ROOT, copy_demo, streamlit

SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("WEHOPLAN_UPDATE_SCREENSHOTS") == "1" \
    else Path(tempfile.gettempdir()) / "wehoplan-screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_url):
    """The demo with a quarterly update cycle (as the README's walk-through sets it), served."""
    from wehoplan import cycle_store, repository
    from wehoplan.cycles import CycleRule
    from wehoplan.db import make_engine

    tmp = tmp_path_factory.mktemp("e2e")
    url = copy_demo(demo_url, tmp / "demo.db")
    eng = make_engine(url)
    cycle_store.set_rule(eng, repository.resolve_plan(eng, "smart city").id, CycleRule("quarter"), "Setup")
    eng.dispose()
    with streamlit(url, tmp) as base:
        yield base


@pytest.fixture(scope="module")
def page(server):  # noqa: ARG001 - the page needs the running server, not its value
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 1600})
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


def wait_ready(pg, heading: str | None = None) -> None:
    """Wait until the page's heading is there, the script finished running and charts have drawn."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.wait_for_selector('[data-testid="stSidebar"]')
    if heading:
        try:
            pg.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
        except Exception:
            pg.screenshot(path=str(SHOTS / "_failure.png"))
            raise AssertionError(f"no heading {heading!r} at {pg.url}:\n{pg.inner_text('body')[:2000]}") from None
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(1.5)  # let Vega finish drawing (screenshots only; not an assertion)


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, pg.locator(
        '[data-testid="stException"]').first.inner_text()


def assert_columns_fit(pg, needed: list[str], nth: int = 0) -> None:
    """The ``nth`` table shows ``needed`` among its columns, all within its width (no column cut off).

    The grid draws on a canvas; its headers are read from the accessible table it keeps
    beside it, and a column cut at the edge shows as a scroller wider than its frame.
    """
    grid = pg.locator('[data-testid="stDataFrame"]').nth(nth)
    grid.wait_for()
    # The accessible header row is filled in after the canvas draws: on a cold server that is later.
    grid.locator('th[role="columnheader"]').first.wait_for(state="attached")
    headers = [t.strip() for t in grid.locator('th[role="columnheader"]').all_text_contents()]
    assert [h for h in headers if h in needed] == needed, headers
    scroll, client = grid.evaluate(
        "e => { const s = e.querySelector('.dvn-scroller'); return [s.scrollWidth, s.clientWidth]; }")
    assert scroll <= client + 1, f"the table is {scroll} px wide in a {client} px frame: a column is cut off"


DEVELOPER_WORDS = ("some_disruption", "major_disruption", "on_track", "entity_id", "old_value", "batch_id",
                   "created_at", "undone_at", "00:00:00", "on_target", "off_target", "no_target", "no_data",
                   "% %", "python -m", "NaN", "NaT")


def no_developer_words(pg) -> None:
    """No raw key or column name in the page's text (the grid's cells are canvas, checked by AppTest)."""
    text = pg.inner_text("body")
    found = [w for w in DEVELOPER_WORDS if w in text]
    assert not found, found


def test_the_action_report_shows_its_columns_whole_at_1500_px(server, page):
    pg = page
    pg.goto(f"{server}/Action_Report?plan=smart+city&as_of=2020-10-15")
    wait_ready(pg, "Action report")
    no_exception(pg)
    assert_columns_fit(pg, ["Code", "Title", "Status", "Progress", "Due", "Department"])
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "action-report-2020.png"), full_page=True)
    # A bad link says what it left out instead of silently showing something else.
    pg.goto(f"{server}/?plan=nonexistent&as_of=2020-13-45&smart=Q")
    wait_ready(pg, "Executive overview")
    notice = pg.get_by_text("This link asked for something that is not here").first
    assert notice.is_visible()
    assert all(w in notice.inner_text() for w in ('"nonexistent"', '"2020-13-45"', '"Q"'))
    pg.screenshot(path=str(SHOTS / "bad-link.png"), full_page=True)


def test_every_page_filter_and_shared_link(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg = page
    pg.goto(f"{server}/?plan=WeHo+Smart+City+Strategic+Plan+2018")
    wait_ready(pg, "Executive overview")
    no_exception(pg)
    assert pg.get_by_role("heading", name="Executive overview").first.is_visible()
    assert pg.get_by_text("Illustrative demo data").first.is_visible()
    # The menu a person sees on the first visit: Overview first, no entry named after the script.
    menu = [t.strip() for t in pg.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]
    assert menu[0] == "Overview" and "app" not in menu, menu
    # Both overview tables are whole at 1500 px: the status counts and the attention list's owners.
    assert_columns_fit(pg, ["Code", "Title", "Status", "Progress", "Expected", "Actions by status", "Overdue"])
    assert_columns_fit(pg, ["Code", "Title", "Why", "Status", "Progress", "Due", "Owner", "Last update"], nth=1)
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "overview.png"), full_page=True)
    overdue_all = pg.locator('[data-testid="stMetric"]').nth(2).inner_text()

    # Change a filter: department = Public Works (click the multiselect, pick the option).
    pg.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(1).click()
    pg.get_by_role("option", name="Department of Public Works").click()
    pg.keyboard.press("Escape")
    wait_ready(pg)
    no_exception(pg)
    assert "department=Department+of+Public+Works" in pg.url or "department=Department%20of" in pg.url
    assert pg.locator('[data-testid="stMetric"]').nth(2).inner_text() != overdue_all
    pg.screenshot(path=str(SHOTS / "overview-public-works.png"), full_page=True)
    shared = pg.url

    for link, shot, title in [("Action Report", "action-report", "Action report"),
                              ("Trends", "trends", "Trends"),
                              ("Departments and SMART", "departments-smart", "Departments & SMART values")]:
        pg.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
        wait_ready(pg, title)
        no_exception(pg)
        assert pg.get_by_role("heading", name=title).first.is_visible()
        # The filter survived the page switch.
        assert pg.get_by_text("department: Department of Public Works").first.is_visible()
        pg.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)

    # "What is overdue in Public Works for Mobility?" as a link to the Action Report.
    pg.goto(f"{server}/Action_Report?plan=smart+city&as_of=2020-10-15&department=Public+Works&smart=M"
            "&show=overdue&layout=flat")
    wait_ready(pg, "Action report")
    no_exception(pg)
    assert pg.get_by_text("department: Public Works; SMART: Mobility").first.is_visible()
    assert pg.get_by_text("4 rows (4 of").first.is_visible()
    # The overdue view's columns (its due date above all) are on screen at 1500 px, none cut at the edge.
    assert_columns_fit(pg, ["Code", "Title", "Status", "Progress", "Due", "Owner", "Department"])
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "action-report-overdue-public-works-mobility.png"), full_page=True)

    # A copied link reproduces the view in a fresh session.
    pg.context.clear_cookies()
    fresh = pg.context.browser.new_page(viewport={"width": 1500, "height": 1600})
    fresh.goto(shared)
    wait_ready(fresh, "Executive overview")
    assert fresh.get_by_text("department: Department of Public Works").first.is_visible()
    fresh.close()


def test_data_entry_audit_and_import_pages_open(server, page):
    pg = page
    pg.goto(f"{server}/?plan=WeHo+Smart+City+Strategic+Plan+2018")
    wait_ready(pg, "Executive overview")
    for link, shot, title in [("Update Progress", "update-progress", "Update progress"),
                              ("Edit Plan", "edit-plan", "Edit the plan"),
                              ("Audit", "audit", "Audit trail"),
                              ("Import", "import", "Import a work plan")]:
        pg.locator('[data-testid="stSidebarNav"] a', has_text=link).first.click()
        wait_ready(pg, title)
        no_exception(pg)
        pg.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def test_the_excel_extract_downloads_from_the_browser(server, page, tmp_path):
    import openpyxl

    pg = page
    pg.goto(f"{server}/Action_Report?plan=smart+city&as_of=2020-10-15&department=Public+Works&smart=M")
    wait_ready(pg, "Action report")
    with pg.expect_download() as dl:
        pg.get_by_role("button", name="Excel extract").click()
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    assert target.name == "weho-smart-city-strategic-plan-2018_2020-10-15.xlsx"
    wb = openpyxl.load_workbook(target, read_only=True)
    # The page's extract carries the plan's measures too (its Measures sheets sit before About).
    assert wb.sheetnames == ["Actions", "Roll-up", "Executive", "Updates", "Measures", "Measure values", "About"]
    rows = list(wb["Actions"].iter_rows(values_only=True))
    assert len(rows) == 1 + 6  # header + the six Public Works / Mobility actions


def _pick_in_sidebar(pg, label: str, option: str) -> None:
    """Choose ``option`` in the sidebar's selectbox labelled ``label``."""
    pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text=label).click()
    pg.get_by_role("option", name=option, exact=True).click()
    wait_ready(pg)


def test_the_new_pages_open_whole_at_1500_px(server, page):
    """My Updates, Cycle Tracker, Measures, Changes, Publish and Public: no exception, no raw key, nothing cut."""
    pg = page
    pg.goto(f"{server}/My_Updates?plan=smart+city")
    wait_ready(pg, "My updates")
    no_exception(pg)
    assert pg.get_by_text('Choose who you are under "You are"').first.is_visible()
    _pick_in_sidebar(pg, "You are", "Innovation Manager")
    no_exception(pg)
    assert pg.get_by_text("Done this cycle:").first.is_visible()
    assert_columns_fit(pg, ["Report", "Code", "Action", "This cycle", "Last report", "Status", "Progress %",
                            "Comment", "Last comment"])
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "my-updates.png"), full_page=True)

    pg.goto(f"{server}/Cycle_Tracker?plan=smart+city&as_of=2020-10-15")
    wait_ready(pg, "Cycle tracker")
    no_exception(pg)
    assert pg.get_by_text("Counted on 15 Oct 2020").first.is_visible()
    assert_columns_fit(pg, ["Owner", "Actions", "Reported", "Due", "Late", "Reported %"])
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "cycle-tracker.png"), full_page=True)

    pg.goto(f"{server}/Measures?plan=smart+city&as_of=2020-10-15")
    wait_ready(pg, "Measures")
    no_exception(pg)
    assert pg.get_by_text("of priorities").first.is_visible()
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "measures.png"), full_page=True)
    pg.get_by_role("tab", name="Detail").click()
    wait_ready(pg)
    assert pg.locator('[data-testid="stVegaLiteChart"]').count() >= 1
    pg.screenshot(path=str(SHOTS / "measures-detail.png"), full_page=True)
    pg.get_by_role("tab", name="Table").click()
    wait_ready(pg)
    assert_columns_fit(pg, ["Measure", "Status", "Period", "Value", "Target", "Unit", "Owner"], nth=1)

    # As of 31 Oct 2020 the previous quarter ended 30 Sep: October's reports are the changes.
    pg.goto(f"{server}/Changes?plan=smart+city&as_of=2020-10-31")
    wait_ready(pg, "Changes")
    no_exception(pg)
    assert_columns_fit(pg, ["Change", "Code", "Title", "Status", "Progress", "Points", "Health", "Owner"])
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "changes.png"), full_page=True)

    pg.goto(f"{server}/Publish?plan=smart+city")
    wait_ready(pg, "Publish")
    no_exception(pg)
    assert "**" not in pg.inner_text("body")
    no_developer_words(pg)
    pg.screenshot(path=str(SHOTS / "publish.png"), full_page=True)

    pg.goto(f"{server}/Public?plan=smart+city")
    wait_ready(pg)
    no_exception(pg)
    no_developer_words(pg)


def _save_button_says(pg, label: str) -> None:
    """Wait until the bulk editor's save button reads ``label`` (the edit's rerun may still be under way)."""
    try:
        pg.locator("button", has_text=label).first.wait_for(timeout=30_000)
    except Exception:
        pg.screenshot(path=str(SHOTS / "_failure.png"))
        raise AssertionError(f"no button {label!r}: {pg.locator('button', has_text='update(s)').all_inner_texts()}"
                             ) from None


def test_update_progress_draws_its_bulk_editor_in_its_tab_and_keeps_a_change_across_tabs(server, page):
    """The page opens on one item without the editor; a change typed in the editor survives a look at one item."""
    pg = page
    pg.goto(f"{server}/Update_Progress?plan=smart+city")
    wait_ready(pg, "Update progress")
    no_exception(pg)
    grids = pg.locator('[data-testid="stDataFrame"]:visible')
    assert grids.count() == 0  # the first run sends no editor
    pg.get_by_role("tab", name="Several items").click()
    wait_ready(pg)
    grid = grids.first
    grid.locator("td").first.wait_for(state="attached")  # the rows are in
    box = grid.bounding_box()
    overlay = pg.locator("#portal textarea, #portal input").first
    for _ in range(5):  # the canvas may take a click before it is ready for keys: try again
        pg.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # the first row's code
        pg.wait_for_timeout(300)  # the grid takes the keyboard's focus after the click, not with it
        for _ in range(6):  # code, title, now, now, new status, new %: then the comment
            pg.keyboard.press("ArrowRight", delay=20)
        pg.keyboard.press("Enter")
        try:
            overlay.wait_for(timeout=5_000)
            break
        except Exception:  # Playwright's timeout: click again
            pg.keyboard.press("Escape")
            pg.wait_for_timeout(500)
    pg.keyboard.type("half way", delay=30)
    pg.keyboard.press("Enter")
    wait_ready(pg)
    _save_button_says(pg, "Save 1 update(s)")
    pg.get_by_role("tab", name="One item").click()
    wait_ready(pg)
    assert grids.count() == 0 or not grid.locator("td", has_text="half way").count()
    pg.get_by_role("tab", name="Several items").click()
    wait_ready(pg)
    grids.first.wait_for()
    assert "half way" in grids.first.locator("td").all_text_contents()  # the grid shows it again
    _save_button_says(pg, "Save 1 update(s)")  # and it is still what the save would record
    no_exception(pg)
