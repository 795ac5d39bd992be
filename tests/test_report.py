"""The council packet: the changes diff on small frames, and the demo packet read back with poppler."""

import csv
import datetime as dt
import io
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from wehoplan import report, repository
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.report.changes import CHANGE_COLUMNS, diff, items_at
from wehoplan.rollup import ROOT_ID, rollup_table

SMART_CITY = "WeHo Smart City Strategic Plan 2018"
MADE_AT = dt.datetime(2020, 10, 16, 9, 30)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pdftext(path) -> str:
    """The PDF's text in reading order (-raw); a line broken after a title's own hyphen joined again."""
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"-\n", "-", raw)


def pdfinfo(path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def overall_progress(text: str) -> str:
    # The first percentage after the label (poppler reads the row of figure cards label by label).
    return re.search(r"Overall progress.*?(\d+\.\d)\s%", text, re.DOTALL).group(1)


# ---------------------------------------------------------------- diff on hand-written frames


def table(rows):
    """A roll-up table as the diff reads it: the plan row plus ``rows`` (id, code, status, progress, overdue, leaf)."""
    recs = [dict(id=ROOT_ID, code="", title="", level="Plan", status="on_track", progress=50.0, overdue=False,
                 is_leaf=False, owner=None, department=None, order=-1, health="")]
    for n, (i, code, status, progress, overdue, leaf) in enumerate(rows):
        recs.append(dict(id=i, code=code, title=f"Item {code}", level="Action" if leaf else "Initiative",
                         status=status, progress=progress, overdue=overdue, is_leaf=leaf, owner="Ann",
                         department="Parks", order=n, health="at_risk" if overdue else "on_schedule"))
    return pd.DataFrame(recs)


def test_diff_names_each_kind_of_change_once_per_item():
    before = table([(1, "1.1", "on_track", 40.0, False, False),
                    (2, "1.1.1", "on_track", 80.0, False, True),
                    (3, "1.1.2", "some_disruption", 20.0, False, True),
                    (4, "1.1.3", "pending", 0.0, False, True)])
    after = table([(1, "1.1", "some_disruption", 40.04, False, False),  # moved 0.04: not a visible change
                   (2, "1.1.1", "completed", 100.0, False, True),
                   (3, "1.1.2", "some_disruption", 15.0, True, True),
                   (5, "1.1.4", "on_track", 10.0, False, True)])
    out = diff(before, after)
    assert list(out.columns) == ["kind", *CHANGE_COLUMNS, "order"]
    got = list(zip(out["kind"], out["Code"], strict=True))
    assert got == [("status", "1.1"), ("status", "1.1.1"), ("gained", "1.1.1"), ("lost", "1.1.2"),
                   ("completed", "1.1.1"), ("overdue", "1.1.2"), ("new", "1.1.4"), ("archived", "1.1.3")]
    row = out[out["kind"] == "lost"].iloc[0]
    assert (row["Progress before"], row["Progress after"], row["Points"]) == (20.0, 15.0, -5.0)
    assert (row["Health before"], row["Health after"]) == ("On schedule", "At risk")
    assert out[out["kind"] == "status"]["Status after"].tolist() == ["Some disruption", "Completed"]
    new = out[out["kind"] == "new"].iloc[0]
    assert new["Status before"] == "" and np.isnan(new["Progress before"]) and new["Progress after"] == 10.0


def test_diff_of_a_table_with_itself_is_empty():
    t = table([(1, "1.1", "on_track", 40.0, True, True)])
    assert diff(t, t).empty
    assert report.counts(diff(t, t)) == dict.fromkeys(report.counts(diff(t, t)), 0)


def test_items_at_follows_additions_and_archiving_in_the_audit_trail():
    items = pd.DataFrame({"id": [1, 2, 3, 4], "archived": [False, False, True, True]})
    audit = pd.DataFrame({
        "id": [10, 11, 12, 13, 14],
        "at": pd.to_datetime(["2020-08-01 10:00", "2020-09-01 00:00", "2020-06-01 00:00", "2020-09-10 00:00",
                              "2020-06-15 00:00"]),
        "action": ["add", "archive", "archive", "restore", "edit"],
        "entity": ["item"] * 5, "entity_id": [2, 3, 4, 4, 1],
    })
    def live(day):
        at = items_at(items, audit, day)
        return at.loc[~at["archived"], "id"].tolist()

    assert live("2020-07-31") == [1, 3]  # 2 not added yet; 3 archived later; 4 archived on 1 Jun
    assert live("2020-08-01") == [1, 2, 3]  # the end of the day counts
    assert live("2020-09-30") == [1, 2, 4]  # 3 archived, 4 restored
    assert items_at(items, audit.iloc[0:0], "2020-01-01") is items


def test_default_since_is_the_cycle_end_or_ninety_days_before():
    assert report.default_since("2020-10-15") == (pd.Timestamp("2020-07-17"), "90 days before the as-of date")
    since, why = report.default_since("2020-10-15", cycle_end="2020-09-30")
    assert since == pd.Timestamp("2020-09-30") and "cycle" in why


# ---------------------------------------------------------------- the demo packet, read back


@pytest.fixture(scope="module")
def demo_packet(tmp_path_factory, demo_url):
    out = tmp_path_factory.mktemp("packet") / "packet.pdf"
    assert main(["report", str(out), "--db", demo_url, "--plan", "smart city", "--as-of", "2020-10-15",
                 "--since", "2020-07-15"]) == 0
    return out


def test_demo_packet_has_every_strategy_and_the_rollup_overall_progress(demo_packet, demo_url, capsys):
    text = pdftext(demo_packet)
    _, out, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--as-of", "2020-10-15",
                    "--by", "strategy")
    strategies = list(csv.DictReader(io.StringIO(out)))
    flat = " ".join(text.split())
    for s in strategies:
        assert f"{s['code']} {s['title']}" in flat
    # The plan's overall progress is the weighted mean of its strategies (GUIDE §3, weights 1, none deferred here).
    mean = sum(float(s["progress"]) for s in strategies) / len(strategies)
    assert abs(float(overall_progress(text)) - mean) <= 0.05 + 1e-9
    # The demo notice heads every page, once (not "Illustrative data. Illustrative demo data: ...").
    assert text.count("Illustrative demo data") == int(pdfinfo(demo_packet)["Pages"])
    assert "Illustrative data." not in text
    assert "Status report as of 15 Oct 2020" in text and "Changes since 15 Jul 2020" in text


