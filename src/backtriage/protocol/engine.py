"""Deprecated import path, kept for 0.2: the compiled engine and its results.

Import from :mod:`backtriage.protocol` (or :mod:`backtriage`) instead; this module only
re-exports what :mod:`backtriage.protocol._engine` defines and goes away in 0.3.
"""

from backtriage.protocol._engine import *  # noqa: F403
from backtriage.protocol._engine import __all__ as __all__
