"""Deprecated import path, kept for 0.2: fact derivation and the inputs of a protocol.

``derive_facts`` is internal (see :mod:`backtriage._facts`); the input names live in
:mod:`backtriage.protocol._inputs`. This module only re-exports them and goes away in 0.3.
"""

from backtriage._facts import derive_facts
from backtriage.protocol._inputs import (
    AGE_INPUT,
    INPUT_SOURCES,
    ODI_INPUT,
    START_BACK_INPUT,
    FactInputs,
    compile_inputs,
    required_inputs,
    threshold_of,
)

__all__ = [
    "AGE_INPUT",
    "INPUT_SOURCES",
    "ODI_INPUT",
    "START_BACK_INPUT",
    "FactInputs",
    "compile_inputs",
    "derive_facts",
    "required_inputs",
    "threshold_of",
]
