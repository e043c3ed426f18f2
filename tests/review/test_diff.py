"""The safety diff classes every change and gives witnesses that reproduce it through recommend.

Worked changes of the default protocol, then properties: on random protocols and changes of
them (rules dropped, urgencies and requirements changed), every change's witnesses reproduce it,
and every difference an answered assessment shows is reported (completeness).
"""

from __future__ import annotations

from collections import Counter

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import (
    AllOf,
    AnyOf,
    Caution,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Protocol,
    Refer,
    Rule,
    Selector,
)
from backtriage.protocol._reasoner import facts_of
from backtriage.review import Change, ChangeKind, ProtocolDiff, diff
from backtriage.review import replay as replay_version
from backtriage.testing import assert_not_less_safe
from backtriage.testing import strategies as bts

from .outcomes import held

# Most edits below break a declared policy of the default protocol: recommend refuses them,
# the diff compares them all the same, and their witnesses are replayed through review.replay.
DEFAULT = bt.default_protocol()
U = bt.Urgency


def replay(assessment: bt.Assessment, protocol: Protocol) -> bt.Plan:
    """Return the plan of a witness: through recommend where the protocol is clean, else
    (where its only problems are declared policies that fail) through review.replay, the same
    path without recommend's refusal."""
    problems = protocol.check()
    if not problems:
        return bt.recommend(assessment, protocol=protocol)
    assert all(p.code.startswith("policy-") for p in problems), problems
    with pytest.raises(bt.ProtocolError, match=r"\[policy-"):
        bt.recommend(assessment, protocol=protocol)
    return replay_version(assessment, protocol)


def given_ids(plan: bt.Plan) -> set[str]:
    return {p.exercise.id for p in plan.exercises}


FIELD_KINDS = frozenset(
    {
        ChangeKind.SIGN_DROPPED,
        ChangeKind.SIGN_ADDED,
        ChangeKind.POLICY_DROPPED,
        ChangeKind.POLICY_WEAKENED,
        ChangeKind.POLICY_ADDED,
        ChangeKind.POLICY_STRENGTHENED,
        ChangeKind.LOOSENED,
        ChangeKind.TIGHTENED,
        ChangeKind.UNJUDGED,
    }
)


def cautions_of(plan: bt.Plan, exercise_id: str) -> Counter[str]:
    """Return how many cautions each rule gives the exercise in ``plan``."""
    return Counter(
        c.rule for p in plan.exercises if p.exercise.id == exercise_id for c in p.cautions
    )


def assert_reproduced(old: Protocol, new: Protocol, change: Change) -> None:
    """Replay the change's witnesses as recommend does and check they show the change."""
    if change.kind is ChangeKind.TEXT:
        assert_text_shown(old, new, change)
        return
    if change.kind is ChangeKind.EXERCISE_REMOVED and change.old_witness is None:
        return
    if change.kind in FIELD_KINDS:
        assert change.field, change  # judged on the field itself: no plan shows it
        return
    assert change.old_witness is not None
    assert change.new_witness is not None
    before = replay(change.old_witness, old)
    after = replay(change.new_witness, new)
    kind = change.kind
    if kind in (ChangeKind.SCOPE_WIDENED, ChangeKind.SCOPE_NARROWED):
        # The witness is of an age the two scopes treat differently (what the rules do there
        # may hide it: a referral as urgent for other reasons).
        age = change.new_witness.age
        assert age is not None
        assert old.scope.band(age) != new.scope.band(age), change
        assert "protocol.scope" in [f.rule for f in (before if kind is ChangeKind.SCOPE_WIDENED
                                                     else after).fired]  # fmt: skip
        return
    if kind in (ChangeKind.QUESTION_OPTIONAL, ChangeKind.QUESTION_REQUIRED):
        asked = (before, after) if kind is ChangeKind.QUESTION_OPTIONAL else (after, before)
        assert change.question in asked[0].missing
        assert change.question not in asked[1].missing
        return
    assert (before.missing, after.missing) == ((), ()), change
    exercise = change.exercise
    if kind is ChangeKind.EXERCISE_GIVEN:
        assert (exercise in given_ids(before), exercise in given_ids(after)) == (False, True)
    elif kind is ChangeKind.EXERCISE_WITHHELD:
        assert (exercise in given_ids(before), exercise in given_ids(after)) == (True, False)
    elif kind is ChangeKind.EXERCISE_ADDED:
        assert exercise in given_ids(after), change
    elif kind is ChangeKind.EXERCISE_REMOVED:
        assert exercise in given_ids(before), change
    elif kind is ChangeKind.URGENCY_LOWERED:
        assert change.urgency is not None
        assert before.urgency >= change.urgency > after.urgency, change
    elif kind is ChangeKind.URGENCY_RAISED:
        assert change.urgency is not None
        assert after.urgency >= change.urgency > before.urgency, change
    else:
        assert (exercise in given_ids(before), exercise in given_ids(after)) == (True, True)
        assert exercise is not None
        had, has = cautions_of(before, exercise), cautions_of(after, exercise)
        assert change.rule is not None
        if kind is ChangeKind.CAUTION_DROPPED:
            assert had[change.rule] > has[change.rule], change
        else:
            assert kind is ChangeKind.CAUTION_ADDED
            assert had[change.rule] < has[change.rule], change


