"""Review a protocol before it is used, and every change to it.

Because the rule language has no negation, backtriage answers exactly:

- :func:`when_withheld`, :func:`when_cautioned`, :func:`when_urgency`: the minimal sets of
  facts (:class:`Trigger`) under which an exercise is withheld or cautioned, or an urgency is
  reached, smallest first. Sound (each trigger, realised with :func:`example` and every
  capability not in its ``absent`` given, produces the outcome), minimal (dropping any fact
  loses it) and complete (every answered assessment with the outcome contains one);
- :func:`example`: the assessment in which exactly a given set of facts holds;
- :func:`diff`: what a new version of a protocol makes less safe or more cautious, and which
  texts it changes, each change with a witness assessment that reproduces it;
- :func:`review_sheet`: the HTML page a clinician reads and signs, naming the protocol by
  :func:`protocol_hash`; :func:`diff_text` and :func:`diff_document` give a diff to read or keep;
- :func:`sign_off`: the reviewer's decision as data (a :class:`SignOff` record), which
  ``load_protocol(path, signed=record)`` checks before an app uses the protocol.

>>> from backtriage import default_protocol
>>> from backtriage.review import when_withheld
>>> when_withheld(default_protocol(), "double_knee_hug")[0].absent
frozenset({'single_knee_hug_tolerated'})
"""

from __future__ import annotations

from backtriage._plan import Plan, make_plan
from backtriage.assessment import Assessment
from backtriage.protocol import (
    Decision,
    Protocol,
    SignOff,
    Trigger,
    Urgency,
    check_signed,
    triggers_cautioned,
    triggers_urgency,
    triggers_withheld,
)
from backtriage.protocol._queries import DEFAULT_LIMIT
from backtriage.review._diff import Change, ChangeKind, ProtocolDiff, diff
from backtriage.review._example import example
from backtriage.review._report import diff_document, diff_text
from backtriage.review._sheet import protocol_hash, review_sheet
from backtriage.review._sign_off import sign_off

__all__ = [
    "DEFAULT_LIMIT",
    "Change",
    "ChangeKind",
    "Decision",
    "ProtocolDiff",
    "SignOff",
    "Trigger",
    "check_signed",
    "diff",
    "diff_document",
    "diff_text",
    "example",
    "protocol_hash",
    "replay",
    "review_sheet",
    "sign_off",
    "when_cautioned",
    "when_urgency",
    "when_withheld",
]


def when_withheld(
    protocol: Protocol, exercise_id: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which ``exercise_id`` is withheld, smallest first.

    A trigger's ``present`` facts hold (with every fact they imply) and its ``absent``
    capabilities do not; realised with every other capability given, it withholds the
    exercise, by a rule that excludes it, by an urgency of same day or more (the engine then
    withholds everything) or by an unmet prerequisite. Raises
    :class:`~backtriage.ProtocolError` when more than ``limit`` sets of facts would have to be
    considered (for example a wide ``at_least`` rule): raise ``limit`` to compute them.
    """
    return triggers_withheld(protocol, exercise_id, limit=limit)


def when_cautioned(
    protocol: Protocol, exercise_id: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which a caution applies to ``exercise_id``.

    Whether or not the exercise is also withheld under them. As every trigger, each is
    realised with every capability given (not in ``absent``): a caution rule on a capability
    applies under no further fact.
    """
    return triggers_cautioned(protocol, exercise_id, limit=limit)


def when_urgency(
    protocol: Protocol, level: Urgency, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which the urgency is at least ``level``."""
    return triggers_urgency(protocol, level, limit=limit)


def replay(assessment: Assessment, protocol: Protocol) -> Plan:
    """Return the plan ``protocol`` would give, even when its declared policies fail.

    For reviewing a version that :func:`diff` compared: a version whose only problems are
    failing policies is refused by :func:`~backtriage.recommend`, and ``replay`` shows what it
    would do, through the same path. Never use it to advise a person.
    """
    return make_plan(assessment, protocol)
