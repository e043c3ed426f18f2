"""The instrument seam: an instrument is one module, and docs/architecture.md says which files.

The recipe under "A new instrument" in docs/architecture.md lists the files a registered
instrument may be named in (before "Nothing else names it"); no other module of the package names its key, its module or one of
its public names. A second test plants a name to show the check can fail.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

import backtriage
from backtriage.assessment import Assessment, CheckIn
from backtriage.instruments._instrument import Instrument
from backtriage.instruments._registry import INSTRUMENTS, check_in_instruments

PACKAGE = Path(backtriage.__file__).parent
ARCHITECTURE = PACKAGE.parents[1] / "docs" / "architecture.md"


def _recipe() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("- **A new instrument**")
    # The files an instrument touches come first; what reads it without naming it follows.
    end = text.index("Nothing else names it", start)
    return text[start:end]


def _recipe_files() -> frozenset[str]:
    """Return the package's files the recipe names, as paths below ``src/backtriage``."""
    named = re.findall(r"`([\w/]+\.py)`", _recipe())
    return frozenset(path for path in named if not path.startswith("tests/"))


def _module_of(instrument: Instrument) -> str:
    return instrument.check.__module__


def _pattern(instrument: Instrument) -> re.Pattern[str]:
    module = sys.modules[_module_of(instrument)]
    dotted = _module_of(instrument)
    short = dotted.rpartition(".")[2]
    names = [re.escape(name) for name in getattr(module, "__all__", ())]
    parts = [
        rf"[\"']{re.escape(instrument.key)}[\"']",  # its key, as a document key or a linkId
        rf"\b{re.escape(dotted)}\b",
        rf"\binstruments import [^\n]*\b{re.escape(short)}\b",
    ]
    if names:
        parts.append(rf"(?<![\w.])(?:{'|'.join(names)})\b")
    return re.compile("|".join(parts))


def _naming(instrument: Instrument, sources: Mapping[str, str]) -> frozenset[str]:
    """Return the files of ``sources`` (path → text) that name ``instrument``."""
    pattern = _pattern(instrument)
    return frozenset(path for path, text in sources.items() if pattern.search(text))


def _package_sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _own_file(instrument: Instrument) -> str:
    return _module_of(instrument).removeprefix("backtriage.").replace(".", "/") + ".py"


def test_the_recipe_names_files_that_exist() -> None:
    files = _recipe_files()
    assert "instruments/_registry.py" in files
    assert "assessment.py" in files
    for path in files:
        assert (PACKAGE / path).is_file(), f"docs/architecture.md names {path}, which is gone"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.key)
def test_a_registered_instrument_is_named_only_where_the_recipe_says(
    instrument: Instrument,
) -> None:
    allowed = _recipe_files() | {_own_file(instrument)}
    outside = _naming(instrument, _package_sources()) - allowed
    assert not outside, (
        f"{sorted(outside)} name the instrument {instrument.key!r}: read it from its "
        "description (instruments/_registry.py) or add the file to the recipe in "
        "docs/architecture.md"
    )


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.key)
def test_the_check_sees_a_module_that_names_an_instrument(instrument: Instrument) -> None:
    module = _module_of(instrument)
    sources = {
        "plain.py": "x = 1\n",
        "by_key.py": f"document[{instrument.key!r}] = 3\n",
        "by_module.py": f"from {module} import something\n",
    }
    for name in getattr(sys.modules[module], "__all__", ()):
        sources[f"by_{name}.py"] = f"value = {name}(1)\n"
        sources[f"not_by_{name}.py"] = f"value = _{name}_other(1)\n"
    assert _naming(instrument, sources) == {
        path for path in sources if path != "plain.py" and not path.startswith("not_")
    }


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.key)
def test_a_registered_instrument_has_its_field_in_the_assessment(instrument: Instrument) -> None:
    assert instrument.key in {field.name for field in Assessment.__attrs_attrs__}
    assert instrument.least < instrument.most
    assert instrument.check(instrument.most, instrument.key) == instrument.most


@pytest.mark.parametrize("instrument", check_in_instruments(), ids=lambda i: i.key)
def test_a_check_in_instrument_has_its_field_in_the_check_in(instrument: Instrument) -> None:
    assert instrument.key in {field.name for field in CheckIn.__attrs_attrs__}
    assert instrument.question, "a check-in asks it with a text of the follow-up section"
