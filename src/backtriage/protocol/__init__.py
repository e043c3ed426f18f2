"""Protocols as data: the model, the TOML/JSON loader, the static checks and the engine."""

# The compiled form registers itself with the model on import (see _compiled).
from backtriage.protocol import _compiled as _compiled
