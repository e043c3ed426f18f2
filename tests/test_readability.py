"""Every question and safety-net line of the default protocol reads at a reading age of 11.

Measured with the Flesch-Kincaid grade of ``textstat`` 0.7.8 (later versions download data at
first use), as docs/clinical-basis.md section 3b (change 7) sets out: each cauda equina
question at most grade 8 and their mean at most grade 6; each line of the safety net at most
grade 8. Every other question is held to grade 8 too, with each name of a medicine it lists
counted as one short word (a person recognises the name from the box; the grade would count
its syllables as difficulty).
"""

from __future__ import annotations

import re
import subprocess
import sys
from statistics import mean

import pytest
import textstat

import backtriage as bt

PROTOCOL = bt.default_protocol()
CES = (
    "ces_bladder",
    "ces_leaking",
    "ces_toilet_sensation",
    "ces_saddle_numbness",
    "ces_sexual_dysfunction",
)
CES_MAX = 8.0
CES_MEAN_MAX = 6.0
SAFETY_NET_MAX = 8.0
OTHER_MAX = 8.0
MEDICINES = re.compile(
    r"\b(warfarin|apixaban|rivaroxaban|edoxaban|dabigatran|heparin|prednisolone)\b", re.I
)
OTHERS = [
    f
    for f in PROTOCOL.facts
    if f.question is not None and f.kind is not bt.FactKind.DERIVED and f.name not in CES
]
NET = (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today, PROTOCOL.safety_net.review)


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


def test_the_measure_is_textstat_0_7_8() -> None:
    from importlib.metadata import version

    assert version("textstat") == "0.7.8"
    # A sanity check of the measure itself: plain short words score low, long ones high.
    assert grade("Do you have new or worse trouble peeing?") < 4
    assert grade("Do you experience urinary retention necessitating catheterisation?") > 12


@pytest.mark.parametrize("key", CES)
def test_each_cauda_equina_question_is_at_most_grade_8(key: str) -> None:
    question = PROTOCOL.fact(key).question or ""
    assert grade(question) <= CES_MAX, question


def test_the_cauda_equina_questions_average_at_most_grade_6() -> None:
    grades = [grade(PROTOCOL.fact(key).question or "") for key in CES]
    assert mean(grades) <= CES_MEAN_MAX, grades


@pytest.mark.parametrize("line", NET)
def test_each_safety_net_line_is_at_most_grade_8(line: str) -> None:
    assert grade(line) <= SAFETY_NET_MAX, line


@pytest.mark.parametrize("fact", OTHERS, ids=lambda f: f.name)
def test_every_other_question_is_at_most_grade_8(fact: bt.Fact) -> None:
    # Each medicine's name counts as one short word: the sentence keeps its length.
    text = MEDICINES.sub("pill", fact.question or "")
    assert grade(text) <= OTHER_MAX, fact.question


def test_textstat_is_not_loaded_by_backtriage() -> None:
    code = (
        "import sys, backtriage as bt; bt.questions(); "
        "print('textstat' in sys.modules or 'pyphen' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
