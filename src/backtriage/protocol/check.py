"""Deprecated import path, kept for 0.2: check_protocol and Problem.

Import from :mod:`backtriage.protocol` (or :mod:`backtriage`) instead; this module only
re-exports what :mod:`backtriage.protocol._check` defines and goes away in 0.3.
"""

from backtriage.protocol._check import *  # noqa: F403
from backtriage.protocol._check import __all__ as __all__
