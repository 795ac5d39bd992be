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
