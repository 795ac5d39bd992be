"""Every legacy layout and value form of issue 4 imports into the expected tree and states."""

from __future__ import annotations

import datetime as dt

import pytest
from importing_helpers import leaf_updates, tree, xlsx

from wehoplan.db import make_engine
from wehoplan.importing import analyse, import_files

D = dt.date


@pytest.fixture
def engine(empty_url):
    return make_engine(empty_url)


def messy_codes() -> bytes:
    return xlsx({
        "Read me": [["How to fill in this workbook"], ["Use one row per action."]],
        "Work Plan": [
            ["City of Somewhere - Work Plan FY2020"],
            [],
            ["Item #", "Goal / Objective / Action", "Responsible Dept.", "Target Completion", "Status",
             "% Complete", "Comments"],
            ["GOAL 1: SAFE STREETS"],
            ["Objective 1.1", "Vision Zero plan", "Public Works", "June 2020", None, None, None],
            ["1.1.1.", "Crash data dashboard", "IT", "Q3 2020", "In Progress", 0.45, "NA"],
            ["1.1.2", "Speed humps", "Public Works", "FY2020 Q3", "Done", "100%", None],
            [],
            ["GOAL 2: OPEN DATA"],
            ["2.1", "Open data portal", "IT", "6/30/2020", "at risk", 30, "N/A"],
            ["2.2", "Budget explorer", None, "TBD", "Not Started", None, "None"],
        ],
        "Old 2017": [["Code", "Title", "Status"], ["9", "stale", "whatever"]],
    }, hidden=("Old 2017",), pct={"Work Plan": ["F6"]})


def test_codes_with_title_rows_sections_and_every_value_form(engine, empty_url):
    rep = import_files(engine, [("plan.xlsx", messy_codes())], plan_name="Messy", as_of=D(2020, 3, 31))
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Messy")
    assert t["code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2", "2", "2.1", "2.2"]
    assert t["parent"].tolist() == [None, "1", "1.1", "1.1", None, "2", "2"]
    assert t["title"].tolist()[:2] == ["SAFE STREETS", "Vision Zero plan"]
    assert t["level"].tolist() == ["Strategy", "Initiative", "Action", "Action", "Strategy", "Initiative",
                                   "Initiative"]
    due = dict(zip(t["code"], t["due"], strict=True))
    assert due["1.1"].date() == D(2020, 6, 30)  # June 2020 -> month end
    assert due["1.1.1"].date() == D(2020, 9, 30)  # Q3 2020 -> quarter end
    assert due["1.1.2"].date() == D(2020, 3, 31)  # FY2020 Q3 with a July fiscal year
    assert due["2.1"].date() == D(2020, 6, 30)
    assert str(due["2.2"]) == "NaT"  # TBD
    u = leaf_updates(empty_url, "Messy").set_index("code")
    assert u.loc["1.1.1", "progress"] == 45.0  # 0.45 formatted as %
    assert u.loc["1.1.1", "comment"] == "NA"  # stays text
    assert u.loc["2.2", "comment"] == "None"
    assert (u.loc["1.1.2", "status"], u.loc["1.1.2", "progress"]) == ("completed", 100.0)
    assert (u.loc["2.1", "status"], u.loc["2.1", "progress"]) == ("some_disruption", 30.0)
    assert u.loc["2.2", "status"] == "pending"
    assert set(u["as_of"].dt.date) == {D(2020, 3, 31)}
    text = "\n".join(rep.lines())
    assert "hidden sheet 'Old 2017' skipped" in text
    assert "'Read me' holds no work-plan table" in text


