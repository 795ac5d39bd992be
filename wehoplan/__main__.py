"""Entry point of ``python -m wehoplan`` (the ``wehoplan`` command calls the same ``main``)."""

import sys

from wehoplan.cli import main

if __name__ == "__main__":
    sys.exit(main())
