"""Hypothesis profiles: ``dev`` for local runs, ``quick`` for the quick local run (see the
README), ``ci`` derandomised with more examples.

CI sets ``CI=true``; ``HYPOTHESIS_PROFILE`` overrides either choice.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from backtriage.cli import main
from cli_support import Run

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("quick", max_examples=10, deadline=None)
settings.register_profile(
    "ci",
    max_examples=120,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the ``backtriage`` command in this process; return its exit status and output."""

    def run_command(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run_command
