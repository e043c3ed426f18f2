"""The shipped protocol passes every property check of backtriage.testing, on every CI run."""

from __future__ import annotations

import pytest

from backtriage import default_protocol
from backtriage.testing import assert_consistent

# Slow: left out of the quick local run (see README), run by CI.
pytestmark = pytest.mark.slow


def test_default_protocol_is_consistent() -> None:
    assert_consistent(default_protocol())