def texts_shown(plan: bt.Plan) -> set[str]:
    """Return every text a plan shows a person."""
    shown = {plan.advice, plan.protocol_name, *plan.missing_questions}
    shown.update(text for f in plan.fired for text in (f.reason, f.source))
    for prescription in plan.exercises:
        e = prescription.exercise
        shown.update((e.title, e.dosage, e.instructions))
        shown.update(c.text for c in prescription.cautions)
    return shown


def assert_text_shown(old: Protocol, new: Protocol, change: Change) -> None:
    """Where a change has witnesses, each plan shows its protocol's text."""
    if change.new_witness is None:
        assert change.old_witness is None
        return
    assert change.old_witness is not None
    before = replay(change.old_witness, old)
    after = replay(change.new_witness, new)
    for plan, text in ((before, change.old_text), (after, change.new_text)):
        if text:
            assert text in texts_shown(plan), change


def assert_witnessed(old: Protocol, new: Protocol) -> ProtocolDiff:
    result = diff(old, new)
    for change in (*result.less_safe, *result.more_cautious, *result.text_changes):
        assert_reproduced(old, new, change)
    assert result.is_less_safe == bool(result.less_safe)
    return result


def kinds(changes: tuple[Change, ...]) -> set[tuple[ChangeKind, str | None]]:
    return {(c.kind, c.exercise or c.question or (c.urgency and c.urgency.value)) for c in changes}


def without_rule(protocol: Protocol, rule_id: str) -> Protocol:
    return attrs.evolve(protocol, rules=tuple(r for r in protocol.rules if r.id != rule_id))


def with_rule(protocol: Protocol, rule_id: str, **changes: object) -> Protocol:
    rules = tuple(attrs.evolve(r, **changes) if r.id == rule_id else r for r in protocol.rules)
    return attrs.evolve(protocol, rules=rules)


# -- worked changes of the default protocol -----------------------------------------------------


def test_a_protocol_compared_with_itself_has_no_change() -> None:
    result = diff(DEFAULT, DEFAULT)
    assert result == ProtocolDiff((), (), ())
    assert not result.is_less_safe
    assert result.summary() == "No difference."


