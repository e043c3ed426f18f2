"""Protocols as data: the model, the loader, the static checks.

The public names of the protocol layer. The implementation lives in private modules, in the
order they import each other: ``_model`` (plain frozen data), ``_inputs`` (what a protocol
asks of an assessment), ``_engine`` (compile and evaluate), ``_queries`` (minimal fact sets
for an outcome), ``_problem``/``_hygiene``/``_policies``/``_check`` (static checks and
declared policies), ``_load`` (TOML, JSON or data in) and ``_default`` (the shipped protocol,
``default.toml``, ready-made in ``_default_data``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backtriage._lazy import lazy_getattr
from backtriage.protocol import _model
from backtriage.protocol._model import (
    FORMAT,
    Action,
    AgeBand,
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
    FollowUpRules,
    Movement,
    Polarity,
    Policy,
    Position,
    Protocol,
    Refer,
    Rule,
    SafetyNet,
    Scope,
    Selector,
    Source,
    SourceKind,
    Texts,
    Urgency,
    UrgencyAdvice,
)
from backtriage.protocol._problem import Problem

if TYPE_CHECKING:
    from backtriage.protocol._check import check_protocol
    from backtriage.protocol._default import default_protocol
    from backtriage.protocol._load import check_signed, load_protocol, protocol_from_data
    from backtriage.protocol._queries import (
        Trigger,
        triggers_cautioned,
        triggers_urgency,
        triggers_withheld,
    )
    from backtriage.protocol._sign_off import Decision, SignOff

__all__ = [
    "FORMAT",
    "Action",
    "AgeBand",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Caution",
    "Condition",
    "Decision",
    "Derivation",
    "DerivedFrom",
    "Exclude",
    "Exercise",
    "Fact",
    "FactIs",
    "FactKind",
    "FollowUpRules",
    "Movement",
    "Polarity",
    "Policy",
    "Position",
    "Problem",
    "Protocol",
    "Refer",
    "Rule",
    "SafetyNet",
    "Scope",
    "Selector",
    "SignOff",
    "Source",
    "SourceKind",
    "Texts",
    "Trigger",
    "Urgency",
    "UrgencyAdvice",
    "check_protocol",
    "check_signed",
    "default_protocol",
    "load_protocol",
    "protocol_from_data",
    "triggers_cautioned",
    "triggers_urgency",
    "triggers_withheld",
]

# Imported on first use, not with the model: the loader brings tomllib and the converter, the
# checks and the queries are needed once a protocol is checked. Each name -> its module.
_LAZY = {
    "check_protocol": "_check",
    "check_signed": "_load",
    "Decision": "_sign_off",
    "SignOff": "_sign_off",
    "default_protocol": "_default",
    "load_protocol": "_load",
    "protocol_from_data": "_load",
    "Trigger": "_queries",
    "triggers_cautioned": "_queries",
    "triggers_urgency": "_queries",
    "triggers_withheld": "_queries",
}


__getattr__ = lazy_getattr(
    __name__, {name: f"{__name__}.{module}" for name, module in _LAZY.items()}
)


def _check_on_first_use(protocol: Protocol) -> tuple[Problem, ...]:
    # Protocol.check() of a protocol not checked yet (the model keeps the answer). The model
    # cannot import the checks, a layer above it; this package, above both, lends it this.
    from backtriage.protocol._check import check_protocol

    return check_protocol(protocol)


_model._CHECK[:] = [_check_on_first_use]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