def test_separate_columns_with_merged_cells_fill_down(engine, empty_url):
    data = xlsx({"Plan": [
        ["Goal", "Objective", "Action", "Lead Department", "Due", "Status", "Progress"],
        ["Safe streets", "Vision Zero", "Crash dashboard", "IT", "2020-06-30", "On track", "50"],
        [None, None, "Speed humps", "Public Works", None, "Complete", None],
        [None, "Lighting", "LED retrofit", "Public Works", None, "red", "10%"],
        ["Open data", "Portal", "Launch portal", "IT", None, "delayed", 20],
    ]}, merge={"Plan": ["A2:A4", "B2:B3"]})
    rep = import_files(engine, [("p.xlsx", data)], plan_name="Cols", as_of=D(2021, 1, 1))
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Cols")
    assert list(zip(t["code"], t["title"], strict=True)) == [
        ("1", "Safe streets"), ("1.1", "Vision Zero"), ("1.1.1", "Crash dashboard"), ("1.1.2", "Speed humps"),
        ("1.2", "Lighting"), ("1.2.1", "LED retrofit"), ("2", "Open data"), ("2.1", "Portal"),
        ("2.1.1", "Launch portal")]
    u = leaf_updates(empty_url, "Cols").set_index("code")
    assert u["status"].to_dict() == {"1.1.1": "on_track", "1.1.2": "completed", "1.2.1": "major_disruption",
                                     "2.1.1": "some_disruption"}
    assert u["progress"].to_dict() == {"1.1.1": 50.0, "1.1.2": 100.0, "1.2.1": 10.0, "2.1.1": 20.0}


