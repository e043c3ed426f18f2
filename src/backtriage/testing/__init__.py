"""Property-test a protocol in your own pytest suite: hypothesis strategies and one-line checks.

Install the extra first: ``pip install 'backtriage[testing]'`` (it adds hypothesis). Then, in a
test module of your app::

    from backtriage import load_protocol
    from backtriage.testing import assert_consistent

    def test_our_protocol_is_consistent() -> None:
        assert_consistent(load_protocol("our_protocol.toml"))

Each property can also be checked on its own (``assert_risk_monotone`` ...), and
:func:`check_properties` returns the failures as values instead of raising. The strategies for
answers, assessments and protocols are in :mod:`backtriage.testing.strategies`. The guide is
``docs/testing-your-protocol.md``.

``import backtriage`` never imports this package, so hypothesis stays an optional extra.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  (imported only to fail early with the fix)
except ImportError:  # pragma: no cover - exercised in a subprocess without hypothesis
    raise ImportError(
        "backtriage.testing needs hypothesis, which is an optional extra: "
        "pip install 'backtriage[testing]'"
    ) from None

from backtriage.testing._safety import assert_not_less_safe
from backtriage.testing.properties import (
    CHECKS,
    InconsistentProtocolError,
    PropertyFailure,
    assert_capability_monotone,
    assert_consistent,
    assert_deterministic,
    assert_follow_up_consistent,
    assert_follow_up_one_step,
    assert_follow_up_pain_monotone,
    assert_follow_up_rescreens,
    assert_policies_hold,
    assert_risk_monotone,
    assert_rules_reachable,
    assert_unanswered_gives_no_exercises,
    assert_urgent_gives_no_exercises,
    assert_withheld_explained,
    check_properties,
)

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
    "assert_not_less_safe",
    "assert_policies_hold",
    "assert_risk_monotone",
    "assert_rules_reachable",
    "assert_unanswered_gives_no_exercises",
    "assert_urgent_gives_no_exercises",
    "assert_withheld_explained",
    "check_properties",
]
