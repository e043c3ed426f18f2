"""backtriage: safe, explained triage of lower-back pain.

Score the Oswestry Disability Index, screen red flags for serious spinal pathology, and apply a
protocol's contraindication rules to a catalogue of gentle exercises. A screening aid, not a
diagnosis and not a medical device.
"""

from typing import TYPE_CHECKING

from backtriage.assessment import Assessment, Preference
from backtriage.errors import BacktriageError, IncompleteError, InvalidAnswerError, ProtocolError
from backtriage.instruments.odi import (
    DisabilityBand,
    OdiChange,
    OdiScore,
    OdiSection,
    odi_change,
    score_odi,
)
from backtriage.instruments.start_back import (
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)
from backtriage.protocol.engine import FiredRule, Prescription, Reason, Withheld
from backtriage.protocol.model import (
    Exercise,
    Fact,
    FactKind,
    Movement,
    Polarity,
    Position,
    Protocol,
    Rule,
    Urgency,
)
from backtriage.recommend import (
    Plan,
    Question,
    QuestionKind,
    default_protocol,
    questions,
    recommend,
)

if TYPE_CHECKING:
    from backtriage.protocol.check import Problem
    from backtriage.protocol.load import load_protocol

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "BacktriageError",
    "DisabilityBand",
    "Exercise",
    "Fact",
    "FactKind",
    "FiredRule",
    "IncompleteError",
    "InvalidAnswerError",
    "Movement",
    "OdiChange",
    "OdiScore",
    "OdiSection",
    "Plan",
    "Polarity",
    "Position",
    "Preference",
    "Prescription",
    "Problem",
    "Protocol",
    "ProtocolError",
    "Question",
    "QuestionKind",
    "Reason",
    "Rule",
    "StartBackItem",
    "StartBackRisk",
    "StartBackScore",
    "Urgency",
    "Withheld",
    "__version__",
    "default_protocol",
    "load_protocol",
    "odi_change",
    "questions",
    "recommend",
    "score_odi",
    "score_start_back",
]


def __getattr__(name: str) -> object:
    # The loader pulls in tomllib and cattrs, the checker is only needed once a protocol is
    # made: import them on first use, not with backtriage.
    if name == "load_protocol":
        from backtriage.protocol.load import load_protocol

        return load_protocol
    if name == "Problem":
        from backtriage.protocol.check import Problem

        return Problem
    raise AttributeError(f"module 'backtriage' has no attribute {name!r}")
