"""What may load at ``import backtriage`` and at the first plan, and what must wait.

One list, read by the tests (``tests/test_import_gate.py``) and by the benchmark's import
section, so that both watch the same modules. Every backtriage module is watched unless it is
named here as allowed: a new module is watched from the day it is written. Besides those, the
libraries and standard modules that only some uses need are watched by name (a name covers
its submodules). Standalone: it imports nothing from backtriage, and asks a child process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "AT_FIRST_PLAN",
    "AT_IMPORT",
    "FIRST_PLAN",
    "NEVER",
    "backtriage_modules",
    "loaded_after",
    "offenders",
    "watched",
]

SRC = Path(__file__).resolve().parent.parent / "src"


def backtriage_modules(src: Path = SRC) -> frozenset[str]:
    """Return the dotted name of every module and package in ``src/backtriage``."""
    names = set()
    for path in (src / "backtriage").rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return frozenset(names)


AT_IMPORT: frozenset[str] = frozenset(
    {
        "backtriage",
        "backtriage._lazy",  # the packages' names imported on first use
        "backtriage._ordered",
        "backtriage._values",  # the repr, equality and hash every value class shares
        "backtriage._version",
        "backtriage.assessment",
        "backtriage.errors",
        # The instruments (answers -> scores, knowing no protocol), each one of them.
        *(m for m in backtriage_modules() if m.split(".")[:2] == ["backtriage", "instruments"]),
    }
)
"""The backtriage modules ``import backtriage`` may load: the errors, the answers, the scores."""

AT_FIRST_PLAN: frozenset[str] = AT_IMPORT | {
    "backtriage._course",  # what a plan carries for its follow-up
    "backtriage._facts",
    "backtriage._plan",
    "backtriage.protocol",
    "backtriage.protocol._default",
    "backtriage.protocol._default_data",
    "backtriage.protocol._digest",  # the content hash every plan records (shipped with it)
    "backtriage.protocol._engine",
    "backtriage.protocol._inputs",
    "backtriage.protocol._model",
    "backtriage.protocol._problem",
    # The engine compiles conditions with the reasoner (plain functions and classes; it
    # imports nothing the first plan does not load already).
    "backtriage.protocol._reasoner",
}
"""The backtriage modules ``questions()`` and the first ``recommend()`` may add: the shipped
protocol comes ready-made and already checked, so the loader, the converter, the checks and
the queries wait."""

NEVER: Mapping[str, str] = {
    # Libraries: extras, test tools, and the converter.
    "cattrs": "the converter, for documents (JSON, TOML, FHIR)",
    "hypothesis": "the testing kit (an extra)",
    "pyarrow": "columnar scoring (an extra)",
    "numpy": "columnar scoring (an extra)",
    "pandas": "data frames",
    "polars": "data frames",
    "dask": "the Dask recipe",
    "distributed": "the Dask recipe",
    "fhir": "fhir.resources, in tests only",
    "pydantic": "fhir.resources, in tests only",
    "textstat": "the readability check of the texts",
    "jsonschema": "schema validation, in tests only",
    "pytest": "the tests",
    # Standard modules that only reading or writing documents and tables needs.
    "tomllib": "the TOML parser, for an edited protocol",
    "json": "JSON documents",
    "pickle": "nothing ships pickled",
    "hashlib": "OpenSSL, where the shipped protocol's key needs only SHA-256",
    "csv": "tables",
    "argparse": "the command line",
    "pathlib": "file paths, for documents",
    "subprocess": "the review sheet's PDF (chromium)",
    "tempfile": "the review sheet's PDF",
    "zipfile": "importlib.resources",
    "importlib.resources": "plain file reads suffice",
}
"""Modules no plain use of backtriage needs at import or first plan: name → who needs it."""

FIRST_PLAN = """\
import backtriage as bt
questions = bt.questions()
keys = {q.key for q in questions}
red_flags = {q.key: False for q in questions if q.kind is bt.QuestionKind.RED_FLAG}
findings = {q.key: False for q in questions if q.kind is bt.QuestionKind.FINDING}
more = {"age": 50} if "age" in keys else {}
if "start_back" in keys:
    more["start_back"] = dict.fromkeys((i.value for i in bt.StartBackItem), False)
plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=red_flags, findings=findings, **more))
assert plan.exercises, plan.summary()
"""
"""A fresh process's first plan: ask ``questions()``, answer every one "no", ``recommend``."""


def watched(allowed: frozenset[str]) -> tuple[str, ...]:
    """Return every module watched when ``allowed`` backtriage modules may load."""
    return (*NEVER, *sorted(backtriage_modules() - allowed))


def offenders(loaded: Iterable[str], allowed: frozenset[str] = AT_IMPORT) -> list[str]:
    """Return the modules of ``loaded`` that must not be there (a watched name or below it)."""
    names = watched(allowed)
    return sorted(m for m in loaded if any(m == w or m.startswith(w + ".") for w in names))


def loaded_after(code: str, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """Return ``sys.modules`` of a fresh interpreter once it has run ``code``."""
    listing = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", listing],
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else dict(env),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the child failed: {done.stderr.strip()[-2000:]}")
    return frozenset(done.stdout.split())
