"""Property checks for a protocol: search assessments for a plan that breaks a promise.

Each check states one promise of backtriage (listed in docs/testing-your-protocol.md) as a
property of :func:`backtriage.recommend` over assessments, and looks for a counterexample in two
steps, as hypothesis' own ``@example`` and ``@given`` do:

1. the assessments the protocol itself points at, smallest first: the plainest assessment
   (every red flag answered no, nothing else), then, for every rule, the fewest facts that make
   it fire, one at a time with and without each of them, and each exercise's prerequisites;
2. random assessments from :mod:`backtriage.testing.strategies`, searched with
   :func:`hypothesis.find`, which shrinks whatever it finds to the smallest failing assessment.

A failure is reported in the protocol's own terms: the assessment (red flags answered yes,
findings, scores, and the facts they gave), the change that was made to it, the rule ids
involved and what went wrong.

``recommend`` refuses a protocol with static problems; the checks still run on one, through
the same fact derivation and engine that ``recommend`` uses, because showing *why* such a
protocol is wrong is the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from backtriage.protocol import (
    Protocol,
)
from backtriage.testing._follow_up import _check_one_step, _check_pain_monotone, _check_rescreens
from backtriage.testing._harness import _Subject
from backtriage.testing._kit_policies import _check_policies
from backtriage.testing._monotone import _check_capability_monotone, _check_risk_monotone
from backtriage.testing._order import _check_deterministic
from backtriage.testing._reach import _check_reachable
from backtriage.testing._report import InconsistentProtocolError, PropertyFailure
from backtriage.testing._single import _check_explained, _check_unanswered, _check_urgent

__all__ = [
    "CHECKS",
    "InconsistentProtocolError",
    "PropertyFailure",
    "assert_capability_monotone",
    "assert_consistent",
    "assert_deterministic",
    "assert_follow_up_consistent",
    "assert_follow_up_one_step",
    "assert_follow_up_pain_monotone",
    "assert_follow_up_rescreens",
    "assert_policies_hold",
    "assert_risk_monotone",
    "assert_rules_reachable",
    "assert_unanswered_gives_no_exercises",
    "assert_urgent_gives_no_exercises",
    "assert_withheld_explained",
    "check_properties",
]

CHECKS: tuple[str, ...] = (
    "risk_monotone",
    "capability_monotone",
    "urgent_gives_no_exercises",
    "unanswered_gives_no_exercises",
    "deterministic",
    "withheld_explained",
    "rules_reachable",
    "policies_hold",
    "follow_up_pain_monotone",
    "follow_up_one_step",
    "follow_up_rescreens",
)
"""The names of the property checks, in the order :func:`check_properties` runs them."""


_CHECKERS: dict[str, Callable[[_Subject, int], PropertyFailure | None]] = {
    "risk_monotone": _check_risk_monotone,
    "capability_monotone": _check_capability_monotone,
    "urgent_gives_no_exercises": _check_urgent,
    "unanswered_gives_no_exercises": _check_unanswered,
    "deterministic": _check_deterministic,
    "withheld_explained": _check_explained,
    "rules_reachable": _check_reachable,
    "policies_hold": _check_policies,
    "follow_up_pain_monotone": _check_pain_monotone,
    "follow_up_one_step": _check_one_step,
    "follow_up_rescreens": _check_rescreens,
}


def check_properties(
    protocol: Protocol, *, max_examples: int = 100, checks: Iterable[str] = CHECKS
) -> tuple[PropertyFailure, ...]:
    """Run the property checks on ``protocol`` and return each failure (empty when all hold).

    ``max_examples`` bounds the random assessments hypothesis tries per check, after the
    assessments built from the protocol's own rules (0 runs only those). ``checks`` picks some
    of :data:`CHECKS`. The search is seeded, so the same protocol always gives the same result.
    Raises ``ValueError`` for an unknown check name.
    """
    subject = _Subject(protocol)
    failures = []
    for name in checks:
        checker = _CHECKERS.get(name)
        if checker is None:
            raise ValueError(f"checks: {name!r} is not a property check; expected one of {CHECKS}")
        failure = checker(subject, max_examples)
        if failure is not None:
            failures.append(failure)
    return tuple(failures)


def _assert(protocol: Protocol, names: Iterable[str], max_examples: int) -> None:
    __tracebackhide__ = True  # pytest shows the test's line and the message, not this frame
    failures = check_properties(protocol, max_examples=max_examples, checks=names)
    if failures:
        raise InconsistentProtocolError(protocol, failures)


def assert_consistent(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that ``protocol`` has every property; raise :class:`InconsistentProtocolError`.

    Runs every check of :data:`CHECKS` and reports all failures at once, each with the
    smallest assessment found and the rule ids involved.

    >>> assert_consistent(backtriage.default_protocol())  # doctest: +SKIP
    """
    __tracebackhide__ = True
    _assert(protocol, CHECKS, max_examples)


