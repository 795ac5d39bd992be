"""``wehoplan`` / ``python -m wehoplan``: parse, call the library, print (GUIDE §4).

One module per command group registers its commands with ``register(sub)``; what they share
(errors, ``--db``, ``--plan``, ``--as-of``, the filters) lives in :mod:`wehoplan.cli.common`.
Exit codes: 0 success, 1 input rejected (nothing written), 2 usage error. Errors are
one readable line each on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wehoplan.cli import (
    cycles,
    db,
    demo,
    editing,
    exporting,
    generate,
    importing,
    measures,
    publish,
    report,
    rollup,
    users,
)
from wehoplan.cli.common import InputError, Parser, UsageError, one_line_error
from wehoplan.cli.rollup import ROLLUP_CSV_COLUMNS
from wehoplan.db import SchemaError
from wehoplan.memory import keep_freed_blocks

__all__ = ["ROLLUP_CSV_COLUMNS", "InputError", "UsageError", "build_parser", "main"]

# In the order `--help` lists them.
COMMAND_GROUPS = (demo, rollup, editing, importing, generate, exporting, db, users, cycles, measures, publish, report)


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser (also used by tests/test_docs.py)."""
    parser = Parser(prog="python -m wehoplan", description="Run a city's strategic plan.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code."""
    try:
        args = build_parser().parse_args(argv)
        keep_freed_blocks()  # a county plan's columns are recycled (wehoplan/memory.py)
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (InputError, SchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # the contract is one line, never a traceback
        print(f"error: {one_line_error(exc)}", file=sys.stderr)
        return 1
