"""Issue 20 and issue 14 point 2: files in the shapes cities publish import without a mapping, or are refused
with one message naming the fix; the report says which sheet, which header row, how each column was read."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from importing_helpers import leaf_updates, tree, xlsx

from wehoplan import repository
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.importing import analyse, import_files, recall_mapping, saved_mappings

D = dt.date
AS_OF = D(2020, 10, 15)
TRACKER_HEADER = ["Pillar", "Action ID", "Action", "Lead", "Department", "Status", "% Complete", "Due"]
TRACKER_ROWS = [
    ["Pillar 1 - Safe streets", 1, "Crash dashboard", "Ana Ruiz", "Public Works", "In Progress", 40, "2020-12-31"],
    [None, 2, "Speed humps", "Ben Okafor", "Public Works", "Complete", 100, "2020-06-30"],
    [None, 3, "Vision Zero plan", "Ana Ruiz", "Planning", "Not Yet Started", 0, "2021-03-31"],
    ["Pillar 5 - Open data", 1, "Open data portal", "Chen Li", "IT", "Delayed", 30, "2020-09-30"],
    [None, 2, "Budget explorer", "Chen Li", "IT", "Decision taken", 100, "2020-08-31"],
]


@pytest.fixture
def engine(empty_url):
    return make_engine(empty_url)


def eleven_sheets() -> bytes:
    """An 11-sheet tracker: 3 hidden, scratch sheets, a filtered copy, 4 title rows above the header."""
    titles = [["Office of the Mayor"], ["Strategic Plan Action Tracker"], ["Updated monthly"], ["Draft - internal"]]
    return xlsx({
        "About": [["About this workbook"], ["Maintained by the Performance Office."]],
        "Instructions": [["Fill one row per action."], ["Use the drop-downs."]],
        "Tracker": [*titles, TRACKER_HEADER, *TRACKER_ROWS],
        # A filtered copy of the tracker (Public Works only): its rows repeat the tracker's titles.
        "Tracker (PW view)": [TRACKER_HEADER, TRACKER_ROWS[0], TRACKER_ROWS[1]],
        # A 3-row scratch sheet with more known columns than the tracker and no titles.
        "Sheet3": [["Code", "Title", "Owner", "Department", "Start", "Due", "Status", "Progress", "Comment"],
                   [1, None, None, None, None, None, None, None, None],
                   [2, None, None, None, None, None, None, None, None],
                   [3, None, None, None, None, None, None, None, None]],
        "Old 2019": [["Code", "Title", "Status"], ["9", "stale", "whatever"]],
        "Lists": [["Status", "Department"], ["In Progress", "IT"]],
        "Calc": [["x", "y"], [1, 2]],
        "Chart data": [["Month", "Count"], ["Jan", 3], ["Feb", 4]],
        "Notes": [["Meeting notes"], ["Ask IT about the portal."]],
        "Summary": [["Pillar", "Status", "% Complete"], ["Pillar 1", "On track", 47], ["Pillar 5", "Delayed", 65]],
    }, hidden=("Old 2019", "Lists", "Calc"))


def test_eleven_sheet_workbook_imports_the_tracker_only_and_says_why(engine, empty_url):
    rep = import_files(engine, [("tracker.xlsx", eleven_sheets())], plan_name="Tracker", as_of=AS_OF)
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Tracker").set_index("code")
    # "Pillar 5" keeps its number; each pillar numbers its own actions (1, 2, ...): placed under it.
    assert list(t.index) == ["1", "1.1", "1.2", "1.3", "5", "5.1", "5.2"]
    assert t.loc["5", "title"] == "Open data" and t.loc["1.3", "parent"] == "1"
    assert t.loc["1.1", "owner"] == "Ana Ruiz" and t.loc["1.1", "department"] == "Public Works"
    assert t.loc["5.1", "due"] == pd.Timestamp(2020, 9, 30)
    states = leaf_updates(empty_url, "Tracker").set_index("code")["status"].to_dict()
    assert states == {"1.1": "on_track", "1.2": "completed", "1.3": "pending", "5.1": "some_disruption",
                      "5.2": "completed"}
    text = "\n".join(rep.explanation)
    assert "sheet 'Tracker': used: the largest work-plan table (5 rows)" in text
    assert "sheet 'Tracker (PW view)': not used: repeats the rows of sheet 'Tracker'" in text
    assert "sheet 'Sheet3': not used" in text
    assert "sheet 'Old 2019': not used: hidden sheet" in text
    assert "sheet 'Summary': not used: holds a different kind of table" in text
    assert "header row 5: the first row of text naming known columns; the 4 row(s) above it are titles" in text
    assert "column D (Lead): owner" in text and "column E (Department): lead department" in text
    assert "first value read: 31 Dec 2020" in text


def test_lookup_sheet_is_not_merged_and_committees_number_their_own_actions(engine, empty_url):
    data = xlsx({
        "Tracker": [["Committee No", "Committee", "Action No", "Action", "Status", "Due"],
                    [1, "Finance", 1, "Publish the budget", "On track", "2021-01-31"],
                    [1, "Finance", 2, "Audit grants", "Not started", "2021-02-28"],
                    [2, "Housing", 1, "Zoning review", "Complete", "2020-06-30"]],
        "Committees": [["Committee", "Description"], ["Finance", "Budget and grants"],
                       ["Housing", "Zoning and permits"]],
    })
    rep = import_files(engine, [("plan.xlsx", data)], plan_name="Committees plan", as_of=AS_OF)
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Committees plan").set_index("code")
    assert list(t.index) == ["1", "1.1", "1.2", "2", "2.1"]
    assert t.loc["2.1", "title"] == "Zoning review" and t.loc["2", "title"] == "Housing"
    text = "\n".join(rep.explanation)
    assert "sheet 'Committees': not used: a lookup list: its names appear in column 'Committee'" in text
    assert "number the rows within their group" in text
    assert not any("Excel stored these codes as numbers" in w.message for w in rep.warnings)


def test_code_column_without_titles_is_used_with_codes_as_titles():
    data = b"Pillar Code,Action,Status\n1,Crash dashboard,On track\n1,Speed humps,Done\n2,Portal,Delayed\n"
    an = analyse([("p.csv", data)], mapping={"Pillar Code": "h1_code"})
    assert an.ok, an.problem_frame()
    rows = [(n.code, n.title, n.parent.code if n.parent else None) for n in an.parsed.nodes]
    assert rows == [("1", "1", None), ("1.1", "Crash dashboard", "1"), ("1.2", "Speed humps", "1"),
                    ("2", "2", None), ("2.1", "Portal", "2")]
    assert any("codes but no titles" in n and "h1" in n for n in an.explanation())


def test_measure_catalogue_header_is_not_outvoted_by_a_data_row():
    rows = [["Measure ID", "Measure", "Department", "Unit", "Target", "Frequency", "Status"],
            # Data row 2 holds header words ("No", "Item", "percent", "Due", "Start"): five known names.
            ["No", "Item", "Planning", "percent", "Due", "Start", "On track"],
            *[[f"PM-{i}", f"Measure {i}", "Building", "percent", 95, "Monthly", "On track"] for i in range(1, 30)]]
    an = analyse([("measures.xlsx", xlsx({"Measures": rows}))])
    assert an.ok, an.problem_frame().head()
    assert an.tables[0].header_row == 0
    assert len(an.parsed.nodes) == 30
    titles = {n.title for n in an.parsed.nodes}
    assert "PM-3 Measure 3" in titles and "Item" in titles


def test_lettered_codes_hold_three_levels_and_stay_visible():
    data = (b"ID,Title,Status\nP1,Prosperity,\nP1.F1,Jobs,\nP1.F1.A1,Job fairs,On track\nP1.F2,Skills,\n"
            b"P1.F2.A1,Apprenticeships,Done\nP2,Planet,\nP2.F1,Energy,\nP2.F1.A1,Solar roofs,Delayed\n")
    an = analyse([("io.csv", data)])
    assert an.ok, an.problem_frame()
    got = {n.code: (n.title, n.parent.code if n.parent else None) for n in an.parsed.nodes}
    assert got["1.2.1"] == ("P1.F2.A1 Apprenticeships", "1.2")
    assert got["1.2"] == ("P1.F2 Skills", "1") and got["2.1.1"][1] == "2.1"
    assert len(got) == 8


def test_work_package_and_action_both_numbered_14():
    data = (b"Pillar,WP No,Work Package,Action No,Action,Status\n"
            b"Pillar 1,14,Data platform,14,Build the lake,On track\n"
            b"Pillar 1,14,Data platform,15,Train staff,Not started\n"
            b"Pillar 1,15,Open standards,16,Adopt schemas,Done\n")
    an = analyse([("wp.csv", data)])
    assert an.ok, an.problem_frame()
    got = {n.code: n.title for n in an.parsed.nodes}
    assert got == {"1": "Pillar 1", "1.14": "Data platform", "1.14.14": "Build the lake", "1.14.15": "Train staff",
                   "1.15": "Open standards", "1.15.16": "Adopt schemas"}


def test_progress_column_of_status_words_is_read_as_status(engine, empty_url):
    data = b"Code,Title,Progress\n1,Goal,\n1.1,A,In Progress\n1.2,B,Complete\n1.3,C,Not Yet Started\n"
    rep = import_files(engine, [("p.csv", data)], plan_name="Words", as_of=AS_OF)
    assert rep.ok, rep.lines()
    assert leaf_updates(empty_url, "Words")["status"].tolist() == ["on_track", "completed", "pending"]
    assert any("holds status words" in x and "read as the status" in x for x in rep.explanation)


def test_progress_column_of_status_words_beside_a_status_column_says_so_once():
    data = b"Code,Title,Status,Progress\n1,A,On track,In Progress\n2,B,Done,Complete\n3,C,Not started,Not Yet Started\n"
    an = analyse([("p.csv", data)])
    assert an.ok, an.problem_frame()
    said = [x for x in an.explanation() if "holds status words" in x]
    assert len(said) == 1 and "map it to status" in said[0]


def test_issue14_goal_objective_task_sheet(engine, empty_url):
    rows = [["Goal/Objective/Task", "Description", "Lead", "Department", "Status", "% Complete", "Due"],
            ["Goal 1: Safe streets", "Fewer crashes", "Ana Ruiz", "Public Works", None, None, None],
            ["Objective 1.1: Vision Zero", "A plan", "Ana Ruiz", "Public Works", None, None, None],
            ["Task 1.1.1: Crash dashboard", "Weekly data", "Ben Okafor", "IT", "In progress", 0.4, "2020-12-31"],
            ["Task 1.1.2: Speed humps", "Ten streets", "Ben Okafor", "Public Works", "Done", 1, "2020-06-30"]]
    rep = import_files(engine, [("plan.xlsx", xlsx({"Plan": rows}, pct={"Plan": ["F4", "F5"]}))],
                       plan_name="Issue 14", as_of=AS_OF)
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Issue 14").set_index("code")
    assert list(t.index) == ["1", "1.1", "1.1.1", "1.1.2"]
    assert t.loc["1.1.1", "title"] == "Crash dashboard" and t.loc["1.1.1", "owner"] == "Ben Okafor"
    assert t.loc["1.1.1", "department"] == "IT" and t.loc["1.1.1", "due"] == pd.Timestamp(2020, 12, 31)
    items = repository.load_items(make_engine(empty_url), repository.resolve_plan(make_engine(empty_url),
                                                                                  "Issue 14").id)
    assert items.set_index("code").loc["1.1.1", "description"] == "Weekly data"
    assert leaf_updates(empty_url, "Issue 14")["progress"].tolist() == [40.0, 100.0]


def test_several_departments_and_sharepoint_list_cells(engine, empty_url):
    data = (b"Title,Departments,AssignedTo,Status\n"
            b"Safer corridors,\"BPD, MONSE\",['Ana Ruiz'],['In Progress']\n"
            b"Youth jobs,\"['HSD', 'OED', 'Parks']\",\"['Chen Li']\",Not Yet Started\n")
    rep = import_files(engine, [("sp.csv", data)], plan_name="SharePoint", as_of=AS_OF)
    assert rep.ok, rep.lines()
    items = repository.load_items(make_engine(empty_url), repository.resolve_plan(make_engine(empty_url),
                                                                                  "SharePoint").id)
    got = items.set_index("title")[["department", "partners", "owner"]].to_dict("index")
    assert got["Safer corridors"]["department"] == "BPD" and "MONSE" in got["Safer corridors"]["partners"]
    assert got["Youth jobs"]["department"] == "HSD" and got["Youth jobs"]["owner"] == "Chen Li"
    assert {"OED", "Parks"} <= set(str(got["Youth jobs"]["partners"]).replace(",", ";").replace(" ", "").split(";"))
    assert leaf_updates(empty_url, "SharePoint")["status"].tolist() == ["on_track", "pending"]
    assert any("several departments" in x for x in rep.explanation)


def test_portuguese_plan(engine, empty_url):
    data = ("Eixo,Ação,Responsável,Órgão Responsável,Prazo,Situação\n"
            "Eixo 1 - Saúde,Ampliar postos,Maria Silva,Secretaria de Saúde,2021-06-30,Em andamento\n"
            ",Vacinação,João Souza,Secretaria de Saúde,2021-03-31,Concluído\n"
            "Eixo 2 - Educação,Novas escolas,Ana Costa,Secretaria de Educação,2022-01-31,Não iniciado\n").encode()
    rep = import_files(engine, [("plano.csv", data)], plan_name="Plano", as_of=AS_OF)
    assert rep.ok, rep.lines()
    t = tree(empty_url, "Plano").set_index("code")
    assert t.loc["1", "title"] == "Saúde" and t.loc["1.2", "owner"] == "João Souza"
    assert t.loc["2.1", "department"] == "Secretaria de Educação" and t.loc["2.1", "due"] == pd.Timestamp(2022, 1, 31)
    assert leaf_updates(empty_url, "Plano")["status"].tolist() == ["on_track", "completed", "pending"]


def test_camel_and_snake_case_headers():
    data = b"ActionId,ActionName,lead_department,due_date,indicative_action_status\n1,Portal,IT,2021-01-31,x\n"
    an = analyse([("db.csv", data)])
    fields = set(an.tables[0].mapping.values())
    assert {"code", "title", "department", "due"} <= fields


def test_no_table_is_refused_with_one_message_naming_the_fix():
    data = xlsx({"Data": [["Alpha", "Beta", "Gamma"], ["1", "2", "3"]]})
    an = analyse([("x.xlsx", data)])
    assert len(an.errors) == 1
    msg = an.errors[0].message
    assert "pick that sheet and header row" in msg and "--mapping" in msg


def test_a_corrected_mapping_is_remembered_for_the_plan_and_layout(engine):
    data = b"Ref,Thing,Who,State\n1,Portal,Chen Li,On track\n"
    mapping = {"Ref": "code", "Thing": "title", "Who": "owner", "State": "status"}
    rep = import_files(engine, [("m.csv", data)], plan_name="Remembered", mapping=mapping, as_of=AS_OF)
    assert rep.ok, rep.lines()
    layout = analyse([("m.csv", data)]).layout()
    assert recall_mapping(engine, "Remembered", layout) == mapping
    assert recall_mapping(engine, "Another plan", layout) is None
    assert saved_mappings(engine)["plan_name"].tolist() == ["Remembered"]


def test_cli_report_says_which_sheet_header_and_columns(tmp_path, capsys, empty_url):
    f = tmp_path / "tracker.xlsx"
    f.write_bytes(eleven_sheets())
    code = main(["import", str(f), "--db", empty_url, "--as-of", "2020-10-15", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "read: tracker.xlsx, sheet 'Tracker': used: the largest work-plan table" in err
    assert "read: tracker.xlsx, sheet 'Tracker': header row 5" in err
    assert "column H (Due): due date" in err


def test_cli_header_row_picks_the_header(tmp_path, capsys, empty_url):
    f = tmp_path / "odd.csv"
    f.write_text("Ref,Thing\nCode,Title\n1,Portal\n")
    code = main(["import", str(f), "--db", empty_url, "--header-row", "2", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "header row 2, as chosen" in err and "would import into 'odd': 1 items created" in err
    assert main(["import", str(f), "--db", empty_url, "--header-row", "0"]) == 2


def test_level_words_before_titles_in_one_column():
    data = (b"Goal/Objective/Task,Description,Lead,Department,Status,% Complete,Due\n"
            b"Goal: Safe streets,Fewer crashes,,,,,\nObjective: Vision Zero,A plan,,,,,\n"
            b"Task: Speed humps,Ten streets,Ben Okafor,Public Works,Done,100,2020-06-30\n"
            b"Task: Crash dashboard,Weekly,Chen Li,IT,In progress,40,2020-12-31\n"
            b"Goal: Open data,,,,,,\nTask: Portal,,Chen Li,IT,Not Yet Started,0,2021-01-31\n")
    an = analyse([("plan.csv", data)])
    assert an.ok, an.problem_frame()
    got = [(n.code, n.title, n.fields.get("owner")) for n in an.parsed.nodes]
    assert got == [("1", "Safe streets", None), ("1.1", "Vision Zero", None), ("1.1.1", "Speed humps", "Ben Okafor"),
                   ("1.1.2", "Crash dashboard", "Chen Li"), ("2", "Open data", None), ("2.1", "Portal", "Chen Li")]
    assert next(n for n in an.parsed.nodes if n.code == "1").fields["description"] == "Fewer crashes"


def test_mapping_without_sheet_does_not_merge_the_filtered_copy():
    mapping = {"Action ID": "code", "Action": "title", "Pillar": "h1"}
    an = analyse([("tracker.xlsx", eleven_sheets())], mapping=mapping)
    assert an.ok, an.problem_frame()
    assert [t.sheet.name for t in an.tables] == ["Tracker"]
    assert len([n for n in an.parsed.nodes if not n.children]) == 5


def test_duplicate_whole_number_codes_get_no_excel_number_hint():
    data = xlsx({"P": [["Code", "Title"], [1, "A"], [1, "B"]]})
    an = analyse([("d.xlsx", data)])
    msgs = [e.message for e in an.errors]
    assert any("duplicate code 1" in m for m in msgs)
    assert not any("stored these codes as numbers" in m for m in msgs)
