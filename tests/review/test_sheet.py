"""The review sheet: what a clinician must see to sign a protocol off, and a page that is safe."""

from __future__ import annotations

import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

import backtriage as bt
from backtriage.protocol import (
    Caution,
    Derivation,
    Fact,
    FactIs,
    Protocol,
    Rule,
    Selector,
    Source,
)
from backtriage.protocol._queries import triggers_of_rule
from backtriage.review import (
    Trigger,
    protocol_hash,
    review_sheet,
    when_cautioned,
    when_urgency,
    when_withheld,
)
from backtriage.testing.strategies import protocols

from .sheet_text import Page

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
ENGINE_WORDS = {
    "engine.urgency": "a same-day or emergency urgency withholds every exercise",
    "engine.prerequisite": "an exercise waits until its prerequisites are met",
}
HOSTILE = '<script>alert("x")</script> & <img src=http://example.invalid/x.png>'


@pytest.fixture(scope="module")
def default() -> Protocol:
    return bt.default_protocol()


@pytest.fixture(scope="module")
def sheet(default: Protocol) -> str:
    return review_sheet(default)


@pytest.fixture(scope="module")
def page(sheet: str) -> Page:
    return Page(sheet)


def fragments(protocol: Protocol, trigger: Trigger) -> list[str]:
    """Return what a reviewer must read in a trigger's line: question texts and rule ids."""
    said = []
    for name in trigger.present | trigger.absent:
        fact = protocol.fact(name)
        if fact.kind is bt.FactKind.DERIVED:
            assert fact.derive is not None
            said.append(
                {"odi_band": "ODI", "start_back_risk": "STarT Back", "age": "age"}.get(
                    fact.derive.source.value, "directional preference"
                )
            )
        else:
            assert fact.question is not None
            said.append(fact.question)
    for rule in trigger.rules:
        said.append(ENGINE_WORDS.get(rule, rule))
    return said


URGENCIES = tuple(f"urgency-{u.value}" for u in bt.Urgency if u is not bt.Urgency.NONE)


def listed(page: Page, protocol: Protocol, trigger: Trigger, *where: str) -> bool:
    wanted = fragments(protocol, trigger)
    if any(w.startswith("urgency-") for w in where):
        # Under an urgency, a trigger names the rules that refer, not the invariant that then
        # withholds every exercise.
        plain = attrs.evolve(
            trigger, rules=tuple(r for r in trigger.rules if r not in ENGINE_WORDS)
        )
        wanted = [w for w in wanted if w in fragments(protocol, plain)]
    return any(all(w in item for w in wanted) for item in page.items_in(*where))


# -- identity -----------------------------------------------------------------------------------


