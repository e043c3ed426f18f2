"""The import gates: what ``import backtriage`` and a first plan load, and proof they can fail.

The lists live in ``benchmarks/import_gate.py``, shared with the benchmark's import section.
Each check runs a fresh interpreter: in this one, other tests have imported everything.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from script_support import load_script


def _load_gate() -> ModuleType:
    return load_script("benchmarks/import_gate.py")


gate = _load_gate()

# Modules the proof below must see the gate catch: the ones that matter most if they leaked.
MUST_CATCH = {
    "backtriage.protocol",
    "backtriage.protocol._model",
    "backtriage.protocol._load",
    "backtriage.protocol._check",
    "backtriage.protocol._queries",
    "backtriage.protocol._engine",
    "backtriage._plan",
    "backtriage._convert",
    "backtriage.serialize",
    "backtriage.cli",
    "backtriage.testing",
    "tomllib",
    "cattrs",
    "json",
    "pickle",
    "hashlib",
    "hypothesis",
}


def test_import_backtriage_loads_no_watched_module() -> None:
    found = gate.offenders(gate.loaded_after("import backtriage"))
    assert found == [], f"loaded by `import backtriage`, which must wait for first use: {found}"


def test_the_first_plan_needs_neither_the_loader_nor_the_converter_nor_the_checks() -> None:
    # questions() and recommend() on the shipped protocol: it comes ready-made and checked.
    found = gate.offenders(gate.loaded_after(gate.FIRST_PLAN), gate.AT_FIRST_PLAN)
    assert found == [], f"loaded by the first plan, which must not need them: {found}"


def test_the_gate_fails_when_the_real_loader_is_imported_at_import() -> None:
    # Not a deprecated re-export: the module that does the work (and its json) is seen.
    loaded = gate.loaded_after("import backtriage\nimport backtriage.protocol._load")
    found = gate.offenders(loaded)
    assert {"backtriage.protocol._load", "backtriage.protocol._model", "json"} <= set(found)


@pytest.mark.slow  # imports every extra and test tool: seconds
def test_the_gate_fails_for_every_watched_module_that_loads() -> None:
    # Import every watched module that can be imported, after backtriage, in one child: the
    # gate must name each one (and so would fail), whichever way it came in.
    names = [n for n in gate.watched(gate.AT_IMPORT) if n != "backtriage.__main__"]
    code = "import importlib\nimport backtriage\n" + "".join(
        f"try:\n    importlib.import_module({name!r})\nexcept Exception:\n    pass\n"
        for name in names
    )
    loaded = gate.loaded_after(code)
    found = set(gate.offenders(loaded))
    missed = sorted(name for name in names if name in loaded and name not in found)
    assert missed == [], f"loaded but not seen by the gate: {missed}"
    assert found >= MUST_CATCH, f"the proof did not load: {sorted(MUST_CATCH - found)}"


def test_every_backtriage_module_is_allowed_or_watched() -> None:
    modules = gate.backtriage_modules()
    assert gate.AT_IMPORT <= gate.AT_FIRST_PLAN <= modules, "an allowed module no longer exists"
    assert set(gate.watched(gate.AT_IMPORT)) >= modules - gate.AT_IMPORT
    assert "backtriage.protocol._load" in gate.watched(gate.AT_FIRST_PLAN)


@pytest.mark.parametrize(
    ("loaded", "expected"),
    [
        (["backtriage", "attrs", "re"], []),
        (
            ["backtriage", "pyarrow.lib", "fhir.resources.R4B"],
            ["fhir.resources.R4B", "pyarrow.lib"],
        ),
        (["backtriage.fhir", "jsonpointer"], ["backtriage.fhir"]),
    ],
)
def test_a_watched_name_covers_its_submodules_only(loaded: list[str], expected: list[str]) -> None:
    assert gate.offenders(loaded) == expected