def test_dropping_an_exclusion_gives_the_exercises_back_and_is_less_safe() -> None:
    new = without_rule(DEFAULT, "flexion_aggravates_no_forward_bending")
    result = assert_witnessed(DEFAULT, new)
    assert kinds(result.less_safe) == {
        (ChangeKind.EXERCISE_GIVEN, "standing_flexion"),
        (ChangeKind.EXERCISE_GIVEN, "single_knee_hug"),
        (ChangeKind.EXERCISE_GIVEN, "double_knee_hug"),
    }
    assert result.more_cautious == ()
    # The minimal witness: flexion made worse, and (for the double hug) the single one done.
    double = next(c for c in result.less_safe if c.exercise == "double_knee_hug")
    assert double.new_witness is not None
    assert held(double.new_witness) == {"flexion_aggravates", "single_knee_hug_tolerated"}


def test_the_reverse_change_is_more_cautious() -> None:
    old = without_rule(DEFAULT, "flexion_aggravates_no_forward_bending")
    result = assert_witnessed(old, DEFAULT)
    assert result.less_safe == ()
    assert {c.kind for c in result.more_cautious} == {ChangeKind.EXERCISE_WITHHELD}


def test_a_red_flag_referred_less_urgently_lowers_the_urgency_and_gives_exercises() -> None:
    new = with_rule(DEFAULT, "fever_same_day", actions=(Refer(U.SOON),))
    result = assert_witnessed(DEFAULT, new)
    lowered = [c for c in result.less_safe if c.kind is ChangeKind.URGENCY_LOWERED]
    assert [c.urgency for c in lowered] == [U.SAME_DAY]
    assert lowered[0].old_witness is not None
    assert dict(lowered[0].old_witness.red_flags)["fever"] is True
    assert (ChangeKind.EXERCISE_GIVEN, "knee_sways") in kinds(result.less_safe)


def test_a_dropped_caution_is_less_safe_and_names_its_rule() -> None:
    new = without_rule(DEFAULT, "muscle_spasm_forward_bend_caution")
    result = assert_witnessed(DEFAULT, new)
    assert [(c.kind, c.exercise, c.rule) for c in result.less_safe] == [
        (ChangeKind.CAUTION_DROPPED, "standing_flexion", "muscle_spasm_forward_bend_caution")
    ]


def test_removing_the_safety_advice_drops_a_caution_from_every_exercise() -> None:
    new = attrs.evolve(DEFAULT, safety="")
    result = assert_witnessed(DEFAULT, new)
    assert {c.exercise for c in result.less_safe} == {e.id for e in DEFAULT.exercises}
    assert {c.rule for c in result.less_safe} == {"protocol.safety"}
    assert [c.field for c in result.text_changes] == ["safety"]


def test_a_new_exercise_needs_review_and_a_removed_one_is_more_cautious() -> None:
    extra = Exercise(
        id="pelvic_tilt",
        title="Pelvic tilt",
        family="tilts",
        movement="flexion",
        position="supine",
        level=1,
        in_bed=True,
        dosage="10 times.",
        instructions="Flatten your back gently against the floor.",
        steps=("5 times.", "10 times."),
    )
    new = attrs.evolve(DEFAULT, exercises=(*DEFAULT.exercises, extra))
    result = assert_witnessed(DEFAULT, new)
    assert kinds(result.less_safe) == {(ChangeKind.EXERCISE_ADDED, "pelvic_tilt")}
    back = assert_witnessed(new, DEFAULT)
    assert kinds(back.more_cautious) == {(ChangeKind.EXERCISE_REMOVED, "pelvic_tilt")}
    assert back.less_safe == ()


def test_a_red_flag_made_an_optional_finding_is_less_safe() -> None:
    facts = tuple(
        attrs.evolve(f, kind=FactKind.FINDING, required=False) if f.name == "not_improving" else f
        for f in DEFAULT.facts
    )
    new = attrs.evolve(DEFAULT, facts=facts)
    result = assert_witnessed(DEFAULT, new)
    assert kinds(result.less_safe) == {(ChangeKind.QUESTION_OPTIONAL, "not_improving")}


AGE_RULE = "sudden_onset_with_bone_risk_same_day"
AGE_FACTS = frozenset({"age_50_or_over", "age_65_or_over", "age_75_or_over"})


