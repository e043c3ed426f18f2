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


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Name a set parameter by its sorted items, the same in every process.

    A set's order follows the string hash seed, which differs between pytest-xdist's workers;
    they must collect the same test ids.
    """
    if isinstance(val, set | frozenset):
        return "{" + ",".join(sorted(map(str, val))) + "}"
    return None


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the ``backtriage`` command in this process; return its exit status and output."""

    def run_command(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run_command
