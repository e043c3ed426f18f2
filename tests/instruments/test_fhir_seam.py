"""The FHIR layer reads a scored instrument from its description and never names it.

``_fhir/`` builds the forms, writes the responses and reads them from each scored instrument's
FHIR form (``ScoredInstrument.fhir_form``); only ``fhir.py``, which keeps the public names
(``odi_questionnaire``, ``read_start_back_response``...), and the instrument's own module name
it. A second test plants names to show the check can fail.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

import backtriage
from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED

FHIR_PACKAGE = Path(backtriage.__file__).parent / "_fhir"


def _module_of(instrument: ScoredInstrument) -> str:
    return instrument.fhir_form.__module__


def _names(instrument: ScoredInstrument) -> list[str]:
    """Return what names the instrument in the FHIR layer: its key (as a word, in any case),
    its module and public names, and its form's title, linkIds, code systems and codes."""
    form = instrument.fhir_form()
    module = _module_of(instrument)
    texts = {form.title, form.resource_name, *(form.code or ())}
    for item in form.items:
        texts.update({item.link_id, item.system})
    if form.score_code is not None:
        texts.add(form.score_code)
    names = [re.escape(module), *map(re.escape, getattr(sys.modules[module], "__all__", ()))]
    return [
        rf"(?i)(?<![\w.-]){re.escape(instrument.key)}(?![\w-])",
        rf"(?<![\w.-])(?:{'|'.join(names)})(?![\w-])",
        rf"instruments import [^\n]*\b{re.escape(module.rpartition('.')[2])}\b",
        *(rf"(?<![\w-]){re.escape(text)}(?![\w-])" for text in sorted(texts)),
    ]


def _naming(instrument: ScoredInstrument, sources: Mapping[str, str]) -> frozenset[str]:
    """Return the files of ``sources`` (path → text) that name ``instrument``."""
    patterns = [re.compile(pattern) for pattern in _names(instrument)]
    return frozenset(
        path for path, text in sources.items() if any(p.search(text) for p in patterns)
    )


def _fhir_sources() -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8") for path in sorted(FHIR_PACKAGE.glob("*.py"))
    }


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_fhir_layer_does_not_name_a_scored_instrument(instrument: ScoredInstrument) -> None:
    naming = _naming(instrument, _fhir_sources())
    assert not naming, (
        f"_fhir/{sorted(naming)} name the instrument {instrument.key!r}: read it from its FHIR "
        "form (ScoredInstrument.fhir_form), or keep the public name in fhir.py"
    )


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_check_sees_a_module_that_names_a_scored_instrument(
    instrument: ScoredInstrument,
) -> None:
    form = instrument.fhir_form()
    module = _module_of(instrument)
    item = form.items[0]
    sources = {
        "plain.py": "x = 1\n",
        "by_key.py": f"group = {instrument.key!r}\n",
        "by_key_in_words.py": f'"""Read the {instrument.key.upper()} items."""\n',
        "by_module.py": f"from {module} import something\n",
        "by_import.py": f"from backtriage.instruments import {module.rpartition('.')[2]}\n",
        "by_link_id.py": f"link_id = {item.link_id!r}\n",
        "by_system.py": f"SYSTEM = {item.system!r}\n",
        "by_title.py": f"TITLE = {form.title!r}\n",
        "not_by_longer_name.py": f"{instrument.key}_max_missing = 1\n",
        "not_by_other_link_id.py": f"link_id = '{item.link_id}0x'\n",
    }
    for name in getattr(sys.modules[module], "__all__", ()):
        sources[f"by_{name}.py"] = f"value = {name}(1)\n"
        sources[f"not_by_{name}.py"] = f"value = _{name}_other(1)\n"
    assert _naming(instrument, sources) == {
        path for path in sources if path != "plain.py" and not path.startswith("not_")
    }


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_scored_instruments_form_asks_its_answers(instrument: ScoredInstrument) -> None:
    form = instrument.fhir_form()
    # Its items are the keys of its answers, its group the field that carries them.
    assert set(form.keys) == set(instrument.answers_at(0))
    assert instrument.key in {field.name for field in Assessment.__attrs_attrs__}
    link_ids = [item.link_id for item in form.items]
    assert len(set(link_ids)) == len(link_ids)
    for item in form.items:
        # An item is read without a mapping by its linkId and by its key.
        assert form.aliases[item.link_id] == item.key
        assert form.aliases[item.key] == item.key
        assert len({choice.code for choice in item.choices}) == len(item.choices)
    assert set(form.aliases.values()) <= set(form.keys)
