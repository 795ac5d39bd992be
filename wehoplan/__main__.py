"""Entry point of ``python -m wehoplan``."""

import sys

from wehoplan.cli import main

sys.exit(main())
