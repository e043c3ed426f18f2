"""Deprecated import path, kept for 0.2: the protocol model classes.

Import from :mod:`backtriage.protocol` (or :mod:`backtriage`) instead; this module only
re-exports what :mod:`backtriage.protocol._model` defines and goes away in 0.3.
"""

from backtriage.protocol._model import *  # noqa: F403
from backtriage.protocol._model import __all__ as __all__
