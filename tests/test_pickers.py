"""Item pickers on a large plan (Edit Plan, Update Progress): a search narrows the list, the current choice stays."""

from wehoplan.ui.pickers import LIMIT, narrowed

LABELS = {i: f"{i // 100}.{i % 100} · {'Bridge repair' if i % 7 == 0 else 'Street lights'} {i}"
          for i in range(1, 2001)}
IDS = list(LABELS)


def test_a_large_plan_lists_at_most_the_limit_and_says_how_many_match():
    shown, n = narrowed(IDS, LABELS, "")
    assert n == 2000
    assert shown == IDS[:LIMIT]


def test_the_search_matches_part_of_a_code_or_title_in_any_case():
    shown, n = narrowed(IDS, LABELS, "  BRIDGE ")
    assert n == len([i for i in IDS if i % 7 == 0])
    assert all("Bridge" in LABELS[i] for i in shown)
    assert narrowed(IDS, LABELS, "12.34 ·")[0] == [1234]


def test_the_current_choice_stays_listed_when_the_search_leaves_it_out():
    shown, _ = narrowed(IDS, LABELS, "bridge", keep=1999)
    assert shown[0] == 1999 and 1999 % 7 != 0
    assert narrowed(IDS, LABELS, "bridge", keep=5000)[0][0] != 5000  # an id of no item is not invented


def test_update_progress_lists_the_first_of_its_found_items_and_keeps_the_choice_it_still_finds():
    from wehoplan.ui.pickers import listed

    assert listed(IDS) == IDS[:LIMIT]
    assert listed(IDS[:5], keep=3) == IDS[:5]
    assert listed(IDS, keep=1999) == [1999, *IDS[:LIMIT]]  # chosen further down: listed first
    assert listed(IDS[:500], keep=1999) == IDS[:LIMIT]  # no longer found (a search or owner left it out)
    assert listed(IDS, limit=2) == IDS[:2]
