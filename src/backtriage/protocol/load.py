"""Deprecated import path, kept for 0.2: load_protocol, protocol_from_data and default_protocol.

Import from :mod:`backtriage.protocol` (or :mod:`backtriage`) instead; this module only
re-exports what :mod:`backtriage.protocol._load` and :mod:`backtriage.protocol._default` define
and goes away in 0.3.
"""

from backtriage.protocol._default import default_protocol
from backtriage.protocol._load import load_protocol, protocol_from_data

__all__ = ["default_protocol", "load_protocol", "protocol_from_data"]
