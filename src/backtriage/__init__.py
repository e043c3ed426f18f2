"""backtriage: safe, explained triage of lower-back pain.

Score the Oswestry Disability Index, screen red flags for serious spinal pathology, and apply a
protocol's contraindication rules to a catalogue of gentle exercises. A screening aid, not a
diagnosis and not a medical device.

This module holds the public names and nothing else; ``docs/architecture.md`` maps the layers.
"""

from typing import TYPE_CHECKING

from backtriage._lazy import lazy_getattr
from backtriage._version import __version__
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning, Preference
from backtriage.errors import (
    BacktriageError,
    ErrorDetail,
    IncompleteError,
    InvalidAnswerError,
    ProtocolError,
)
from backtriage.instruments.odi import (
    DisabilityBand,
    OdiAnswers,
    OdiChange,
    OdiScore,
    OdiSection,
    odi_change,
    score_odi,
)
from backtriage.instruments.start_back import (
    StartBackAnswers,
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)

if TYPE_CHECKING:
    from backtriage._course import Course, Trend
    from backtriage._follow_up import FollowUp, StepDecision, StepKind, follow_up
    from backtriage._plan import (
        Plan,
        Question,
        QuestionKind,
        default_protocol,
        questions,
        recommend,
    )
    from backtriage.batch import RowError, score_odi_many
    from backtriage.protocol import (
        Exercise,
        Fact,
        FactKind,
        Movement,
        Polarity,
        Position,
        Problem,
        Protocol,
        Rule,
        Urgency,
        load_protocol,
    )
    from backtriage.protocol._engine import FiredRule, Prescription, Reason, Withheld
    from backtriage.serialize import (
        from_dict,
        from_json,
        json_schema,
        openapi_components,
        to_dict,
        to_json,
    )


__all__ = [
    "Assessment",
    "BacktriageError",
    "CheckIn",
    "Course",
    "DisabilityBand",
    "ErrorDetail",
    "Exercise",
    "ExerciseReport",
    "Fact",
    "FactKind",
    "FiredRule",
    "FollowUp",
    "IncompleteError",
    "InvalidAnswerError",
    "Movement",
    "NextMorning",
    "OdiAnswers",
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
    "RowError",
    "Rule",
    "StartBackAnswers",
    "StartBackItem",
    "StartBackRisk",
    "StartBackScore",
    "StepDecision",
    "StepKind",
    "Trend",
    "Urgency",
    "Withheld",
    "__version__",
    "default_protocol",
    "follow_up",
    "from_dict",
    "from_json",
    "json_schema",
    "load_protocol",
    "odi_change",
    "openapi_components",
    "questions",
    "recommend",
    "score_odi",
    "score_odi_many",
    "score_start_back",
    "to_dict",
    "to_json",
]

_LAZY = {
    "Course": "backtriage._course",
    "Trend": "backtriage._course",
    "FollowUp": "backtriage._follow_up",
    "StepDecision": "backtriage._follow_up",
    "StepKind": "backtriage._follow_up",
    "follow_up": "backtriage._follow_up",
    "Exercise": "backtriage.protocol",
    "Fact": "backtriage.protocol",
    "FactKind": "backtriage.protocol",
    "Movement": "backtriage.protocol",
    "Polarity": "backtriage.protocol",
    "Position": "backtriage.protocol",
    "Problem": "backtriage.protocol",
    "Protocol": "backtriage.protocol",
    "Rule": "backtriage.protocol",
    "Urgency": "backtriage.protocol",
    "Plan": "backtriage._plan",
    "Question": "backtriage._plan",
    "QuestionKind": "backtriage._plan",
    "default_protocol": "backtriage._plan",
    "questions": "backtriage._plan",
    "recommend": "backtriage._plan",
    "FiredRule": "backtriage.protocol._engine",
    "Prescription": "backtriage.protocol._engine",
    "Reason": "backtriage.protocol._engine",
    "Withheld": "backtriage.protocol._engine",
    "RowError": "backtriage.batch",
    "score_odi_many": "backtriage.batch",
    "load_protocol": "backtriage.protocol._load",
    "to_json": "backtriage.serialize",
    "from_json": "backtriage.serialize",
    "to_dict": "backtriage.serialize",
    "from_dict": "backtriage.serialize",
    "json_schema": "backtriage.serialize",
    "openapi_components": "backtriage.serialize",
}


# Imported on first use: the protocol model when a protocol is first used, the plan and the
# engine when a plan is first made (scoring alone never needs them), the loader and the
# converter (tomllib, cattrs) when a document is read, the batch scorer for tables.
__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
