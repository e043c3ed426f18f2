"""The kit on a corpus of edits app teams make: every harmful one caught, no correct one flagged.

The corpus is in ``edit_corpus.py``. A harmful edit counts as caught when the loader, ``check()``,
the property checks or the reviewed-version gate flags it; a correct edit must pass the loader,
``check()`` and the properties (the gate flags a new exercise by design: it needs review).
"""

from __future__ import annotations

import pytest

from .edit_corpus import CORRECT, HARMFUL, Edit, both, edited, new_fact, new_rule, run_kit


@pytest.mark.parametrize("edit", HARMFUL.values(), ids=HARMFUL.keys())
def test_a_harmful_edit_is_caught_by_the_kit(edit: Edit) -> None:
    assert run_kit(edited(edit)) is not None


@pytest.mark.parametrize("edit", CORRECT.values(), ids=CORRECT.keys())
def test_a_correct_edit_passes_the_loader_check_and_properties(edit: Edit) -> None:
    assert run_kit(edited(edit), gate=False) is None


def test_the_corpus_covers_every_class_of_mistake_with_enough_edits() -> None:
    assert len(HARMFUL) >= 41
    assert len(CORRECT) >= 13


def test_a_new_exercise_passes_every_layer_but_the_gate() -> None:
    (adds_exercise,) = [e for name, e in CORRECT.items() if "new exercise" in name]

    assert run_kit(edited(adds_exercise)) == "gate"


def test_a_new_optional_finding_that_refers_to_the_emergency_department_is_caught() -> None:
    edit = both(
        new_fact(
            name="sudden_leg_weakness",
            kind="finding",
            polarity="risk",
            question="Did a leg suddenly become weak today?",
        ),
        new_rule(
            "sudden_leg_weakness_emergency",
            {"fact": "sudden_leg_weakness"},
            [{"refer": "emergency"}],
        ),
    )

    assert run_kit(edited(edit)) is not None
