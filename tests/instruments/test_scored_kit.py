"""The testing kit names no scored questionnaire: it reads each one's description and strategies.

Every module of ``backtriage.testing`` is read for a registered scored instrument's key, its
score attribute, requirement and derivation (as words, in any case: ``odi``, ``ODI``,
``STarT Back``, ``_more_start_back``), its module and its strategies module, and the public
names of both. ``testing/strategies.py`` may name what it re-exports (the strategies module and
the public strategies it lists), nothing else. A second test plants names to show the check
can fail; a third holds each instrument's strategies to what the kit reads of them.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage
from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED
from backtriage.testing import strategies as bts

KIT = Path(backtriage.__file__).parent / "testing"
REEXPORTS = "strategies.py"
"""The kit's module that re-exports each instrument's public strategies."""


def _module(instrument: ScoredInstrument) -> ModuleType:
    return sys.modules[instrument.rank.__module__]


def _strategies(instrument: ScoredInstrument) -> ModuleType:
    return importlib.import_module(instrument.strategies)


def _word(name: str) -> str:
    """A name as a word in any case, its parts joined by ``_``, a space or nothing."""
    return r"(?<![a-z0-9])" + re.escape(name).replace("_", "[_ ]?") + r"(?![a-z0-9])"


def _pattern(instrument: ScoredInstrument) -> re.Pattern[str]:
    words = {
        instrument.key,
        instrument.score_attribute,
        instrument.requirement,
        instrument.derivation,
    }
    modules = (_module(instrument), _strategies(instrument))
    names = {name for module in modules for name in getattr(module, "__all__", ())}
    parts = [f"(?i:{_word(word)})" for word in sorted(words)]
    parts.extend(rf"\b{re.escape(module.__name__)}\b" for module in modules)
    parts.append(rf"(?<![\w.])(?:{'|'.join(sorted(map(re.escape, names)))})\b")
    return re.compile("|".join(parts))


def _without_reexports(instrument: ScoredInstrument, text: str) -> str:
    """Return ``text`` without the names of ``instrument``'s strategies module it may re-export."""
    strategies = _strategies(instrument)
    allowed = [strategies.__name__, *strategies.__all__]
    return re.sub(rf"\b(?:{'|'.join(map(re.escape, allowed))})\b", "_", text)


def _naming(instrument: ScoredInstrument, sources: dict[str, str]) -> frozenset[str]:
    """Return the files of ``sources`` (name → text) that name ``instrument``."""
    pattern = _pattern(instrument)
    return frozenset(
        name
        for name, text in sources.items()
        if pattern.search(_without_reexports(instrument, text) if name == REEXPORTS else text)
    )


def _kit_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(KIT.glob("*.py"))}


@pytest.mark.parametrize("instrument", SCORED, ids=lambda s: s.key)
def test_no_module_of_the_kit_names_a_scored_instrument(instrument: ScoredInstrument) -> None:
    sources = _kit_sources()
    assert {REEXPORTS, "_harness.py", "_monotone.py", "_order.py", "_single.py"} <= set(sources)
    naming = _naming(instrument, sources)
    assert not naming, (
        f"testing/{sorted(naming)} name the instrument {instrument.key!r}: read it from its "
        "description (instruments/_registry.py) or from the module of its strategies"
    )


@pytest.mark.parametrize("instrument", SCORED, ids=lambda s: s.key)
def test_the_kit_check_sees_a_module_that_names_a_scored_instrument(
    instrument: ScoredInstrument,
) -> None:
    kit = _kit_sources()
    key, module = instrument.key, _module(instrument).__name__
    planted = {
        "by_attribute.py": f"answers = assessment.{key}\n",
        "by_keyword.py": f"Assessment({key}=answers)\n",
        "by_string.py": f"fields[{key!r}] = answers\n",
        "by_score.py": f"score = assessment.{instrument.score_attribute}\n",
        "by_requirement.py": f"required = protocol.{instrument.requirement}\n",
        "by_helper.py": f"step = _more_{key}(score)\n",
        "by_words.py": f'parts.append("{key.replace("_", " ").upper()} not given")\n',
        "by_module.py": f"from {module} import something\n",
        "by_strategies_module.py": f"from {instrument.strategies} import something\n",
        # The kit's own modules, with one line more.
        "_harness.py": kit["_harness.py"] + f"\nscore = assessment.{instrument.score_attribute}\n",
        REEXPORTS: kit[REEXPORTS] + f"\nfields = {{{key!r}: None}}\n",
    }
    public = [*_module(instrument).__all__, *_strategies(instrument).__all__]
    for name in public:
        planted[f"by_{name}.py"] = f"value = {name}(1)\n"
    clean = {
        "plain.py": "x = 1\n",
        "periodic.py": "periodic = protocol.require_age\n",
        f"not_by_{public[0]}.py": f"value = other.{public[0]}_of(1)\n",
    }
    assert _naming(instrument, planted | clean) == set(planted)
    # The re-exports are allowed in the module that re-exports, nowhere else.
    assert _naming(instrument, {"_monotone.py": kit[REEXPORTS]}) == {"_monotone.py"}


@pytest.mark.parametrize("instrument", SCORED, ids=lambda s: s.key)
def test_a_scored_instrument_offers_the_kit_its_strategies(instrument: ScoredInstrument) -> None:
    strategies = _strategies(instrument)
    assert strategies.__all__, "its public strategies, re-exported by the kit"
    for name in strategies.__all__:
        assert getattr(bts, name) is getattr(strategies, name)
        assert name in bts.__all__
    for hook in ("assessment_fields", "check_in_fields", "more_risk"):
        assert callable(getattr(strategies, hook)), hook


_FIELDS = st.sampled_from(SCORED).flatmap(
    lambda s: st.tuples(
        st.just(s),
        importlib.import_module(s.strategies).assessment_fields(required=True, unanswered=False),
    )
)


@given(_FIELDS)
def test_relisted_answers_score_the_same(case: tuple[ScoredInstrument, dict[str, Any]]) -> None:
    instrument, fields = case
    assessment = Assessment(**fields)
    score = getattr(assessment, instrument.score_attribute)
    assert score is not None, "required and answered: scorable"
    relisted = instrument.relisted(getattr(assessment, instrument.key))
    again = Assessment(**{**fields, instrument.key: relisted})
    assert getattr(again, instrument.score_attribute) == score
    assert instrument.state_words(score, getattr(assessment, instrument.key)), "says the score"
