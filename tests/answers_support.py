"""The default protocol's questions, answered as a test needs them: every red flag no, and
every required finding or capability no (shared by the plan, follow-up and FHIR tests)."""

from __future__ import annotations

import backtriage as bt

QUESTIONS = bt.questions()
NO_FLAGS = {q.key: False for q in QUESTIONS if q.kind is bt.QuestionKind.RED_FLAG}
"""Every red flag of the default protocol, answered no."""
REQUIRED = {
    q.key: False
    for q in QUESTIONS
    if q.required and q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
}
"""Every required finding or capability of the default protocol, answered no."""