@pytest.mark.parametrize("filters", [["--strategy", "2"], ["--strategy", "1", "--department", "Public Works"]])
def test_filtered_packet_overall_progress_equals_rollup(tmp_path, demo_url, capsys, filters):
    """With one strategy selected, the packet's overall figure is that strategy's row of `wehoplan rollup`."""
    out = tmp_path / "p.pdf"
    code, _, err = run(capsys, "report", str(out), "--db", demo_url, "--plan", "smart city",
                       "--as-of", "2020-10-15", *filters)
    assert code == 0, err
    _, rows, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--as-of", "2020-10-15",
                     "--by", "strategy", *filters)
    (strategy,) = list(csv.DictReader(io.StringIO(rows)))
    text = pdftext(out)
    assert overall_progress(text) == f"{float(strategy['progress']):.1f}"
    assert f"strategy: {filters[1]}" in text
    assert "Changes since 17 Jul 2020" in text  # no --since: 90 days before


def test_demo_packet_is_tagged_pdf_ua_with_embedded_fonts_and_bounded_pages(demo_packet):
    info = pdfinfo(demo_packet)
    assert info["Tagged"] == "yes"
    assert info["Title"] == f"{SMART_CITY}: status report as of 15 Oct 2020"
    assert 4 <= int(info["Pages"]) <= 12
    fonts = subprocess.run(["pdffonts", str(demo_packet)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows)  # the "emb" column
    meta = subprocess.run(["pdfinfo", "-meta", str(demo_packet)], capture_output=True, text=True).stdout
    assert "<pdfuaid:part>1</pdfuaid:part>" in meta  # PDF/UA-1
    assert "<dc:language><rdf:Bag><rdf:li>en-US</rdf:li>" in meta
    # Page numbers count the packet's own pages.
    text = pdftext(demo_packet)
    assert f"Page {info['Pages']} of {info['Pages']}" in text and "Page 1 of" in text


def test_changes_section_equals_a_diff_of_two_rollups(demo_packet, demo_engine):
    plan = repository.resolve_plan(demo_engine, "smart city")
    items = repository.load_items(demo_engine, plan.id)
    updates = repository.load_updates(demo_engine, plan.id)
    expected = diff(rollup_table(items, updates, "2020-07-15"), rollup_table(items, updates, "2020-10-15"))
    assert len(expected) > 10
    text = " ".join(pdftext(demo_packet).split())
    section = text[text.index("Changes since 15 Jul 2020 Between"):text.index("Appendix: what needs attention")]
    for kind, heading in report.CHANGE_KINDS:
        rows = expected[expected["kind"] == kind]
        assert f"{heading} ({len(rows)})" in section
        for code, title in zip(rows["Code"].head(30), rows["Title"].head(30), strict=True):
            assert code in section and title in section
    packet = report.build_packet(repository.load_items(demo_engine, plan.id, include_archived=True), updates, plan,
                                 "2020-10-15", "2020-07-15")
    pd.testing.assert_frame_equal(packet.changes, expected)


def test_user_text_is_printed_never_run_as_markup(demo_engine, tmp_path):
    plan = repository.resolve_plan(demo_engine, "smart city")
    items = repository.load_items(demo_engine, plan.id)
    evil = '#panic("boom") $x^2$ *bold* <label> @ref \\ ]['
    items = items.assign(title=items["title"].where(items["code"] != "1", evil))
    pdf = report.packet_bytes(items, repository.load_updates(demo_engine, plan.id), plan, "2020-10-15",
                              made_by="Tester", made_at=MADE_AT)
    (tmp_path / "evil.pdf").write_bytes(pdf)
    text = pdftext(tmp_path / "evil.pdf")
    assert '#panic("boom")' in text and "$x^2$ *bold* <label> @ref" in text
    assert "Made 16 Oct 2020 09:30 by Tester" in text


def test_empty_selection_still_writes_a_packet(demo_engine):
    plan = repository.resolve_plan(demo_engine, "smart city")
    packet = report.build_packet(repository.load_items(demo_engine, plan.id), repository.load_updates(
        demo_engine, plan.id), plan, "2020-10-15", filters=Filters(owner=("nobody at all",)))
    assert packet.progress is None and packet.changes.empty and packet.headline == ()
    assert report.render(packet).startswith(b"%PDF")


@pytest.mark.parametrize("argv, code, message", [
    (["report", "p.xlsx"], 2, "must end in .pdf"),
    (["report", "p.pdf", "--as-of", "2020-10-15", "--since", "2020-10-15"], 2, "must be before"),
    (["report", "missing/dir/p.pdf"], 1, "does not exist"),
])
def test_report_errors_are_one_line(capsys, demo_url, tmp_path, monkeypatch, argv, code, message):
    monkeypatch.chdir(tmp_path)
    got, _out, err = run(capsys, *argv, "--db", demo_url, "--plan", "smart city")
    assert got == code and message in err and len(err.strip().splitlines()) == 1


def test_generated_plan_packet_stays_short(tmp_path):
    from wehoplan.generate import generate

    url = f"sqlite:///{tmp_path / 'gen.db'}"
    eng = make_engine(url)
    generate(eng, actions=600, months=12, plans=1, seed=3)
    plan = repository.list_plans(eng).iloc[0]["name"]
    out = tmp_path / "gen.pdf"
    assert main(["report", str(out), "--db", url, "--plan", plan]) == 0
    assert int(pdfinfo(out)["Pages"]) <= 40


def test_measures_are_a_section_when_the_hook_gives_rows(demo_engine, tmp_path):
    plan = repository.resolve_plan(demo_engine, "smart city")
    measures = pd.DataFrame({"Measure": ["Public Wi-Fi uptime"], "Target": ["99 %"], "Latest value": ["97.5 %"]})
    pdf = report.packet_bytes(repository.load_items(demo_engine, plan.id), repository.load_updates(
        demo_engine, plan.id), plan, "2020-10-15", measures=measures)
    (tmp_path / "m.pdf").write_bytes(pdf)
    text = pdftext(tmp_path / "m.pdf")
    assert "Measures\nMeasure Target Latest value\nPublic Wi-Fi uptime 99 % 97.5 %" in text


def test_the_demo_packet_lists_the_plans_measures_with_the_measures_commands_statuses(demo_packet, demo_url, capsys):
    _, out, _ = run(capsys, "measures", "--db", demo_url, "--plan", "smart city", "--as-of", "2020-10-15")
    listed = list(csv.DictReader(io.StringIO(out)))
    assert listed
    flat = " ".join(pdftext(demo_packet).split())
    from wehoplan.measures.rules import MEASURE_STATUS_LABELS

    for m in listed:
        assert m["name"] in flat
        assert MEASURE_STATUS_LABELS[m["status"]] in flat


def test_items_added_and_archived_in_edit_plan_are_new_and_archived_changes(fresh_url):
    from wehoplan import editing

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, "smart city")
    items = repository.load_items(eng, plan.id)
    gone = items[items["code"] == "3.5.1"].iloc[0]
    editing.add_item(eng, plan.id, parent_id=int(items[items["code"] == "3.5"].iloc[0]["id"]),
                     title="Pilot curb sensors", author="Ann")
    editing.archive_item(eng, int(gone["id"]), "Ann", int(gone["version"]))
    audit = repository.audit_frame(eng, plan_id=plan.id)
    day = audit["at"].max().normalize()  # the day of the edits: the packet compares the day before with it
    every = repository.load_items(eng, plan.id, include_archived=True)
    packet = report.build_packet(every, repository.load_updates(eng, plan.id), plan, day, day - pd.Timedelta(days=1),
                                 audit=audit)
    ch = packet.changes
    assert ch.loc[ch["kind"] == "new", ["Code", "Title"]].values.tolist() == [["3.5.2", "Pilot curb sensors"]]
    assert ch.loc[ch["kind"] == "archived", "Code"].tolist() == ["3.5.1"]
    text = pdftext_bytes(report.render(packet))
    assert "New items (1)" in text and "Pilot curb sensors" in text and "Archived items (1)" in text


def pdftext_bytes(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_the_default_comparison_date_is_the_previous_cycle_end_once_the_plan_has_a_cycle(fresh_url):
    from wehoplan.cycle_store import set_rule
    from wehoplan.cycles import CycleRule

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, "smart city")
    assert report.previous_cycle_end(eng, plan.id, "2020-10-15") is None  # no cycle: 90 days before
    set_rule(eng, plan.id, CycleRule("quarter", 14, 10, 5), "Editor")
    assert report.previous_cycle_end(eng, plan.id, "2020-10-15") == pd.Timestamp("2020-09-30")
    assert report.previous_cycle_end(eng, plan.id, "2020-09-30") == pd.Timestamp("2020-06-30")
