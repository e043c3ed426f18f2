"""The compiled form of a protocol: built once per protocol, on first use, and kept with it.

A :class:`~backtriage.Protocol` is plain data. What the engine, the fact derivation and the
checker need of it (bit positions, compiled conditions, indexed inputs, static problems) is a
pure function of its fields, so it is built here once and kept in a slot that the model
declares but never fills, and never compares, hashes or pickles.
"""

from __future__ import annotations

from backtriage.facts import FactInputs, compile_inputs
from backtriage.protocol import model
from backtriage.protocol.check import Problem, check_protocol
from backtriage.protocol.engine import Engine
from backtriage.protocol.model import Protocol

__all__ = ["CompiledProtocol", "compiled"]


class CompiledProtocol:
    """The engine, the inputs and (on first use) the static problems of one protocol."""

    __slots__ = ("_problems", "engine", "inputs", "protocol")

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.engine = Engine(protocol)
        self.inputs: FactInputs = compile_inputs(protocol)
        self._problems: tuple[Problem, ...] | None = None

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every static problem of the protocol, worked out on first use."""
        # Not in __init__: the checker evaluates the protocol through this compiled form.
        if self._problems is None:
            self._problems = check_protocol(self.protocol)
        return self._problems


def compiled(protocol: Protocol) -> CompiledProtocol:
    """Return the compiled form of ``protocol``, building it on first use."""
    found = protocol._compiled
    if isinstance(found, CompiledProtocol):
        return found
    made = CompiledProtocol(protocol)
    # The slot is the protocol's own cache; two threads racing here build equal forms.
    object.__setattr__(protocol, "_compiled", made)
    return made


model._COMPILERS[:] = [compiled]