def without_the_age(protocol: Protocol) -> Protocol:
    """Return ``protocol`` (the default) with the age optional and read by no rule: its rule on
    a sudden start with thin bones, steroids or an age of 65 or over keeps the other two, its
    other rules on the age (night waking pain from 50, the exercises left out from 65 and 75)
    go, and so do the policies on the age."""
    bone_risk = AnyOf((FactIs("osteoporosis"), FactIs("long_term_steroids")))
    condition = AllOf((FactIs("sudden_onset"), bone_risk))
    rules = tuple(
        attrs.evolve(r, condition=condition) if r.id == AGE_RULE else r
        for r in protocol.rules
        if r.id == AGE_RULE or not set(facts_of(r.condition)) & AGE_FACTS
    )
    policies = tuple(p for p in protocol.policies if not set(p.when) & AGE_FACTS)
    # Without the age there is no minimum age to hold either.
    scope = attrs.evolve(protocol.scope, min_age=None, under_age=())
    return attrs.evolve(protocol, require_age=False, rules=rules, policies=policies, scope=scope)


def test_requiring_the_age_is_more_cautious() -> None:
    # The default protocol requires the age, which a rule reads: compare a copy without both.
    assert DEFAULT.require_age
    old = without_the_age(DEFAULT)
    assert old.check() == ()
    new = attrs.evolve(old, require_age=True)
    result = assert_witnessed(old, new)
    assert result.less_safe == ()
    assert kinds(result.more_cautious) == {(ChangeKind.QUESTION_REQUIRED, "age")}
    assert not assert_witnessed(new, old).more_cautious
    assert kinds(diff(new, old).less_safe) == {(ChangeKind.QUESTION_OPTIONAL, "age")}


def test_an_optional_age_that_a_referring_rule_reads_stops_the_comparison() -> None:
    # Read as "under 65" while unanswered, the age would silently lower the urgency: the
    # protocol cannot be evaluated reliably, which is not a policy verdict.
    old = attrs.evolve(
        DEFAULT,
        require_age=False,
        scope=attrs.evolve(DEFAULT.scope, min_age=None, under_age=()),
    )
    assert {p.code for p in old.check()} == {"optional-input-takes-away"}
    with pytest.raises(bt.ProtocolError, match="optional-input-takes-away"):
        diff(old, DEFAULT)


def test_text_changes_are_listed_with_the_old_and_new_text() -> None:
    rule = DEFAULT.rules[0]
    new = with_rule(DEFAULT, rule.id, reason="Call 999 now.")
    result = diff(DEFAULT, new)
    assert (result.less_safe, result.more_cautious) == ((), ())
    (change,) = result.text_changes
    assert (change.field, change.rule, change.new_text) == (
        f"rules.{rule.id}.reason",
        rule.id,
        "Call 999 now.",
    )
    assert change.old_text == rule.reason


def test_every_text_a_person_reads_is_compared() -> None:
    exercises = (
        tuple(
            attrs.evolve(e, title=e.title + "!", dosage=e.dosage + "!", instructions="Gently.")
            for e in DEFAULT.exercises[:1]
        )
        + DEFAULT.exercises[1:]
    )
    facts = tuple(
        attrs.evolve(f, question="Any fever?") if f.name == "fever" else f for f in DEFAULT.facts
    )
    new = attrs.evolve(
        DEFAULT,
        exercises=exercises,
        facts=facts,
        advice=attrs.evolve(DEFAULT.advice, emergency="Go now."),
        sources=(*DEFAULT.sources[1:], attrs.evolve(DEFAULT.sources[0], citation="Other")),
        description="Another.",
    )
    new = with_rule(new, "suspected_disc_flexion_caution", source="S63")
    new = with_rule(
        new,
        "muscle_spasm_forward_bend_caution",
        actions=(Caution(Selector(ids=("standing_flexion",)), "Bend a little."),),
    )
    fields = {c.field for c in diff(DEFAULT, new).text_changes}
    first = DEFAULT.exercises[0].id
    assert fields == {
        f"exercises.{first}.title",
        f"exercises.{first}.dosage",
        f"exercises.{first}.instructions",
        "facts.fever.question",
        "advice.emergency",
        f"sources.{DEFAULT.sources[0].tag}",
        "description",
        "rules.suspected_disc_flexion_caution.source",
        "rules.muscle_spasm_forward_bend_caution.caution[0]",
    }


