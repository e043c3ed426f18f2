"""Deprecated import path, kept for 0.2: load_protocol, protocol_from_data and default_protocol.

Import from :mod:`backtriage.protocol` (or :mod:`backtriage`) instead; this module only
re-exports what :mod:`backtriage.protocol._load` defines and goes away in 0.3.
"""

from backtriage.protocol._load import *  # noqa: F403
from backtriage.protocol._load import __all__ as __all__
