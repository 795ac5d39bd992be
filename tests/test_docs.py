"""The README stays true: every setting and every CLI command and option appears in it."""

import argparse

import pytest

from wehoplan.cli import build_parser
from wehoplan.config import ROOT, SETTINGS, load_config

README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    assert setting.env in README and setting.name in README


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_cli_command_and_option_is_documented(name):
    assert f"python -m wehoplan {name}" in README
    for action in subcommands()[name]._actions:
        for opt in action.option_strings:
            if opt.startswith("--") and opt != "--help":
                assert opt in README, f"{name} {opt} missing from README"


def test_the_two_commands_come_first():
    assert README.index("make run") < README.index("## Command line")
    assert README.index("make test") < README.index("## Command line")


def test_settings_come_from_the_environment_and_are_checked():
    cfg = load_config({"WEHOPLAN_STALE_DAYS": "45", "WEHOPLAN_ALLOW_FUTURE_UPDATES": "yes"})
    assert cfg.stale_days == 45 and cfg.allow_future_updates is True
    with pytest.raises(ValueError, match="WEHOPLAN_DUE_SOON_DAYS"):
        load_config({"WEHOPLAN_DUE_SOON_DAYS": "soon"})


def test_the_lock_command_in_the_readme_is_the_one_make_lock_runs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lock_args = next(line.split(":=", 1)[1].strip() for line in makefile.splitlines()
                     if line.startswith("LOCK_ARGS :="))
    assert f"uv pip compile {lock_args}" in README
    assert "make lint" in README and "make lock" in README and "`wehoplan" in README


def test_requirements_txt_is_a_hashed_lock_of_every_declared_dependency():
    import re
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    # One entry per package: "name==version [; marker] \" followed by its --hash lines.
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[2].strip())
    pins = {}
    for entry in entries:
        head = entry.splitlines()[0]
        name, sep, version = head.split(";")[0].strip(" \\").partition("==")
        assert sep and version, f"not pinned: {head}"
        assert "--hash=sha256:" in entry, f"no hash: {head}"
        pins[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but missing from the lock"
        assert req.specifier.contains(pins[name]), f"lock pins {req.name}=={pins[name]}, pyproject wants {spec}"
    assert {"authlib", "httpx"} <= set(pins)  # what streamlit[auth] brings


RULES = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_the_rules_name_every_status_word_the_code_accepts():
    from wehoplan.domain import STATUS_SYNONYMS, STATUSES

    missing = [w for w in STATUS_SYNONYMS if f"`{w}`" not in RULES]
    assert not missing, f"docs/rules.md does not name the status words {missing}"
    for s in STATUSES:
        assert f"`{s.key}` | {s.label} |" in RULES and s.colour in RULES, s.key


def test_the_rules_give_the_rollup_columns_and_health_words_the_code_uses():
    from wehoplan.cli import ROLLUP_CSV_COLUMNS
    from wehoplan.domain import HEALTH_KEYS, HEALTH_LABELS

    assert ",".join(ROLLUP_CSV_COLUMNS) in RULES
    assert all(f"`{k}`" in RULES and f"**{HEALTH_LABELS[k]}**" in RULES for k in HEALTH_KEYS)


def test_the_readme_points_at_the_rules_in_the_repository():
    assert "docs/rules.md" in README
    assert "../shared" not in README and "synonyms of the guide" not in README