def test_a_protocol_with_problems_is_refused() -> None:
    broken = attrs.evolve(DEFAULT, rules=(*DEFAULT.rules, DEFAULT.rules[0]))
    with pytest.raises(bt.ProtocolError, match="duplicate"):
        diff(DEFAULT, broken)
    with pytest.raises(bt.ProtocolError, match="old protocol"):
        diff(broken, DEFAULT)
    with pytest.raises(bt.InvalidAnswerError, match="old"):
        diff("default", DEFAULT)  # type: ignore[arg-type]


def test_an_edit_that_only_breaks_declared_policies_is_compared_though_recommend_refuses_it() -> (
    None
):
    new = without_rule(DEFAULT, "cannot_kneel")
    problems = new.check()
    assert problems
    assert {p.code for p in problems} == {"policy-withholds"}
    with pytest.raises(bt.ProtocolError, match="policy"):
        bt.recommend(bt.Assessment(), protocol=new)
    result = assert_witnessed(DEFAULT, new)
    assert kinds(result.less_safe) == {(ChangeKind.EXERCISE_GIVEN, "kneeling_extension")}
    assert assert_witnessed(new, DEFAULT).less_safe == ()


def test_assert_not_less_safe_passes_a_more_cautious_protocol() -> None:
    assert_not_less_safe(without_rule(DEFAULT, "cannot_kneel"), DEFAULT)


def test_assert_not_less_safe_names_each_less_safe_change_with_its_witness() -> None:
    new = without_rule(DEFAULT, "cannot_kneel")
    with pytest.raises(AssertionError, match="kneeling_extension") as raised:
        assert_not_less_safe(DEFAULT, new)
    assert "cannot_kneel" in str(raised.value)
    (change,) = raised.value.changes  # type: ignore[attr-defined]
    assert_reproduced(DEFAULT, new, change)


def test_facts_only_one_protocol_has_are_answered_to_that_protocol_only() -> None:
    # A new red flag that refers: more cautious; the old protocol never hears of it.
    flag = Fact(
        "new_flag", FactKind.RED_FLAG, Polarity.RISK, question="Anything new?", required=True
    )
    rule = Rule("new_flag_same_day", FactIs("new_flag"), (Refer(U.SAME_DAY),),
                "New sign.", "design")  # fmt: skip
    new = attrs.evolve(DEFAULT, facts=(*DEFAULT.facts, flag), rules=(*DEFAULT.rules, rule))
    result = assert_witnessed(DEFAULT, new)
    assert (ChangeKind.QUESTION_REQUIRED, "new_flag") in kinds(result.more_cautious)
    assert (ChangeKind.URGENCY_RAISED, "same_day") in kinds(result.more_cautious)
    back = assert_witnessed(new, DEFAULT)
    assert (ChangeKind.URGENCY_LOWERED, "same_day") in kinds(back.less_safe)
    assert (ChangeKind.QUESTION_OPTIONAL, "new_flag") in kinds(back.less_safe)


# -- properties over random protocols and their changes -----------------------------------------


@st.composite
def changed(draw: st.DrawFn, protocol: Protocol) -> Protocol:
    """Draw a change of ``protocol`` that keeps its facts: rules dropped or re-referred,
    requirements switched."""
    rules = []
    for rule in protocol.rules:
        action = draw(st.sampled_from(["keep", "keep", "drop", "refer"]))
        if action == "drop":
            continue
        if action == "refer":
            actions = tuple(
                Refer(draw(st.sampled_from(list(U)))) if isinstance(a, Refer) else a
                for a in rule.actions
            )
            rule = attrs.evolve(rule, actions=actions)
        rules.append(rule)
    new = attrs.evolve(
        protocol,
        rules=tuple(rules),
        require_odi=draw(st.booleans()) or protocol.require_odi,
        require_age=draw(st.booleans()) and protocol.require_age,
        safety=draw(st.sampled_from(["", "Stop if it hurts."])),
    )
    assume(new.check() == ())
    return new


