"""The shipped protocol passes every property check of backtriage.testing, on every CI run."""

from __future__ import annotations

from backtriage import default_protocol
from backtriage.testing import assert_consistent


def test_default_protocol_is_consistent() -> None:
    assert_consistent(default_protocol())
