"""Plan behaviour that mutation testing showed no other test pinned down.

Each test kills mutants of ``backtriage._plan`` that survived the rest of the suite (see
``benchmarks/mutation.md``): the step shown beside an exercise, the heading over unanswered
questions, when a plan says why, where a follow-up question is asked, and what the errors name.
"""

from __future__ import annotations

import attrs
import pytest

import backtriage as bt
from test_plan_texts import PROTOCOL, U, answers, flag_alone, with_follow_up

TEXTS = PROTOCOL.texts


def test_an_exercise_in_steps_shows_which_step_of_how_many() -> None:
    plan = bt.recommend(answers())
    stepped = [p for p in plan.exercises if p.exercise.steps]
    assert stepped, "the default protocol gives a benign assessment an exercise in steps"
    for prescription in stepped:
        shown = f"({prescription.step + 1}/{prescription.steps})"
        assert f"- {prescription.exercise.title} {shown}: " in plan.summary()


def test_an_exercise_without_steps_shows_no_step() -> None:
    exercises = tuple(attrs.evolve(e, steps=()) for e in PROTOCOL.exercises)
    plan = bt.recommend(answers(), protocol=attrs.evolve(PROTOCOL, exercises=exercises))
    assert plan.exercises
    for prescription in plan.exercises:
        assert f"- {prescription.exercise.title}: " in plan.summary()


def without_one_flag(assessment: bt.Assessment, keep: str) -> bt.Assessment:
    """``assessment`` with one red flag other than ``keep`` unanswered."""
    dropped = next(key for key in assessment.red_flags if key != keep)
    flags = {k: v for k, v in assessment.red_flags.items() if k != dropped}
    return attrs.evolve(assessment, red_flags=flags)


def test_unanswered_questions_at_same_day_are_to_be_answered_now() -> None:
    flag = flag_alone(U.SAME_DAY)
    base = answers()
    assessment = attrs.evolve(base, red_flags={**base.red_flags, flag: True})
    plan = bt.recommend(without_one_flag(assessment, flag))
    assert plan.urgency is U.SAME_DAY
    assert plan.missing
    assert TEXTS.answer_now_heading in plan.summary().splitlines()
    assert TEXTS.answer_first_heading not in plan.summary().splitlines()


def test_unanswered_questions_below_same_day_are_to_be_answered_first() -> None:
    plan = bt.recommend(without_one_flag(answers(), ""))
    assert plan.urgency < U.SAME_DAY
    assert plan.missing
    assert TEXTS.answer_first_heading in plan.summary().splitlines()
    assert TEXTS.answer_now_heading not in plan.summary().splitlines()


def test_a_plan_without_urgency_gives_no_reason_heading_even_when_a_rule_fired() -> None:
    base = answers()
    for key in base.findings:
        plan = bt.recommend(attrs.evolve(base, findings={**base.findings, key: True}))
        if plan.urgency is U.NONE and plan.fired:
            break
    else:
        pytest.fail("no finding fires a rule without raising the urgency")
    assert TEXTS.why_heading not in plan.summary().splitlines()


@pytest.mark.parametrize("protocol", [PROTOCOL, with_follow_up()], ids=["default", "added"])
def test_a_follow_up_question_comes_right_after_its_condition(protocol: bt.Protocol) -> None:
    asked = bt.questions(protocol)
    keys = [q.key for q in asked]
    follow_ups = [q for q in asked if q.asked_if is not None]
    assert follow_ups
    for question in follow_ups:
        condition = keys.index(str(question.asked_if))
        between = asked[condition + 1 : keys.index(question.key)]
        assert all(q.asked_if == question.asked_if for q in between), question.key
    assert len(keys) == len(set(keys))


def test_the_odi_question_reads_the_protocols_words() -> None:
    odi = next(q for q in bt.questions(PROTOCOL) if q.key == "odi")
    assert odi.text == TEXTS.odi_question


def test_recommend_names_what_it_was_given_instead_of_an_assessment() -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.recommend({"odi": [1] * 10})  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("assessment", {"odi": [1] * 10})
    assert caught.value.allowed == "an Assessment (build one from the app's answers)"


def test_recommend_names_what_it_was_given_instead_of_a_protocol() -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.recommend(answers(), protocol="default.toml")  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("protocol", "default.toml")
    assert caught.value.allowed == "a Protocol (load a file with load_protocol), or None"


def test_unanswered_questions_without_urgency_advise_only_to_answer_them() -> None:
    plan = bt.recommend(without_one_flag(answers(), ""))
    assert plan.urgency is U.NONE
    assert plan.advice == TEXTS.unanswered


def test_unanswered_questions_at_same_day_keep_the_same_day_advice() -> None:
    flag = flag_alone(U.SAME_DAY)
    base = answers()
    assessment = attrs.evolve(base, red_flags={**base.red_flags, flag: True})
    plan = bt.recommend(without_one_flag(assessment, flag))
    own = {rule.advice for rule in PROTOCOL.rules if rule.advice}
    allowed = {
        f"{advice} {TEXTS.unanswered_same_day}" for advice in {*own, PROTOCOL.advice.same_day}
    }
    assert plan.advice in allowed


def test_a_person_below_the_minimum_age_with_unanswered_questions_is_told_to_answer() -> None:
    young = attrs.evolve(answers(), age=PROTOCOL.scope.min_age - 1)
    assert not bt.recommend(young).advice.endswith(TEXTS.unanswered_same_day)
    assert bt.recommend(without_one_flag(young, "")).advice.endswith(TEXTS.unanswered_same_day)


def test_a_plans_facts_are_in_the_protocols_order() -> None:
    base = answers()
    findings = dict.fromkeys(base.findings, True)
    plan = bt.recommend(attrs.evolve(base, findings={**base.findings, **findings}))
    declared = [fact.name for fact in PROTOCOL.facts]
    assert len(plan.facts) > 1
    assert list(plan.facts) == sorted(plan.facts, key=declared.index)
    assert list(plan.facts) != sorted(plan.facts), "the protocol's order is not the alphabet's"
