"""The checked protocol: its static problems, worked out once per protocol and kept with it.

A :class:`~backtriage.Protocol` is plain data. Each layer above the model keeps what it builds
from a protocol in a slot the model declares but never fills: the engine
(:func:`~backtriage.protocol._engine.engine_of`), the indexed inputs
(:func:`~backtriage.protocol._inputs.inputs_of`) and, here, the problems that
:meth:`Protocol.check` returns. This module registers itself with the model on import, so that
the model's ``check()`` works without the model importing the checks.
"""

from __future__ import annotations

from backtriage.protocol import _model
from backtriage.protocol._check import check_protocol
from backtriage.protocol._model import Protocol
from backtriage.protocol._problem import Problem

__all__ = ["problems_of"]


def problems_of(protocol: Protocol) -> tuple[Problem, ...]:
    """Return the static problems of ``protocol``, worked out on first use and kept."""
    found = protocol._problems
    if type(found) is tuple:  # the hot path of every plan: no call
        return found
    return _model.kept(protocol, "_problems", tuple, check_protocol)


_model._CHECKERS[:] = [problems_of]
