"""A pytest plugin for mutation runs: each mutant's tests import the project afresh.

mutmut forks every mutant's test run from a process that has already imported the package and
run the tests once, so what was computed at import or cached by then (the registry of
questionnaires, a form's readers, the engine of the default protocol) would hold the original
code's results and hide the mutant. Dropping the project's modules (the package and every
module under the current directory, the tests among them) before pytest loads the conftests
makes the mutant's code run wherever it would in a new process. Used by ``[tool.mutmut]`` in
pyproject.toml (``-p mutmut_fresh``, with this folder on ``PYTHONPATH``); see mutation.md.
"""

from __future__ import annotations

import os
import sys

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """Forget the project's modules, so the tests import the mutated ones again."""
    if os.environ.get("MUTANT_UNDER_TEST") == "fail":
        return  # mutmut's check that a failing function fails the tests: keep what is loaded
    here = os.getcwd() + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if path.startswith(here) or name == "backtriage" or name.startswith("backtriage."):
            del sys.modules[name]
