"""The scored questionnaires (the ODI, STarT Back) behind the seam: the rules' layer names none.

The facts, the protocol (its inputs, reasoner and static checks) and the review read a scored
questionnaire from its description (``SCORED`` in ``instruments/_registry.py``). None of their
modules names one: not its key, its score attribute, its requirement or its derivation source
(quoted, or as an attribute), its module, nor one of its public names. The protocol's format
(``protocol/_model.py``) is left out: its fields and the members of ``DerivedFrom`` are the
format's public vocabulary, and ``DerivedFrom``'s members may be named anywhere. A second test
plants each kind of name to show the check can fail.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import attrs
import pytest

import backtriage
from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED
from backtriage.instruments.odi import describe_odi, score_odi
from backtriage.protocol import DerivedFrom, Protocol

PACKAGE = Path(backtriage.__file__).parent

FORMAT_MODULE = "protocol/_model.py"
"""The protocol format, whose fields (``require_odi``, ``Texts.odi_question``) and sources
(``DerivedFrom``) are its public vocabulary."""

GENERIC_MODULES = (
    "_facts.py",
    *sorted(
        path.relative_to(PACKAGE).as_posix()
        for folder in ("protocol", "review")
        for path in (PACKAGE / folder).glob("*.py")
        if path.relative_to(PACKAGE).as_posix() != FORMAT_MODULE
    ),
)
"""The modules that read every scored questionnaire from its description: the facts, every
module of the protocol but its format, and the review."""


def _module_of(instrument: ScoredInstrument) -> str:
    return instrument.rank.__module__


def _pattern(instrument: ScoredInstrument) -> re.Pattern[str]:
    dotted = _module_of(instrument)
    short = dotted.rpartition(".")[2]
    words = dict.fromkeys(
        (
            instrument.key,
            instrument.score_attribute,
            instrument.requirement,
            instrument.derivation,
        )
    )
    either = "|".join(re.escape(word) for word in words)
    names = [re.escape(name) for name in getattr(sys.modules[dotted], "__all__", ())]
    parts = [
        rf"[\"'](?:{either})[\"']",  # a document key, a field name given as text
        rf"\.(?:{either})\b",  # an attribute: assessment.odi, protocol.require_odi
        rf"\b{re.escape(dotted)}\b",
        rf"\binstruments import [^\n]*\b{re.escape(short)}\b",
    ]
    if names:
        parts.append(rf"(?<![\w.])(?:{'|'.join(names)})\b")
    return re.compile("|".join(parts))


def _naming(instrument: ScoredInstrument, sources: dict[str, str]) -> frozenset[str]:
    """Return the files of ``sources`` (path → text) that name ``instrument``."""
    pattern = _pattern(instrument)
    return frozenset(path for path, text in sources.items() if pattern.search(text))


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_rules_layer_names_no_scored_questionnaire(instrument: ScoredInstrument) -> None:
    sources = {path: (PACKAGE / path).read_text(encoding="utf-8") for path in GENERIC_MODULES}
    naming = _naming(instrument, sources)
    assert not naming, (
        f"{sorted(naming)} name the scored questionnaire {instrument.key!r}: read it from its "
        "description (SCORED in instruments/_registry.py)"
    )


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_check_sees_a_module_that_names_a_scored_questionnaire(
    instrument: ScoredInstrument,
) -> None:
    module = _module_of(instrument)
    short = module.rpartition(".")[2]
    sources = {
        "plain.py": "x = 1\n",
        "format_word.py": f"source = DerivedFrom.{DerivedFrom(instrument.derivation).name}\n",
        "by_key.py": f"document[{instrument.key!r}] = 3\n",
        "by_derivation.py": f"source = {instrument.derivation!r}\n",
        "by_score.py": f"score = assessment.{instrument.score_attribute}\n",
        "by_requirement.py": f"if protocol.{instrument.requirement}:\n    pass\n",
        "by_module.py": f"from {module} import something\n",
        "by_package.py": f"from backtriage.instruments import pain, {short}\n",
    }
    for name in getattr(sys.modules[module], "__all__", ()):
        sources[f"by_{name}.py"] = f"value = {name}(1)\n"
        sources[f"not_by_{name}.py"] = f"value = _{name}_other(1)\n"
    assert _naming(instrument, sources) == {
        path
        for path in sources
        if path not in ("plain.py", "format_word.py") and not path.startswith("not_")
    }


def test_the_check_reads_the_rules_layer() -> None:
    for path in ("protocol/_inputs.py", "protocol/_reasoner.py", "protocol/_check.py"):
        assert path in GENERIC_MODULES
    for path in ("protocol/_format.py", "review/_sheet.py", "review/_words.py"):
        assert path in GENERIC_MODULES
    assert (PACKAGE / FORMAT_MODULE).is_file()


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_scored_questionnaire_has_its_fields_and_its_derivation(
    instrument: ScoredInstrument,
) -> None:
    fields = {field.name for field in attrs.fields(Assessment)}
    assert {instrument.key, instrument.score_attribute} <= fields
    assert instrument.requirement in {field.name for field in attrs.fields(Protocol)}
    assert DerivedFrom(instrument.derivation).value == instrument.derivation
    assert not instrument.level_rows or len(instrument.level_rows) == len(instrument.levels)


def test_every_level_source_of_the_format_is_a_registered_questionnaire() -> None:
    # The thresholds' parser reads the levels of the questionnaire whose derivation is the
    # source: a source without one would be read as an age.
    registered = {instrument.derivation for instrument in SCORED}
    assert {source.value for source in DerivedFrom} - registered == {"age", "preference"}


def test_the_review_says_the_default_number_of_odi_sections_that_may_be_missing() -> None:
    allowed = attrs.fields(Assessment).odi_max_missing.default
    assert score_odi.__kwdefaults__ == {"max_missing": allowed}
    (note,) = describe_odi().review_notes
    assert f"up to {allowed} of the ten sections" in note