def test_protocol_hash_is_the_sha256_of_the_canonical_json_with_sorted_keys(
    default: Protocol,
) -> None:
    canonical = json.dumps(
        json.loads(bt.to_json(default)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert protocol_hash(default) == hashlib.sha256(canonical.encode()).hexdigest()


def test_protocol_hash_is_the_same_for_the_same_protocol_read_from_json(default: Protocol) -> None:
    again = bt.from_json(bt.to_json(default), Protocol)
    assert protocol_hash(again) == protocol_hash(default)


def test_one_changed_word_changes_the_protocol_hash(default: Protocol) -> None:
    rule = default.rules[0]
    changed = attrs.evolve(
        default, rules=(attrs.evolve(rule, reason=rule.reason + "!"), *default.rules[1:])
    )
    assert protocol_hash(changed) != protocol_hash(default)


def test_the_sheet_names_the_protocol_its_version_and_its_hash(
    default: Protocol, page: Page
) -> None:
    header = page.text
    assert f"Review sheet: {default.name}" in header
    assert default.version in page.part("sign-off")
    assert protocol_hash(default) in page.part("sign-off")
    assert re.search(rf"Content hash \(SHA-256\) {protocol_hash(default)}", header)


def test_the_same_protocol_gives_the_same_sheet(default: Protocol, sheet: str) -> None:
    assert review_sheet(bt.from_json(bt.to_json(default), Protocol)) == sheet


def test_anything_but_a_protocol_is_refused_by_name() -> None:
    with pytest.raises(bt.InvalidAnswerError, match="protocol"):
        review_sheet("backtriage-default")  # type: ignore[arg-type]


# -- a page that needs nothing else -------------------------------------------------------------


def test_the_sheet_loads_nothing_and_runs_nothing(page: Page, sheet: str) -> None:
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "form"}
    for tag, attributes in page.tags:
        assert "src" not in attributes, tag
        assert not any(name.startswith("on") for name in attributes), tag
        # A link to a source leaves the page only when the reader follows it; nothing loads.
        href = attributes.get("href")
        assert href is None or href.startswith(("#", "https://")), href
    assert "url(" not in sheet
    assert "@import" not in sheet


def test_every_link_of_the_sheet_leads_to_a_part_of_it(page: Page) -> None:
    targets = {a["href"] for tag, a in page.tags if tag == "a" and a.get("href")}
    inside = {t for t in targets if t is not None and t.startswith("#")}
    assert inside
    for target in inside:
        assert target[1:] in page.by_id, target


def test_the_sheet_has_print_styles_for_a_clean_pdf(sheet: str) -> None:
    assert "@media print" in sheet
    assert "@page" in sheet


def test_every_text_of_the_protocol_is_escaped(default: Protocol) -> None:
    exercise, *others = default.exercises
    fact = next(f for f in default.facts if f.kind is bt.FactKind.RED_FLAG)
    rule = default.rules[0]
    hostile = attrs.evolve(
        default,
        name=HOSTILE,
        version=HOSTILE,
        description=HOSTILE,
        exercises=(attrs.evolve(exercise, title=HOSTILE, instructions=HOSTILE), *others),
        facts=tuple(attrs.evolve(f, question=HOSTILE) if f is fact else f for f in default.facts),
        rules=(attrs.evolve(rule, reason=HOSTILE, source=HOSTILE), *default.rules[1:]),
        sources=(Source(tag="x", citation=HOSTILE), *default.sources),
    )
    sheet = review_sheet(hostile)
    assert "<script" not in sheet
    assert "<img" not in sheet
    assert html.escape(HOSTILE) in sheet
    assert HOSTILE in Page(sheet).text


# -- what a reviewer must see -------------------------------------------------------------------


def test_the_sheet_shows_every_question_with_whether_it_is_required(page: Page) -> None:
    rows = page.part("questions")
    for question in bt.questions():
        marked = "required" if question.required else "optional"
        assert f"{question.text} " in rows
        # A follow-up question says after which answer it is asked.
        follow_up = r"( ?, asked only after a yes to \w+ \([^)]*\))?"
        assert re.search(
            re.escape(question.text)
            + r" [a-z ]+ · "
            + marked
            + follow_up
            + " "
            + re.escape(question.key),
            rows,
        ), question.key


def test_every_exercise_is_shown_with_its_instructions_once(default: Protocol, page: Page) -> None:
    # In the example plan of urgency none (every capability yes), as the person reads them,
    # and not again under the exercise.
    plan = page.part("plan-none")
    for exercise in default.exercises:
        part = page.part(f"exercise-{exercise.id}")
        assert exercise.title in part
        assert exercise.instructions in plan
        assert exercise.instructions not in part
        for step in exercise.steps:  # the dosage of each step a follow-up moves along
            assert step in part
        assert (exercise.steps[0] if exercise.steps else exercise.dosage) in plan


def test_an_exercise_no_example_plan_gives_shows_its_instructions_under_it(
    default: Protocol,
) -> None:
    # A prerequisite no answer meets: the exercise is never given, so never in a plan.
    exercise = default.exercises[0]
    locked = attrs.evolve(exercise, prerequisites=("recent_spine_surgery",))
    protocol = attrs.evolve(default, exercises=(locked, *default.exercises[1:]))
    part = Page(review_sheet(protocol)).part(f"exercise-{exercise.id}")
    assert exercise.instructions in part


def test_every_trigger_that_withholds_an_exercise_is_listed_in_words(
    default: Protocol, page: Page
) -> None:
    for exercise in default.exercises:
        for trigger in when_withheld(default, exercise.id):
            assert listed(
                page,
                default,
                trigger,
                f"exercise-{exercise.id}",
                "withheld-for-everyone",
                *URGENCIES,
            ), (exercise.id, trigger)


def test_triggers_shared_by_every_exercise_are_listed_once(default: Protocol, page: Page) -> None:
    shared = set.intersection(*(set(when_withheld(default, e.id)) for e in default.exercises))
    assert shared  # every red flag that refers same day or more is one of them
    reaching = {
        (t.present, t.absent)
        for level in bt.Urgency
        if level is not bt.Urgency.NONE
        for t in when_urgency(default, level)
    }
    for trigger in shared:
        # A trigger that reaches an urgency is listed there (below same day, marked as stopping
        # every exercise); the others once, for every exercise.
        if (trigger.present, trigger.absent) in reaching:
            assert not listed(page, default, trigger, "withheld-for-everyone")
            wanted = fragments(default, attrs.evolve(trigger, rules=()))
            items = page.items_in(*URGENCIES)
            assert any(all(w in i for w in wanted) for i in items), trigger
        else:
            assert listed(page, default, trigger, "withheld-for-everyone")
        for exercise in default.exercises:
            assert not listed(page, default, trigger, f"exercise-{exercise.id}")


def test_a_lower_urgency_trigger_that_stops_every_exercise_is_marked_so(
    default: Protocol, page: Page
) -> None:
    shared = set.intersection(*(set(when_withheld(default, e.id)) for e in default.exercises))
    soon = {(t.present, t.absent) for t in when_urgency(default, bt.Urgency.SOON)}
    same_day = {(t.present, t.absent) for t in when_urgency(default, bt.Urgency.SAME_DAY)}
    stopping = [t for t in shared if (t.present, t.absent) in soon - same_day]
    assert stopping  # in the default protocol, red flags from soon stop exercise
    for trigger in stopping:
        wanted = [*fragments(default, attrs.evolve(trigger, rules=())), "stops every exercise"]
        items = page.items_in(*URGENCIES)
        assert any(all(w in i for w in wanted) for i in items), trigger


def test_no_exercise_repeats_a_trigger_that_reaches_same_day(default: Protocol, page: Page) -> None:
    for trigger in when_urgency(default, bt.Urgency.SAME_DAY):
        for exercise in default.exercises:
            assert not listed(page, default, trigger, f"exercise-{exercise.id}"), trigger


def test_every_caution_is_listed_with_each_set_of_answers_that_brings_it(
    default: Protocol, page: Page
) -> None:
    for exercise in default.exercises:
        items = page.items_in(f"exercise-{exercise.id}")
        for rule in default.rules:
            for action in rule.actions:
                if isinstance(action, Caution) and action.select.matches(exercise):
                    for trigger in triggers_of_rule(default, rule.id):
                        wanted = [*fragments(default, trigger), action.text]
                        assert any(all(w in i for w in wanted) for i in items), (rule.id, trigger)


def test_every_trigger_that_cautions_an_exercise_is_listed(default: Protocol, page: Page) -> None:
    for exercise in default.exercises:
        items = page.items_in(f"exercise-{exercise.id}")
        for trigger in when_cautioned(default, exercise.id):
            wanted = fragments(default, attrs.evolve(trigger, rules=()))
            assert any(all(w in i for w in wanted) for i in items), (exercise.id, trigger)


def test_every_trigger_of_every_urgency_is_listed_at_its_own_level_or_a_higher_one(
    default: Protocol, page: Page
) -> None:
    levels = [u for u in bt.Urgency if u is not bt.Urgency.NONE]
    for level in levels:
        at_or_above = [f"urgency-{u.value}" for u in levels if u >= level]
        for trigger in when_urgency(default, level):
            assert listed(page, default, trigger, *at_or_above), (level, trigger)


def test_a_trigger_is_said_in_the_questions_words_not_by_its_keys(
    default: Protocol, page: Page
) -> None:
    question = default.fact("prone_lying_painful").question
    assert question is not None
    (item,) = [i for i in page.items_in("exercise-prone_extension") if question in i]
    assert item.startswith(f"yes to “{question}”")
    # The key shows only inside the rule's id, never as the condition.
    assert "prone_lying_painful" not in item.replace("prone_lying_painful_no_prone_extension", "")


def test_a_derived_fact_is_described_and_implied_facts_are_not_repeated(page: Page) -> None:
    items = page.items_in("exercise-prone_extension")
    crippled = [i for i in items if "ODI very severe or worse (score above 60 %)" in i]
    assert crippled
    assert all("ODI severe or worse" not in i for i in crippled)


def test_a_capability_that_must_be_absent_is_said_as_not_yes(page: Page) -> None:
    part = page.part("exercise-double_knee_hug")
    capability = bt.default_protocol().fact("single_knee_hug_tolerated").question
    assert f"not yes to “{capability}”" in part


def test_every_rule_is_shown_with_its_reason_and_every_source_linked_to_its_citation(
    default: Protocol, page: Page
) -> None:
    citations = {s.tag: s.citation for s in default.sources}
    links = {a.get("href") for tag, a in page.tags if tag == "a"}
    for rule in default.rules:
        part = page.part(f"rule-{rule.id}")
        assert rule.reason in part
        for tag in (t.strip() for t in rule.source.split(",")):
            assert tag in part, (rule.id, tag)
            assert f"#source-{tag}" in links
            assert citations[tag] in page.part(f"source-{tag}")


def test_a_source_without_a_tag_is_shown_as_written(default: Protocol) -> None:
    rule = attrs.evolve(default.rules[0], source="S29, a letter from the spinal team")
    sheet = review_sheet(attrs.evolve(default, rules=(rule, *default.rules[1:])))
    part = Page(sheet).part(f"rule-{rule.id}")
    assert "a letter from the spinal team (cited as written" in part


def test_the_instrument_policies_show_odi_gaps_allowed_and_every_band(page: Page) -> None:
    part = page.part("instruments")
    assert "Required: every exercise is withheld until a scorable ODI is given" in part
    assert "up to 1 of the ten sections may be unanswered" in part
    for band in bt.DisabilityBand:
        assert band.label in part
    assert "above 40 to 60 %" in part


def test_the_check_result_says_there_is_no_problem(page: Page) -> None:
    assert "check() found no problem" in page.part("check")


def test_the_check_result_lists_every_problem_and_says_not_to_sign(default: Protocol) -> None:
    broken = attrs.evolve(
        default, rules=(attrs.evolve(default.rules[0], reason=""), *default.rules[1:])
    )
    part = Page(review_sheet(broken)).part("check")
    assert "check() found 1 problem(s)" in part
    assert "missing-reason" in part
    assert "do not sign it off" in part


def test_the_sign_off_block_has_lines_for_name_role_date_and_signature(page: Page) -> None:
    part = page.part("sign-off")
    for line in ("Name", "Role and registration", "Date", "Signature"):
        assert part.count(line) == 2  # the clinical reviewer and the clinical safety officer


def test_the_advice_for_each_urgency_and_the_safety_text_are_shown(
    default: Protocol, page: Page
) -> None:
    part = page.part("texts")
    for level in bt.Urgency:
        assert default.advice.for_urgency(level) in part
    assert default.safety in part


def test_every_line_of_the_safety_net_is_shown(default: Protocol, page: Page) -> None:
    net = default.safety_net
    part = page.part("texts")
    for line in (*net.emergency, *net.today, net.review):
        assert line in part


def test_the_sheet_shows_the_scope_the_safety_net_and_every_fixed_text(default: Protocol) -> None:
    page = Page(review_sheet(default))
    part = page.part("scope") + page.part("texts")
    for text in (
        default.scope.intended_use,
        default.scope.population,
        *default.scope.not_covered,
        *default.safety_net.emergency,
        *default.safety_net.today,
        default.safety_net.review,
        default.texts.disclaimer,
        default.texts.unanswered,
        *default.texts.self_management,
        *(default.texts.no_exercise_advice.for_urgency(level) for level in bt.Urgency),
    ):
        assert html.escape(text, quote=False) in part or text in part, text


def test_the_sheet_shows_a_rules_own_advice_and_a_follow_up_question(default: Protocol) -> None:
    rules = (attrs.evolve(default.rules[0], advice="Tell them it is your back."),)
    facts = (
        *default.facts,
        bt.Fact(
            "wound_warning",
            "finding",
            "risk",
            question="Is the wound red?",
            required=True,
            asked_if="recent_spine_surgery",
        ),
    )
    changed = attrs.evolve(default, rules=rules + default.rules[1:], facts=facts)
    page = Page(review_sheet(changed))
    assert "Tell them it is your back." in page.part("texts")
    assert "asked only after a yes to recent_spine_surgery" in page.part("questions")


def test_a_protocol_from_python_with_its_own_exercises_gets_a_sheet() -> None:
    protocol = bt.load_protocol(str(EXAMPLES / "custom_protocol.toml"))
    page = Page(review_sheet(protocol))
    for exercise in protocol.exercises:
        assert exercise.title in page.part(f"exercise-{exercise.id}")


@settings(max_examples=25)
@given(protocols(max_exercises=4, max_facts=6, max_rules=5))
def test_every_generated_protocol_gets_a_sheet_naming_every_exercise_and_rule(
    protocol: Protocol,
) -> None:
    page = Page(review_sheet(protocol))
    for exercise in protocol.exercises:
        assert exercise.title in page.part(f"exercise-{exercise.id}")
    for rule in protocol.rules:
        assert rule.reason in page.part(f"rule-{rule.id}")


def test_an_exercise_no_rule_touches_is_said_to_have_no_other_trigger() -> None:
    protocol = bt.load_protocol(str(EXAMPLES / "custom_protocol.toml"))
    extra = attrs.evolve(protocol.exercises[0], id="new_one", title="A new one", family="new")
    grown = attrs.evolve(protocol, exercises=(*protocol.exercises, extra))
    part = Page(review_sheet(grown)).part("exercise-new_one")
    assert "No other trigger" in part


# -- the sheet of a change ----------------------------------------------------------------------


def without_rule(protocol: Protocol, rule_id: str) -> Protocol:
    return attrs.evolve(
        protocol,
        version=f"{protocol.version}-next",
        rules=tuple(r for r in protocol.rules if r.id != rule_id),
    )


def test_a_sheet_without_a_previous_version_lists_no_changes(page: Page) -> None:
    assert "changes" not in page.by_id


def test_the_sheet_of_a_change_lists_a_less_safe_change_with_the_answers_that_show_it(
    default: Protocol,
) -> None:
    new = without_rule(default, "cannot_kneel")
    page = Page(review_sheet(new, previous=default))
    # The edit breaks a declared policy: compared all the same, and said so.
    assert (
        f"The new version {new.version} breaks 1 declared policy(ies) "
        "(policy 'cannot_kneel_nothing_kneeling'): backtriage refuses to use it."
    ) in page.part("changes")
    assert "1 change(s) make the protocol less safe" in page.part("changes")
    (item,) = page.items_in("changes-less-safe")
    assert "kneeling_extension" in item
    assert f"Shown by: yes to “{default.fact('cannot_kneel').question}”" in item
    assert page.part("changes-more-cautious").endswith("None.")


def test_the_sign_off_of_a_change_names_both_versions_by_hash(default: Protocol) -> None:
    new = without_rule(default, "cannot_kneel")
    part = Page(review_sheet(new, previous=default)).part("sign-off")
    assert protocol_hash(new) in part
    assert f"from version {default.version} (content hash {protocol_hash(default)})" in part


def test_the_sheet_of_a_change_that_only_withholds_more_says_nothing_is_less_safe(
    default: Protocol,
) -> None:
    old = without_rule(default, "cannot_kneel")
    page = Page(review_sheet(default, previous=old))
    assert f"The previous version {old.version} breaks 1 declared" in page.part("changes")
    assert "The new version" not in page.part("changes")
    assert "No change makes the protocol less safe" in page.part("changes")
    assert "kneeling_extension" in page.part("changes-more-cautious")


def test_the_sheet_of_a_change_shows_a_changed_text_before_and_after(default: Protocol) -> None:
    rule = default.rules[0]
    new = attrs.evolve(
        default, rules=(attrs.evolve(rule, reason="A new reason."), *default.rules[1:])
    )
    part = Page(review_sheet(new, previous=default)).part("changes-text-changes")
    assert f"rules.{rule.id}.reason {rule.reason} A new reason." in part


def test_the_changes_of_a_version_with_problems_are_not_worked_out(default: Protocol) -> None:
    broken = attrs.evolve(
        default, rules=(attrs.evolve(default.rules[0], reason=""), *default.rules[1:])
    )
    part = Page(review_sheet(broken, previous=default)).part("changes")
    assert "cannot be worked out while a version has problems" in part


def test_a_previous_version_that_is_not_a_protocol_is_refused_by_name(default: Protocol) -> None:
    with pytest.raises(bt.InvalidAnswerError, match="previous"):
        review_sheet(default, previous="1.0.0")  # type: ignore[arg-type]


def test_a_search_over_the_limit_raises_a_protocol_error_naming_the_limit(
    default: Protocol,
) -> None:
    with pytest.raises(bt.ProtocolError, match="limit="):
        review_sheet(default, limit=1)


def test_the_reviewing_guide_describes_every_part_of_the_sheet(sheet: str) -> None:
    guide = (Path(__file__).parent.parent.parent / "docs" / "reviewing-a-protocol.md").read_text(
        encoding="utf-8"
    )
    headings = re.findall(r"<h2>(.*?)</h2>", sheet)
    assert len(headings) >= 10
    for heading in headings:
        name = re.sub(r" \(\d+\)$", "", html.unescape(heading)).split(":")[0]
        assert f"**{name}**" in guide, name


def test_the_reviewing_guide_quotes_the_questions_of_the_default_protocol_as_it_is(
    default: Protocol, page: Page
) -> None:
    guide = (Path(__file__).parent.parent.parent / "docs" / "reviewing-a-protocol.md").read_text(
        encoding="utf-8"
    )
    asked = {f.question for f in default.facts if f.question}
    quoted = re.findall(r"“([^”]*\?)”", re.sub(r"\s+", " ", guide))
    assert len(quoted) >= 8
    assert sorted(set(quoted) - asked) == []
    # The worked block of the lying back arch lists what the sheet lists, in its order.
    block = re.search(r"the block of version (\S+) then lists.*?\n\n(.*?)\n\n", guide, re.S)
    assert block is not None
    assert block.group(1) == default.version
    listed = [line.removeprefix("- ") for line in block.group(2).splitlines()]
    shown = [
        re.sub(r" \(rule \w+\)$", "", item) for item in page.items_in("exercise-prone_extension")
    ]
    assert listed == shown[: len(listed)]


def clinic_with(facts: list[Fact], rules: list[Rule]) -> Protocol:
    clinic = bt.load_protocol(str(EXAMPLES / "custom_protocol.toml"))
    return attrs.evolve(clinic, facts=(*clinic.facts, *facts), rules=(*clinic.rules, *rules))


def caution_on(fact: str) -> Rule:
    return Rule(
        id=f"{fact}_caution",
        condition=FactIs(fact),
        actions=(Caution(Selector(ids=("knee_hug",)), f"Careful: {fact}."),),
        reason=f"Because of {fact}.",
        source="clinic",
    )


def derived(name: str, source: str, at_least: str) -> Fact:
    return Fact(name, "derived", "risk", derive=Derivation(source, at_least=at_least))


def test_every_kind_of_derived_fact_is_said_in_words() -> None:
    facts = [
        derived("odi_any", "odi_band", "minimal"),
        derived("odi_bed", "odi_band", "bed_bound"),
        derived("sb_any", "start_back_risk", "low"),
        derived("sb_medium", "start_back_risk", "medium"),
        derived("sb_high", "start_back_risk", "high"),
        derived("older", "age", "65"),
    ]
    protocol = clinic_with(facts, [caution_on(f.name) for f in facts])
    assert protocol.check() == ()
    part = Page(review_sheet(protocol)).part("exercise-knee_hug")
    for said in (
        "ODI scored (any band)",
        "ODI bed-bound (score above 80 %)",
        "STarT Back answered (any risk)",
        "STarT Back risk medium or higher",
        "STarT Back risk high (rule sb_high_caution)",
        "age 65 years or over",
    ):
        assert said in part, said


def test_a_fact_without_a_question_is_said_by_its_name() -> None:
    clinic = bt.load_protocol(str(EXAMPLES / "custom_protocol.toml"))
    facts = tuple(
        attrs.evolve(f, question=None) if f.kind in ("finding", "capability") else f
        for f in clinic.facts
    )
    page = Page(review_sheet(attrs.evolve(clinic, facts=facts)))
    assert "poor balance (no question text)" in page.part("exercise-long_walk")
    assert "not: short walk tolerated" in page.part("exercise-long_walk")


def test_a_protocol_with_an_undeclared_fact_and_a_bad_threshold_still_gets_a_sheet() -> None:
    broken = clinic_with(
        [derived("odd", "odi_band", "awful")],
        [caution_on("odd"), caution_on("nowhere")],
    )
    page = Page(review_sheet(broken))
    assert "unknown-fact" in page.part("check")
    assert "odi_band at least awful (not a valid threshold)" in page.part("rule-odd_caution")
    assert "nowhere (not declared by this protocol)" in page.part("rule-nowhere_caution")


def test_a_question_made_optional_is_shown_by_an_assessment_that_leaves_it_unanswered() -> None:
    clinic = bt.load_protocol(str(EXAMPLES / "custom_protocol.toml"))
    old = attrs.evolve(clinic, require_odi=True)
    page = Page(review_sheet(clinic, previous=old))
    (item,) = page.items_in("changes-less-safe")
    assert "'odi' is no longer required" in item
    assert "Shown by: left unanswered: the ODI." in item


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.faults.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_every_element_of_the_sheet_is_closed_where_it_was_opened(default: Protocol) -> None:
    new = without_rule(default, "cannot_kneel")
    for sheet in (review_sheet(default), review_sheet(new, previous=default)):
        parser = _Balance()
        parser.feed(sheet)
        parser.close()
        assert parser.faults == []
        assert parser.stack == []