def assert_complete(old: Protocol, new: Protocol, result: ProtocolDiff, a: bt.Assessment) -> None:
    """Every difference the two plans of ``a`` show is reported by the diff."""
    if a.age is not None and (old.scope.band(a.age) or new.scope.band(a.age)):
        return  # below a minimum age: compared age by age (scope_widened, scope_narrowed)
    before = replay(a, old)
    after = replay(a, new)
    if before.missing or after.missing:
        return
    less, more = kinds(result.less_safe), kinds(result.more_cautious)
    old_ids = {e.id for e in old.exercises}
    new_ids = {e.id for e in new.exercises}
    for exercise in given_ids(after) - given_ids(before):
        kind = ChangeKind.EXERCISE_GIVEN if exercise in old_ids else ChangeKind.EXERCISE_ADDED
        assert (kind, exercise) in less
    for exercise in given_ids(before) - given_ids(after):
        kind = ChangeKind.EXERCISE_WITHHELD if exercise in new_ids else ChangeKind.EXERCISE_REMOVED
        assert (kind, exercise) in more
    for level in U:
        if before.urgency >= level > after.urgency:
            assert (ChangeKind.URGENCY_LOWERED, level.value) in less
        if after.urgency >= level > before.urgency:
            assert (ChangeKind.URGENCY_RAISED, level.value) in more
    dropped = {(c.exercise, c.rule) for c in result.less_safe}
    added = {(c.exercise, c.rule) for c in result.more_cautious}
    for exercise in given_ids(before) & given_ids(after):
        for rule in cautions_of(before, exercise) - cautions_of(after, exercise):
            assert (exercise, rule) in dropped
        for rule in cautions_of(after, exercise) - cautions_of(before, exercise):
            assert (exercise, rule) in added


@given(st.data())
def test_every_change_between_random_protocols_is_witnessed_and_every_difference_reported(
    data: st.DataObject,
) -> None:
    old = data.draw(bts.protocols(), label="old")
    new = data.draw(changed(old), label="new")
    for first, second in ((old, new), (new, old)):
        result = assert_witnessed(first, second)
        for _ in range(3):
            a = data.draw(bts.assessments(first, complete=True), label="assessment")
            assert_complete(first, second, result, a)


@given(bts.protocols())
def test_a_random_protocol_compared_with_itself_has_no_change(protocol: Protocol) -> None:
    assert diff(protocol, protocol) == ProtocolDiff((), (), ())


def test_each_changed_text_comes_with_witnesses_whose_plans_show_it() -> None:
    new = with_rule(DEFAULT, "fever_same_day", reason="Fever: see a doctor today.", source="S41")
    new = with_rule(
        new,
        "suspected_disc_flexion_caution",
        actions=(Caution(Selector(movements=("flexion",)), "Go slowly."),),
    )
    exercises = tuple(
        attrs.evolve(e, title="Knee rolls") if e.id == "knee_sways" else e
        for e in DEFAULT.exercises
    )
    facts = tuple(
        attrs.evolve(f, question="Any chest pain?") if f.name == "chest_pain" else f
        for f in DEFAULT.facts
    )
    new = attrs.evolve(
        new,
        exercises=exercises,
        facts=facts,
        name="renamed",
        safety="Stop if it hurts.",
        advice=attrs.evolve(DEFAULT.advice, soon="Within two weeks.", same_day="Today."),
    )
    result = assert_witnessed(DEFAULT, new)
    assert (result.less_safe, result.more_cautious) == ((), ())
    witnessed = {c.field for c in result.text_changes if c.new_witness is not None}
    assert witnessed == {
        "name",
        "safety",
        "advice.soon",
        "advice.same_day",
        "rules.fever_same_day.reason",
        "rules.fever_same_day.source",
        "rules.suspected_disc_flexion_caution.caution[0]",
        "exercises.knee_sways.title",
        "facts.chest_pain.question",
    }