def test_level_column_and_row_order_generate_codes(engine, empty_url):
    data = "Type,Name,Owner,Status\nGoal,Housing,Ann,\nObjective,Build more,Ann,\nTask,Zoning update,Bo,green\n" \
           "Task,Permit portal,Bo,blocked\nObjective,Protect tenants,Cy,\nTask,Rent registry,Cy,on hold\n" \
           "Goal,Parks,Di,\nTask,Plant trees,Di,finished\n"
    rep = import_files(engine, [("levels.csv", data.encode())], as_of=D(2021, 6, 30))
    assert rep.ok, rep.lines()
    assert rep.plan == "levels"
    t = tree(empty_url, "levels")
    assert t["code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "2", "2.1"]
    assert t["parent"].tolist() == [None, "1", "1.1", "1.1", "1", "1.2", None, "2"]
    assert t["level"].tolist()[:3] == ["Goal", "Objective", "Task"]
    u = leaf_updates(empty_url, "levels").set_index("code")
    assert u["status"].to_dict() == {"1.1.1": "on_track", "1.1.2": "major_disruption", "1.2.1": "deferred",
                                     "2.1": "completed"}


def test_section_rows_without_codes_start_top_level_parents(engine, empty_url):
    data = xlsx({"S": [
        ["Action", "Dept", "Deadline", "Status"],
        ["Mobility"],
        ["Bike lanes", "Transit", "Sept 2021", "behind"],
        ["Bus shelters", "Transit", "2021-12-31", "on schedule"],
        ["Sustainability"],
        ["Solar roofs", "Public Works", "Q1 2022", "planned"],
    ]})
    rep = import_files(engine, [("s.xlsx", data)], plan_name="Sections", as_of=D(2021, 6, 30))
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Sections")
    assert list(zip(t["code"], t["title"], t["parent"], strict=True)) == [
        ("1", "Mobility", None), ("1.1", "Bike lanes", "1"), ("1.2", "Bus shelters", "1"),
        ("2", "Sustainability", None), ("2.1", "Solar roofs", "2")]
    assert t.set_index("code").loc["1.1", "due"].date() == D(2021, 9, 30)


def test_one_sheet_per_strategy_is_one_plan(engine, empty_url):
    head = ["Code", "Title", "Status", "Percent Complete"]
    data = xlsx({
        "Strategy 1": [head, ["1", "Data culture", None, None], ["1.1", "Analytics", "on track", 40]],
        "Strategy 2": [head, ["2", "Mobility", None, None], ["2.1", "Bike share", "done", None]],
        "Roll-up": [["Code", "Title"], ["1", "Data culture"]],
    })
    rep = import_files(engine, [("multi.xlsx", data)], plan_name="Multi", as_of=D(2021, 1, 1))
    assert rep.ok, rep.lines()
    assert tree(empty_url, "Multi")["code"].tolist() == ["1", "1.1", "2", "2.1"]
    assert "'Roll-up' holds a different kind of table" in "\n".join(rep.lines())


def test_smart_as_five_flag_columns_or_one_column(engine, empty_url):
    data = xlsx({"P": [
        ["Code", "Title", "Sustainability", "Mobility", "Accessibility", "Resiliency", "Transparency"],
        ["1", "Goal", None, None, None, None, None],
        ["1.1", "Flags", "x", "yes", None, "Y", None],
        ["1.2", "None", None, "no", None, None, None],
    ]})
    assert import_files(engine, [("f.xlsx", data)], plan_name="Flags").ok
    assert tree(empty_url, "Flags").set_index("code")["smart"].to_dict() == {"1": "", "1.1": "SMR", "1.2": ""}
    data2 = xlsx({"P": [["Code", "Title", "SMART Values"], ["1", "A", "Mobility; Transparency"], ["2", "B", "S,A"]]})
    assert import_files(engine, [("g.xlsx", data2)], plan_name="Letters").ok
    assert tree(empty_url, "Letters")["smart"].tolist() == ["MT", "SA"]


def test_csv_bom_semicolon_and_cp1252(engine, empty_url):
    bom = "\ufeffCode,Title,Status\n1,Café wifi,on track\n".encode()
    rep = import_files(engine, [("bom.csv", bom)], plan_name="Bom")
    assert rep.ok and tree(empty_url, "Bom")["title"].tolist() == ["Café wifi"]
    cp = "Nr.;Titel;Status;Fällig\n".replace("Nr.", "Code").replace("Titel", "Title").replace("Fällig", "Due")
    cp += "1;Résumé – plan;complete;30/06/2020\n".replace("30/06/2020", "6/30/2020")
    rep = import_files(engine, [("cp.txt", cp.encode("cp1252"))], plan_name="Cp")
    assert rep.ok, rep.lines()
    assert tree(empty_url, "Cp")["title"].tolist() == ["Résumé – plan"]
    assert any("cp1252" in w.message for w in rep.warnings)


def test_xlsm_macros_are_ignored_with_a_notice(engine):
    data = xlsx({"P": [["Code", "Title"], ["1", "A"]]})
    rep = import_files(engine, [("macro.xlsm", data)], plan_name="M")
    assert rep.ok
    assert any("macros were ignored" in w.message for w in rep.warnings)


def test_mapping_file_overrides_detection(engine, empty_url):
    data = b"Ref,Thing,Whenever,Who\n1,Alpha,2020-01-31,Ann\n"
    assert not import_files(engine, [("m.csv", data)], plan_name="Map", dry_run=True).ok  # no title column
    rep = import_files(engine, [("m.csv", data)], plan_name="Map",
                       mapping={"Thing": "title", "Whenever": "due", "who": "owner"})
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Map")
    assert (t.loc[0, "title"], t.loc[0, "owner"], t.loc[0, "due"].date()) == ("Alpha", "Ann", D(2020, 1, 31))


def test_parent_cells_are_not_used_and_the_report_says_so_once(engine, empty_url):
    data = "Code,Title,Status,Progress\n1,Goal,red,5\n1.1,Act,green,50\n2,Goal2,red,5\n2.1,Act2,done,\n"
    rep = import_files(engine, [("p.csv", data.encode())], plan_name="P", as_of=D(2020, 1, 1))
    assert rep.ok
    assert leaf_updates(empty_url, "P")["code"].tolist() == ["1.1", "2.1"]
    assert sum("parent row(s)" in w.message for w in rep.warnings) == 1


def test_preview_and_mapping_for_the_page():
    an = analyse([("plan.xlsx", messy_codes())])
    assert an.ok
    m = an.mappings()[0]
    assert (m["sheet"], m["header_row"]) == ("Work Plan", 3)
    assert m["mapping"]["Target Completion"] == "due" and m["mapping"]["% Complete"] == "progress"
    prev = an.preview()
    assert prev["code"].tolist()[:3] == ["1", "1.1", "1.1.1"]


def test_own_status_words_can_be_mapped(engine, empty_url):
    data = b"Code,Title,Status\n1,A,Purple\n2,B,Blue-ish\n"
    rep = import_files(engine, [("w.csv", data)], plan_name="W", as_of=D(2020, 1, 1))
    assert not rep.ok and '"status:Purple": "on_track"' in rep.errors[0].message
    rep = import_files(engine, [("w.csv", data)], plan_name="W", as_of=D(2020, 1, 1),
                       mapping={"status:purple": "On track", "Status: blue ish": "completed"})
    assert rep.ok, rep.lines()
    assert leaf_updates(empty_url, "W")["status"].tolist() == ["on_track", "completed"]


def test_vertically_merged_cells_belong_to_every_row(engine, empty_url):
    data = xlsx({"P": [
        ["Code", "Title", "Department", "Status"],
        ["1", "Goal", "Public Works", None],
        ["1.1", "Potholes", None, "on track"],
        ["1.2", "Sidewalks", None, "done"],
    ]}, merge={"P": ["C2:C4"]})
    assert import_files(engine, [("m.xlsx", data)], plan_name="Merged").ok
    assert tree(empty_url, "Merged")["department"].tolist() == ["Public Works"] * 3


@pytest.mark.parametrize(("value", "expected"), [
    ("6/30/2020 0:00", D(2020, 6, 30)), ("30 June 2020", D(2020, 6, 30)), ("Jun-20", D(2020, 6, 30)),
    ("June 30, 2020", D(2020, 6, 30)), ("2020-06-30T00:00:00", D(2020, 6, 30)), ("Q2-2020", D(2020, 6, 30)),
    ("FY21 Q1", D(2020, 9, 30)), ("n/a", None), ("", None), (dt.datetime(2020, 6, 30, 0, 0), D(2020, 6, 30)),
])
def test_date_forms(value, expected):
    from wehoplan.importing.values import parse_date

    assert parse_date(value) == expected


def test_weights_and_several_files_make_one_plan(engine, empty_url, tmp_path):
    a = tmp_path / "strategy1.csv"
    b = tmp_path / "strategy2.csv"
    a.write_text("Code,Title,Weight,Status,Progress\n1,One,,,\n1.1,A,3,on track,100\n1.2,B,1,on track,0\n")
    b.write_text("Code,Title,Weight\n2,Two,0\n2.1,C,\n")
    rep = import_files(engine, [a, b], plan_name="Two files", as_of=D(2020, 1, 1))
    assert rep.ok, rep.lines()
    from importing_helpers import prepared

    t = prepared(empty_url, "Two files").set_index("code")
    assert t["weight"].to_dict() == {"1": 1.0, "1.1": 3.0, "1.2": 1.0, "2": 0.0, "2.1": 1.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("Code,Title,Weight\n1,One,-2\n")
    rep = import_files(engine, [bad], plan_name="Bad weight")
    assert not rep.ok and "may not be negative" in rep.errors[0].message


def test_codes_excel_stored_as_numbers_get_a_hint(engine):
    data = xlsx({"P": [["Code", "Title"], [1, "Goal"], [1.1, "A"], [1.10, "J"]]})
    rep = import_files(engine, [("n.xlsx", data)], plan_name="N")
    assert not rep.ok and "format the code column as Text" in rep.errors[0].message


def test_mojibake_and_near_miss_plan_names_are_reported(engine):
    rep = import_files(engine, [("m.csv", "Code,Title\n1,CafÃ© wifi\n".encode())], plan_name="Work plan")
    assert rep.ok and any("mis-encoded" in w.message and w.file == "m.csv" for w in rep.warnings)
    rep = import_files(engine, [("m.csv", b"Code,Title\n1,A\n")], plan_name="work PLAN")
    assert any("similar: Work plan" in w.message for w in rep.warnings)


def test_group_columns_without_codes_take_their_actions_code_prefix(engine, empty_url):
    data = (b"Goal,Objective,Action #,Action\n"
            b"Open data,Portal,2.1.1,Launch portal\n,,2.1.2,Train staff\n"
            b"Safe streets,Vision Zero,1.1.1,Dashboard\n")
    rep = import_files(engine, [("g.csv", data)], plan_name="G")
    assert rep.ok, rep.lines()
    t = tree(empty_url, "G")
    assert list(zip(t["code"], t["title"], t["parent"], strict=True)) == [
        ("1", "Safe streets", None), ("1.1", "Vision Zero", "1"), ("1.1.1", "Dashboard", "1.1"),
        ("2", "Open data", None), ("2.1", "Portal", "2"), ("2.1.1", "Launch portal", "2.1"),
        ("2.1.2", "Train staff", "2.1")]


def test_two_header_rows_under_a_merged_group_header(engine, empty_url):
    data = xlsx({"P": [
        ["Work plan"],
        ["Code", "Title", "SMART values", None, None, None, None, "Status"],
        [None, None, "S", "M", "A", "R", "T", None],
        ["1", "Goal", None, None, None, None, None, None],
        ["1.1", "Action", "x", None, None, "x", None, "on track"],
    ]}, merge={"P": ["C2:G2"]})
    rep = import_files(engine, [("two.xlsx", data)], plan_name="Two")
    assert rep.ok, rep.lines()
    assert tree(empty_url, "Two")["smart"].tolist() == ["", "SR"]


def test_generated_codes_never_collide_with_given_ones(engine, empty_url):
    data = xlsx({"P": [["Code", "Title", "Status"], ["Mobility"], ["1", "Bike lanes", "on track"],
                       ["2", "Buses", "on track"], ["Housing"], ["3", "Zoning", "done"]]})
    rep = import_files(engine, [("c.xlsx", data)], plan_name="C")
    assert rep.ok, rep.lines()
    t = tree(empty_url, "C")
    assert t["code"].is_unique
    assert t.set_index("title").loc[["Bike lanes", "Buses", "Zoning"], "parent"].tolist() == ["4", "4", "5"]


def test_update_date_column_dates_each_leaf(engine, empty_url):
    data = b"Code,Title,Status,Progress,Last Updated\n1,A,on track,40,3/31/2020\n2,B,done,,\n"
    assert import_files(engine, [("d.csv", data)], plan_name="Dated", as_of=D(2020, 6, 30)).ok
    u = leaf_updates(empty_url, "Dated").set_index("code")
    assert u["as_of"].dt.date.to_dict() == {"1": D(2020, 3, 31), "2": D(2020, 6, 30)}


def test_sheet_option_restricts_and_can_pick_a_hidden_sheet(engine, empty_url):
    head = ["Code", "Title", "Status"]
    data = xlsx({"Current": [head, ["1", "Now", "on track"]], "Archive": [head, ["1", "Then", "done"]]},
                hidden=("Archive",))
    assert import_files(engine, [("s.xlsx", data)], plan_name="Cur").ok
    assert tree(empty_url, "Cur")["title"].tolist() == ["Now"]
    assert import_files(engine, [("s.xlsx", data)], plan_name="Arc", sheet="archive").ok
    assert tree(empty_url, "Arc")["title"].tolist() == ["Then"]
    rep = import_files(engine, [("s.xlsx", data)], plan_name="X", sheet="Budget")
    assert not rep.ok and "no sheet named 'Budget'; sheets: Current, Archive" in rep.errors[0].message


def test_codes_written_inside_the_title_cells(engine, empty_url):
    data = xlsx({"Plan": [
        ["Somewhere work plan"],
        ["Goal / Objective / Action", "Responsible Dept.", "Target Date", "Status", "% Complete"],
        ["GOAL 1: SAFE STREETS"],
        ["Objective 1.1 Vision Zero", "Public Works", None, None, None],
        ["1.1.1. Install pedestrian signals", None, "Q3 2020", "In Progress", 45],
        ["1.1.2 Speed study", None, "6/30/2020", "Complete", None],
        ["GOAL 2: OPEN GOVERNMENT"],
        ["Objective 2.1 Open data", "Innovation", None, None, None],
        ["2.1.1 Publish budget data", None, "TBD", "at risk", 30],
    ]})
    rep = import_files(engine, [("p.xlsx", data)], plan_name="Titles", as_of=D(2020, 5, 31))
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Titles")
    assert list(zip(t["code"], t["title"], t["parent"], strict=True)) == [
        ("1", "SAFE STREETS", None), ("1.1", "Vision Zero", "1"), ("1.1.1", "Install pedestrian signals", "1.1"),
        ("1.1.2", "Speed study", "1.1"), ("2", "OPEN GOVERNMENT", None), ("2.1", "Open data", "2"),
        ("2.1.1", "Publish budget data", "2.1")]
    states = leaf_updates(empty_url, "Titles").set_index("code")
    assert states.loc["1.1.1", "progress"] == 45 and states.loc["1.1.2", "status"] == "completed"


def test_a_title_that_merely_starts_with_a_number_is_not_a_code(engine, empty_url):
    data = xlsx({"S": [
        ["Action", "Status"],
        ["311 app refresh", "on track"],
        ["Bike lanes", "behind"],
        ["Bus shelters", "planned"],
    ]})
    rep = import_files(engine, [("s.xlsx", data)], plan_name="Plain", as_of=D(2021, 6, 30))
    assert rep.ok, rep.lines()
    assert tree(empty_url, "Plain")["title"].tolist() == ["311 app refresh", "Bike lanes", "Bus shelters"]
