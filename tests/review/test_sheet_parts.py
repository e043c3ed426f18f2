"""The parts of the review sheet a safety officer signs for: scope, intent, what a person reads.

Scope first; the declared policies in words; every text a person may read with its reading
grade; example plans made by ``recommend`` from the exact queries; sources with their kind, year
and link; departures from a source marked; and nothing listed twice.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections import Counter

import attrs
import pytest

import backtriage as bt
from backtriage.protocol import Protocol, Source, SourceKind
from backtriage.review import _reader as reader
from backtriage.review import review_sheet, when_urgency

from .sheet_text import Page


@pytest.fixture(scope="module")
def default() -> Protocol:
    return bt.default_protocol()


@pytest.fixture(scope="module")
def sheet(default: Protocol) -> str:
    return review_sheet(default)


@pytest.fixture(scope="module")
def page(sheet: str) -> Page:
    return Page(sheet)


def plans(sheet: str) -> dict[str, tuple[str, str, str]]:
    """Return each example plan by key: (its urgency, its assessment JSON, its text)."""
    found = re.findall(
        r'<figure class="plan" id="plan-([a-z_]+)" data-urgency="([a-z_]+)" '
        r'data-assessment="([^"]*)">.*?<pre>(.*?)</pre>',
        sheet,
        re.S,
    )
    return {
        key: (urgency, html.unescape(data), html.unescape(text))
        for key, urgency, data, text in found
    }


def follow_up_example(sheet: str) -> tuple[str, str, str]:
    """Return the follow-up example: its assessment JSON, its check-in JSON, its text."""
    found = re.search(
        r'<figure class="plan" id="plan-follow-up" data-urgency="[a-z_]+" '
        r'data-assessment="([^"]*)" data-check-in="([^"]*)">.*?<pre>(.*?)</pre>',
        sheet,
        re.S,
    )
    assert found is not None
    return tuple(html.unescape(part) for part in found.groups())  # type: ignore[return-value]


# -- scope --------------------------------------------------------------------------------------


def test_the_scope_comes_first_after_the_protocols_identity(sheet: str) -> None:
    sections = re.findall(r'<section id="([a-z_-]+)"', sheet)
    assert sections[0] == "scope"


def test_the_scope_shows_intended_use_population_exclusions_and_age_floor(
    default: Protocol, page: Page
) -> None:
    part = page.part("scope")
    scope = default.scope
    assert scope.intended_use in part
    assert scope.population in part
    for line in scope.not_covered:
        assert line in part
    assert scope.min_age is not None
    assert f"{scope.min_age}: below it no exercise is given" in part
    assert "Reviewer's initials" in part  # the reviewer confirms it


def test_a_protocol_without_a_scope_is_flagged_on_the_sheet(default: Protocol) -> None:
    unscoped = attrs.evolve(default, scope=bt.protocol.Scope())
    part = Page(review_sheet(unscoped)).part("scope")
    assert "states no intended use or population" in part
    assert "not stated" in part


# -- declared policies --------------------------------------------------------------------------


def test_every_declared_policy_is_said_in_words(default: Protocol, page: Page) -> None:
    part = page.part("policies")
    assert f"({len(default.policies)})" in part
    assert "every one holds" in part
    for policy in default.policies:
        said = page.part(f"policy-{policy.id}")
        assert said, policy.id
        for name in policy.when:
            fact = default.fact(name)
            # Required questions are named by key (linked to the question), the others in words.
            if policy.required:
                assert name in said, policy.id
            elif fact.kind is not bt.FactKind.DERIVED:
                assert fact.question is not None
                assert fact.question in said, policy.id


def test_policies_are_grouped_by_what_they_claim(page: Page) -> None:
    part = page.part("policies")
    assert "Required questions" in part
    assert "At least emergency, on these answers alone" in part
    assert part.index("At least emergency") < part.index("At least same day")


def test_a_policy_that_does_not_hold_is_marked(default: Protocol) -> None:
    rule = next(r for r in default.rules if r.id == "cannot_kneel")
    broken = attrs.evolve(default, rules=tuple(r for r in default.rules if r is not rule))
    page = Page(review_sheet(broken))
    assert "✗ does not hold" in page.part("policy-cannot_kneel_nothing_kneeling")
    assert "do not hold" in page.part("policies")


def test_a_policy_reason_is_shown(default: Protocol) -> None:
    reasoned = [p for p in default.policies if p.reason]
    assert reasoned
    page = Page(review_sheet(default))
    for policy in reasoned:
        assert policy.reason in page.part(f"policy-{policy.id}")


def test_a_protocol_without_policies_says_so(default: Protocol) -> None:
    part = Page(review_sheet(attrs.evolve(default, policies=()))).part("policies")
    assert "declares no policy" in part


# -- what a person reads ------------------------------------------------------------------------


def test_every_text_of_the_protocol_a_person_may_read_is_shown(
    default: Protocol, page: Page
) -> None:
    part = page.part("texts")
    for level in bt.Urgency:
        assert default.advice.for_urgency(level) in part
    for rule in default.rules:
        if rule.advice:
            assert rule.advice in part, rule.id
    for field in attrs.fields(type(default.texts)):
        value = getattr(default.texts, field.name)
        if isinstance(value, str):
            assert value in part, field.name
        elif isinstance(value, tuple):
            for line in value:
                assert line in part, field.name
        else:
            for level in bt.Urgency:
                assert value.for_urgency(level) in part, field.name
    net = default.safety_net
    for line in (*net.emergency, *net.today, net.review):
        assert line in part
    for band in default.scope.under_age:
        if band.advice:
            assert band.advice in part


def test_every_question_has_a_reading_grade(page: Page, default: Protocol) -> None:
    rows = page.part("questions")
    for question in bt.questions(default):
        grade = reader.reading_grade(question.text)
        assert grade is not None  # textstat is a test dependency
        if len(question.text.split()) >= 5:
            assert re.search(re.escape(question.text) + rf" .*? {grade:.1f}", rows), question.key


def test_without_textstat_the_grade_says_not_measured(
    default: Protocol, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_measure", lambda: None)
    page = Page(review_sheet(default))
    assert "not measured" in page.part("questions")
    assert "textstat is not installed" in page.part("texts")


def test_textstat_does_not_load_with_backtriage() -> None:
    code = "import sys, backtriage; print('textstat' in sys.modules or 'pyphen' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- example plans ------------------------------------------------------------------------------


def test_each_example_plan_is_what_recommend_gives_for_its_answers(
    default: Protocol, sheet: str
) -> None:
    shown = plans(sheet)
    assert shown
    for key, (urgency, data, text) in shown.items():
        plan = bt.recommend(bt.from_json(data, bt.Assessment), protocol=default)
        assert plan.summary() == text, key
        assert plan.urgency.value == urgency, key


def test_there_is_an_example_plan_for_every_urgency_the_protocol_reaches(
    default: Protocol, sheet: str
) -> None:
    shown = plans(sheet)
    for level in bt.Urgency:
        if level is bt.Urgency.NONE or when_urgency(default, level):
            assert shown[level.value][0] == level.value, level


def test_an_example_plan_leaves_a_required_question_unanswered(sheet: str) -> None:
    _, data, text = plans(sheet)["missing"]
    assessment = bt.from_json(data, bt.Assessment)
    assert None in assessment.red_flags.values()
    plan = bt.recommend(assessment)
    assert plan.missing
    assert not plan.exercises
    for question in plan.missing_questions:
        assert question in text


def test_the_example_plan_of_urgency_none_gives_every_exercise(
    default: Protocol, sheet: str
) -> None:
    _, data, _ = plans(sheet)["none"]
    plan = bt.recommend(bt.from_json(data, bt.Assessment))
    assert {p.exercise.id for p in plan.exercises} == {e.id for e in default.exercises}


def test_an_edited_protocol_gets_its_own_example_plans(default: Protocol) -> None:
    advice = attrs.evolve(default.advice, soon="See your GP this week, please.")
    edited = attrs.evolve(default, advice=advice)
    sheet = review_sheet(edited)
    assert "See your GP this week, please." in Page(sheet).part("texts")
    shown = plans(sheet)
    for key, (_, data, text) in shown.items():
        plan = bt.recommend(bt.from_json(data, bt.Assessment), protocol=edited)
        assert plan.summary() == text, key


def test_the_follow_up_example_is_what_follow_up_gives_for_its_check_in(
    default: Protocol, sheet: str
) -> None:
    data, check_in, text = follow_up_example(sheet)
    plan = bt.recommend(bt.from_json(data, bt.Assessment), protocol=default)
    followed = bt.follow_up(plan, bt.from_json(check_in, bt.CheckIn), protocol=default)
    assert followed.summary() == text
    kinds = {d.kind for d in followed.steps}
    assert {bt.StepKind.PROGRESS, bt.StepKind.HOLD} <= kinds  # one went well, one hurt some
    assert kinds & {bt.StepKind.REGRESS, bt.StepKind.STOP}  # and one hurt too much


def test_the_follow_up_section_shows_the_pain_limits_and_each_exercises_steps(
    default: Protocol, page: Page
) -> None:
    rules = default.follow_up
    assert rules is not None
    part = page.part("follow-up")
    assert f"green_max = {rules.green_max}" in part
    assert f"amber_max = {rules.amber_max}" in part
    for exercise in default.exercises:
        for step in exercise.steps:
            assert step in page.part(f"exercise-{exercise.id}")


# -- sources and departures ---------------------------------------------------------------------


def test_every_source_is_shown_with_kind_year_and_link_or_not_known(
    default: Protocol, page: Page
) -> None:
    for source in default.sources:
        item = page.part(f"source-{source.tag}")
        assert source.citation in item
        assert (str(source.year) if source.year else "year not known") in item
        assert (source.url if source.url else "link not known") in item
        if source.kind is None:
            assert "kind not known" in item


def test_the_seed_page_is_marked_as_having_no_evidence_of_its_own(page: Page) -> None:
    assert "the seed page (commercial; no evidence of its own)" in page.part("source-seed")


def test_a_source_link_is_a_link(default: Protocol, page: Page) -> None:
    links = {a.get("href") for tag, a in page.tags if tag == "a"}
    for source in default.sources:
        if source.url:
            assert source.url in links


def test_a_rule_that_departs_from_its_source_is_marked_with_its_reason(
    default: Protocol,
) -> None:
    rule = attrs.evolve(default.rules[0], departs="The source says soon; we say the same day.")
    edited = attrs.evolve(default, rules=(rule, *default.rules[1:]))
    page = Page(review_sheet(edited))
    assert "⚑ Departs from its source: The source says soon; we say the same day." in page.part(
        f"rule-{rule.id}"
    )
    departing = sum(1 for r in edited.rules if r.departs)
    assert f"{departing} rule(s) depart from their source" in page.part("rules")


def test_the_default_protocols_departures_from_its_sources_are_marked(
    default: Protocol, page: Page
) -> None:
    departing = [r for r in default.rules if r.departs]
    assert departing  # where the protocol chose otherwise than a source it cites
    for rule in departing:
        assert rule.departs is not None
        assert f"⚑ Departs from its source: {rule.departs}" in page.part(f"rule-{rule.id}")


def test_a_rule_cites_its_sources_by_kind_and_year(default: Protocol) -> None:
    tagged = attrs.evolve(
        default,
        sources=(Source("T1", "A trial", SourceKind.RANDOMISED_TRIAL, 2004), *default.sources),
        rules=(attrs.evolve(default.rules[0], source="T1"), *default.rules[1:]),
    )
    part = Page(review_sheet(tagged)).part(f"rule-{default.rules[0].id}")
    assert "T1 (randomised trial, 2004)" in part


# -- shorter ------------------------------------------------------------------------------------


def test_no_trigger_is_listed_twice(default: Protocol, page: Page) -> None:
    # Within the urgencies, each trigger once; a trigger that stops every exercise is not
    # listed again under "every exercise is withheld", nor under an exercise.
    urgencies = [f"urgency-{u.value}" for u in bt.Urgency if u is not bt.Urgency.NONE]
    reached = page.items_in(*urgencies)
    assert [i for i, n in Counter(reached).items() if n > 1] == []
    everyone = page.items_in("withheld-for-everyone")
    exercises = [page.items_in(f"exercise-{e.id}") for e in default.exercises]
    for item in reached:
        plain = item.removesuffix(" stops every exercise")
        assert plain not in everyone, item
        if item.endswith("stops every exercise"):
            assert all(plain not in listed for listed in exercises), item


def test_the_rules_do_not_repeat_their_conditions_on_a_sound_protocol(
    default: Protocol, page: Page
) -> None:
    question = default.fact("ces_bladder").question
    assert question is not None
    assert question not in page.part("rules")


def test_the_sign_off_records_decision_conditions_risks_and_hazard_log(page: Page) -> None:
    part = page.part("sign-off")
    for words in (
        "approved with conditions",
        "not approved",
        "Conditions",
        "Residual risks",
        "Hazard log reference",
        "backtriage protocol sign-off",
    ):
        assert words in part