def test_a_diff_is_json_ready_with_its_witnesses() -> None:
    import json

    new = with_rule(DEFAULT, "fever_same_day", actions=(Refer(U.SOON),), reason="Fever.")
    data = diff(DEFAULT, new).to_dict()
    assert data["is_less_safe"] is True
    lowered = next(c for c in data["less_safe"] if c["kind"] == "urgency_lowered")  # type: ignore[attr-defined]
    assert lowered["urgency"] == "same_day"
    assert bt.from_dict(lowered["old_witness"], bt.Assessment).red_flags["fever"] is True
    (text,) = data["text_changes"]  # type: ignore[misc]
    assert (text["field"], text["new_text"]) == ("rules.fever_same_day.reason", "Fever.")
    assert json.loads(json.dumps(data)) == data


def test_a_finding_made_required_is_more_cautious_and_back_again_less_safe() -> None:
    assert not DEFAULT.fact("cannot_kneel").required
    facts = tuple(
        attrs.evolve(f, required=True) if f.name == "cannot_kneel" else f for f in DEFAULT.facts
    )
    new = attrs.evolve(DEFAULT, facts=facts)
    result = assert_witnessed(DEFAULT, new)
    assert kinds(result.more_cautious) == {(ChangeKind.QUESTION_REQUIRED, "cannot_kneel")}
    assert result.less_safe == ()
    back = assert_witnessed(new, DEFAULT)
    assert kinds(back.less_safe) == {(ChangeKind.QUESTION_OPTIONAL, "cannot_kneel")}


@given(st.data())
def test_two_unrelated_random_protocols_are_compared_over_the_answers_of_both(
    data: st.DataObject,
) -> None:
    # Facts of one name may differ in meaning (a derived fact on another score); each
    # protocol reads the same person's answers its own way.
    old = data.draw(bts.protocols(), label="old")
    new = data.draw(bts.protocols(), label="new")
    result = assert_witnessed(old, new)
    for _ in range(3):
        a = data.draw(bts.assessments(old, complete=True), label="assessment")
        try:
            bt.recommend(a, protocol=new)
        except bt.InvalidAnswerError:
            continue  # a question only the old protocol asks: not one person for both
        assert_complete(old, new, result, a)


def test_a_lower_minimum_age_is_less_safe_and_a_higher_one_more_cautious() -> None:
    lower = attrs.evolve(
        DEFAULT.scope,
        min_age=14,
        under_age=(
            *tuple(b for b in DEFAULT.scope.under_age if b.below < 14),
            attrs.evolve(DEFAULT.scope.under_age[-1], below=14),
        ),
    )
    younger = attrs.evolve(DEFAULT, scope=lower)
    assert younger.check() == ()
    result = diff(DEFAULT, younger)
    assert kinds(result.less_safe) >= {(ChangeKind.SCOPE_WIDENED, None)}
    back = diff(younger, DEFAULT)
    assert (ChangeKind.SCOPE_NARROWED, None) in kinds(back.more_cautious)
    assert not [c for c in back.less_safe if c.kind is ChangeKind.SCOPE_WIDENED]


def test_a_changed_safety_net_and_text_are_listed_as_text_changes() -> None:
    net = attrs.evolve(DEFAULT.safety_net, review="See your GP if it lasts.")
    texts = attrs.evolve(DEFAULT.texts, disclaimer="Only a screening aid.")
    result = diff(DEFAULT, attrs.evolve(DEFAULT, safety_net=net, texts=texts))
    fields = {c.field for c in result.text_changes}
    assert {"safety_net.review", "texts.disclaimer"} <= fields