def assert_risk_monotone(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that more risk never gives an exercise back nor lowers the urgency.

    A risk is a red flag answered yes, a finding, a worse score, an older age or a preference,
    and any fact declared with polarity ``risk``.
    """
    __tracebackhide__ = True
    _assert(protocol, ["risk_monotone"], max_examples)


def assert_capability_monotone(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that more capability never takes an exercise away nor raises the urgency."""
    __tracebackhide__ = True
    _assert(protocol, ["capability_monotone"], max_examples)


def assert_urgent_gives_no_exercises(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that a plan of urgency ``same_day`` or ``emergency`` gives no exercise."""
    __tracebackhide__ = True
    _assert(protocol, ["urgent_gives_no_exercises"], max_examples)


def assert_unanswered_gives_no_exercises(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that an unanswered required question gives no exercise and is named as missing."""
    __tracebackhide__ = True
    _assert(protocol, ["unanswered_gives_no_exercises"], max_examples)


def assert_deterministic(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that a plan depends only on the answers, never on the order anything is listed in.

    The same assessment evaluated twice, its answers listed in another order or form, and the
    protocol's facts, rules and exercises listed in another order must all decide the same.
    """
    __tracebackhide__ = True
    _assert(protocol, ["deterministic"], max_examples)


def assert_withheld_explained(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that every withheld or cautioned exercise has true reasons with rule and source."""
    __tracebackhide__ = True
    _assert(protocol, ["withheld_explained"], max_examples)


def assert_rules_reachable(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that every rule fires for some assessment and every exercise is given to someone."""
    __tracebackhide__ = True
    _assert(protocol, ["rules_reachable"], max_examples)


def assert_policies_hold(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that plans keep every policy the protocol declares, on real assessments.

    ``check()`` proves the policies from the rules; this runs ``recommend`` on the facts of each
    policy and on random complete assessments and checks each plan against every policy, so
    that it also covers how answers become facts (scores, ages, preferences).
    """
    __tracebackhide__ = True
    _assert(protocol, ["policies_hold"], max_examples)


def assert_follow_up_consistent(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that follow-ups under ``protocol`` keep their promises.

    More pain during an exercise never gives it a higher step; one check-in moves an exercise
    by one step at most; a red flag answered yes at a check-in gives at least the urgency
    ``recommend`` gives for it, and no exercise where ``recommend`` gives none. Checked on a
    course from the best-placed person, every step reached; vacuous for a protocol without
    ``[follow_up]``.
    """
    __tracebackhide__ = True
    _assert(
        protocol,
        ["follow_up_pain_monotone", "follow_up_one_step", "follow_up_rescreens"],
        max_examples,
    )


def assert_follow_up_pain_monotone(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that more pain during an exercise never gives it a higher step at a follow-up."""
    __tracebackhide__ = True
    _assert(protocol, ["follow_up_pain_monotone"], max_examples)


def assert_follow_up_one_step(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that one check-in moves an exercise by one step at most."""
    __tracebackhide__ = True
    _assert(protocol, ["follow_up_one_step"], max_examples)


def assert_follow_up_rescreens(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that red flags at a check-in are screened as ``recommend`` screens them: at least
    its urgency, and no exercise where it gives none."""
    __tracebackhide__ = True
    _assert(protocol, ["follow_up_rescreens"], max_examples)
