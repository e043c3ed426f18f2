"""Protocols as data: the model, the loader, the static checks.

The public names of the protocol layer. The implementation lives in private modules, in the
order they import each other: ``_model`` (plain frozen data), ``_inputs`` (what a protocol
asks of an assessment), ``_engine`` (compile and evaluate), ``_queries`` (minimal fact sets
for an outcome), ``_problem``/``_hygiene``/``_policies``/``_check`` (static checks and
declared policies), ``_compiled`` (the compiled form, cached per protocol) and ``_load``
(TOML, JSON or data in). The shipped protocol is ``default.toml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The compiled form registers itself with the model on import (see _compiled).
from backtriage.protocol import _compiled as _compiled
from backtriage.protocol._check import check_protocol
from backtriage.protocol._model import (
    Action,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Movement,
    Polarity,
    Policy,
    Position,
    Protocol,
    Refer,
    Rule,
    Selector,
    Source,
    Urgency,
    UrgencyAdvice,
)
from backtriage.protocol._problem import Problem
from backtriage.protocol._queries import (
    Trigger,
    triggers_cautioned,
    triggers_urgency,
    triggers_withheld,
)

if TYPE_CHECKING:
    from backtriage.protocol._load import default_protocol, load_protocol, protocol_from_data

__all__ = [
    "Action",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Caution",
    "Condition",
    "Derivation",
    "DerivedFrom",
    "Exclude",
    "Exercise",
    "Fact",
    "FactIs",
    "FactKind",
    "Movement",
    "Polarity",
    "Policy",
    "Position",
    "Problem",
    "Protocol",
    "Refer",
    "Rule",
    "Selector",
    "Source",
    "Trigger",
    "Urgency",
    "UrgencyAdvice",
    "check_protocol",
    "default_protocol",
    "load_protocol",
    "protocol_from_data",
    "triggers_cautioned",
    "triggers_urgency",
    "triggers_withheld",
]

_LOADER = frozenset({"default_protocol", "load_protocol", "protocol_from_data"})


def __getattr__(name: str) -> object:
    # The loader brings tomllib and the converter: imported on first use, not with the model.
    if name in _LOADER:
        from backtriage.protocol import _load

        return getattr(_load, name)
    raise AttributeError(f"module 'backtriage.protocol' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
