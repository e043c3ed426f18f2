"""Run the ``backtriage`` command: ``python -m backtriage --help``."""

from backtriage.cli import main

raise SystemExit(main())
