"""The review sheet: one self-contained HTML page a clinician reads and signs.

The page holds everything a reviewer needs to sign a protocol off without reading TOML: its
identity (name, version and a content hash), the result of ``check()``, every question, the
instrument policies, the catalogue, and for each exercise and each urgency level the exact,
minimal sets of answers that produce it, in words. It loads nothing (no script, no style sheet,
no font, no image from elsewhere) and prints to PDF with the browser's print dialog.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence

import attrs

from backtriage._facts import derive_facts
from backtriage._plan import QuestionKind, questions
from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError
from backtriage.instruments.odi import DisabilityBand
from backtriage.instruments.start_back import StartBackRisk
from backtriage.protocol._digest import protocol_hash
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import AGE_INPUT, ODI_INPUT, START_BACK_INPUT, threshold_of
from backtriage.protocol._model import (
    Action,
    AllOf,
    AnyOf,
    Caution,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    Exercise,
    FactIs,
    FactKind,
    Protocol,
    Refer,
    Rule,
    Selector,
    Urgency,
)
from backtriage.protocol._queries import (
    DEFAULT_LIMIT,
    Trigger,
    triggers_of_rule,
    triggers_urgency,
    triggers_withheld,
)
from backtriage.protocol._reasoner import RULE_PREREQUISITE, RULE_URGENCY, space_of
from backtriage.review._diff import Change, diff, policy_failures, unreliable_problems

__all__ = ["protocol_hash", "review_sheet"]

_ENGINE_RULES = {
    RULE_URGENCY: "engine invariant: a same-day or emergency urgency withholds every exercise",
    RULE_PREREQUISITE: "engine invariant: an exercise waits until its prerequisites are met",
}
_URGENCY_WORDS = {
    Urgency.NONE: "none",
    Urgency.ROUTINE: "routine",
    Urgency.SOON: "soon (within about two weeks)",
    Urgency.SAME_DAY: "same day",
    Urgency.EMERGENCY: "emergency",
}
_INPUT_WORDS = {
    ODI_INPUT: "the ODI",
    START_BACK_INPUT: "the STarT Back answers",
    AGE_INPUT: "the age",
}
_KIND_WORDS = {
    QuestionKind.RED_FLAG: "red flag",
    QuestionKind.INSTRUMENT: "questionnaire",
    QuestionKind.DETAIL: "about the person",
    QuestionKind.FINDING: "finding",
    QuestionKind.CAPABILITY: "capability",
}


def review_sheet(
    protocol: Protocol, *, previous: Protocol | None = None, limit: int = DEFAULT_LIMIT
) -> str:
    """Return the review sheet of ``protocol``: one self-contained HTML page.

    The page names the protocol, its version and :func:`protocol_hash`; shows the result of
    ``protocol.check()``, every question (required or not), the instrument policies, the
    exercise catalogue, the minimal answer sets that withhold or caution each exercise and that
    reach each urgency (in the questions' own words), every rule with its reason and its
    sources, and a sign-off block. Every text from the protocol is escaped.

    With ``previous`` (the version in use), the sheet also lists what ``protocol`` changes
    (:func:`backtriage.review.diff`), less safe first, each change with the answers that show
    it, and the sign-off covers the change. A version that breaks a declared policy is
    compared all the same, and the sheet says so; one with any other problem is not.

    Raises :class:`~backtriage.InvalidAnswerError` when ``protocol`` or ``previous`` is not a
    :class:`~backtriage.Protocol`, and :class:`~backtriage.ProtocolError` when the queries
    need more than ``limit`` sets of facts (pass a larger ``limit`` to compute them anyway).

    >>> Path("review.html").write_text(review_sheet(default_protocol()))  # doctest: +SKIP
    """
    digest = protocol_hash(protocol)
    if previous is not None and not isinstance(previous, Protocol):
        raise InvalidAnswerError("previous", previous, "a Protocol (the version in use), or None")
    words = _Words(protocol, limit)
    body = [
        *_header(protocol, digest),
        *_check_section(protocol),
        *(_changes_section(previous, protocol, words) if previous is not None else ()),
        *_how_to_read(),
        *_urgency_section(protocol, words),
        *_exercise_section(protocol, words),
        *_questions_section(protocol),
        *_instruments_section(protocol, words),
        *_rules_section(protocol, words),
        *_advice_section(protocol, words),
        *_follow_up_section(protocol, words),
        *_sources_section(protocol),
        *_signoff(protocol, digest, previous),
    ]
    title = f"Review sheet: {protocol.name} {protocol.version}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            # Nothing may be fetched: no script, no image, no font, no style sheet from elsewhere.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- words --------------------------------------------------------------------------------------


class _Words:
    """Say facts, triggers, conditions, selectors and sources of one protocol in words."""

    def __init__(self, protocol: Protocol, limit: int) -> None:
        self.protocol = protocol
        self.limit = limit
        self.facts = engine_of(protocol).fact_by_name
        self.order = {fact.name: i for i, fact in enumerate(protocol.facts)}
        self.sources = {source.tag: source.citation for source in protocol.sources}
        self.rule_ids = {rule.id for rule in protocol.rules}

    def fact(self, name: str) -> str:
        """Say that the fact ``name`` holds."""
        fact = self.facts.get(name)
        if fact is None:
            return f"{name} (not declared by this protocol)"
        if fact.kind is FactKind.DERIVED and fact.derive is not None:
            return _derived_words(fact.derive)
        if fact.question:
            return f"yes to “{fact.question}”"
        return f"{name.replace('_', ' ')} (no question text)"

    def unanswered(self, name: str) -> str:
        """Name the input ``name`` of ``Plan.missing`` (a question or an instrument)."""
        fact = self.facts.get(name)
        if fact is not None and fact.question:
            return f"“{fact.question}”"
        return _INPUT_WORDS.get(name, name)

    def not_fact(self, name: str) -> str:
        """Say that the capability ``name`` is not given."""
        fact = self.facts.get(name)
        if fact is not None and fact.question:
            return f"not yes to “{fact.question}”"
        return f"not: {name.replace('_', ' ')}"

    def shown(self, present: Iterable[str]) -> list[str]:
        """Return ``present`` in protocol order, without derived facts implied by another."""
        present = list(present)
        space = space_of(self.protocol)
        atoms = space.fact_atoms[0]
        on = 0
        for name in present:
            on |= atoms.get(name, 0)
        strongest = space.strongest(on)
        # Only a derived fact is left out: a question answered yes is said even when a
        # follow-up question's yes implies it.
        shown = [
            name
            for name in present
            if not atoms.get(name, 0) & ~strongest
            or (fact := self.facts.get(name)) is None
            or fact.derive is None
        ]
        return sorted(shown, key=lambda n: (self.order.get(n, len(self.order)), n))

    def trigger(self, trigger: Trigger) -> str:
        """Return one trigger as HTML: its conditions joined by "and", then its rules."""
        parts = [
            f'<span class="fact">{_e(self.fact(n))}</span>' for n in self.shown(trigger.present)
        ]
        parts.extend(
            f'<span class="fact absent">{_e(self.not_fact(n))}</span>'
            for n in sorted(trigger.absent, key=lambda n: (self.order.get(n, 0), n))
        )
        when = ' <span class="and">and</span> '.join(parts) or "always"
        return f'{when} <span class="by">({self.rules(trigger.rules)})</span>'

    def rules(self, rules: Sequence[str]) -> str:
        """Return links to ``rules``, engine invariants in words."""
        links = []
        for rule in rules:
            if rule in _ENGINE_RULES:
                links.append(_e(_ENGINE_RULES[rule]))
            elif rule in self.rule_ids:
                links.append(f'rule <a href="#rule-{_e(rule)}"><code>{_e(rule)}</code></a>')
            else:
                links.append(f"<code>{_e(rule)}</code>")
        return "; ".join(links)

    def condition(self, condition: Condition) -> str:
        """Return ``condition`` as HTML, nested lists for nested conditions."""
        if isinstance(condition, FactIs):
            return f'<span class="fact">{_e(self.fact(condition.fact))}</span>'
        if isinstance(condition, AllOf):
            head = "all of these"
        elif isinstance(condition, AnyOf):
            head = "any of these"
        else:
            head = f"at least {condition.n} of these"
        items = "".join(f"<li>{self.condition(c)}</li>" for c in condition.conditions)
        return f"{head}:<ul>{items}</ul>"

    def selection(self, selector: Selector) -> str:
        """Return the exercises ``selector`` selects, by title, and how it selects them."""
        chosen = [e for e in self.protocol.exercises if selector.matches(e)]
        titles = ", ".join(e.title for e in chosen) or "no exercise"
        how = _selector_words(selector)
        return f'{_e(titles)} <span class="by">({_e(how)})</span>'

    def action(self, action: Action) -> str:
        """Return one action in words."""
        if isinstance(action, Refer):
            return f"Refer: at least <strong>{_e(_URGENCY_WORDS[action.urgency])}</strong>"
        if isinstance(action, Exclude):
            return f"Withhold: {self.selection(action.select)}"
        return f"Caution on {self.selection(action.select)}: “{_e(action.text)}”"

    def source(self, source: str) -> list[str]:
        """Return ``source`` with each tag resolved to its citation."""
        cited = []
        for part in source.split(","):
            tag = part.strip()
            if not tag:
                continue
            if tag in self.sources:
                cited.append(f"[{tag}] {self.sources[tag]}")
            else:
                cited.append(f"{tag} (cited as written: no source has this tag)")
        return cited or [source]


def _derived_words(derive: Derivation) -> str:
    """Say what a derived fact means, e.g. "ODI severe or worse (score above 40 %)"."""
    source = derive.source
    if source is DerivedFrom.PREFERENCE:
        return f"directional preference {derive.equals}"
    least = threshold_of(derive)
    if least is None:
        return f"{source.value} at least {derive.at_least} (not a valid threshold)"
    if source is DerivedFrom.AGE:
        return f"age {least} years or over"
    if source is DerivedFrom.ODI_BAND:
        band = list(DisabilityBand)[least]
        if least == 0:
            return "ODI scored (any band)"
        name = band.label.removesuffix(" disability").lower()
        tail = "" if band is list(DisabilityBand)[-1] else " or worse"
        return f"ODI {name}{tail} (score above {20 * least} %)"
    risk = list(StartBackRisk)[least]
    if least == 0:
        return "STarT Back answered (any risk)"
    tail = "" if risk is list(StartBackRisk)[-1] else " or higher"
    return f"STarT Back risk {risk.value}{tail}"


def _selector_words(selector: Selector) -> str:
    parts = []
    if selector.all:
        parts.append("every exercise")
    if selector.all_except_in_bed:
        parts.append("every exercise that cannot be done in bed")
    for label, values in (
        ("exercises", selector.ids),
        ("families", selector.families),
        ("movements", selector.movements),
        ("positions", selector.positions),
        ("levels", tuple(str(level) for level in selector.levels)),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if selector.min_level is not None:
        parts.append(f"level {selector.min_level} or above")
    return "; ".join(parts) or "nothing"


# -- sections -----------------------------------------------------------------------------------


def _header(protocol: Protocol, digest: str) -> Iterator[str]:
    from backtriage._version import __version__

    yield "<header>"
    yield f"<h1>Review sheet: {_e(protocol.name)}</h1>"
    yield '<table class="identity">'
    yield f"<tr><th>Protocol</th><td>{_e(protocol.name)}</td></tr>"
    yield f"<tr><th>Version</th><td>{_e(protocol.version)}</td></tr>"
    yield (
        f'<tr><th>Content hash (SHA-256)</th><td><code class="hash">{_e(digest)}</code></td></tr>'
    )
    if protocol.description:
        yield f"<tr><th>Description</th><td>{_e(protocol.description)}</td></tr>"
    yield f"<tr><th>Made with</th><td>backtriage {_e(__version__)}</td></tr>"
    yield "</table>"
    yield (
        '<p class="note">The hash is the SHA-256 of the protocol\'s canonical JSON (<code>to_json'
        "</code> with sorted keys). Any change to the protocol, even to one word, changes it: "
        "a signature below covers this hash only.</p>"
    )
    yield "</header>"


_CHANGE_GROUPS = (
    ("less_safe", "Less safe: each needs a clinician's explicit approval"),
    ("more_cautious", "More cautious"),
    ("text_changes", "Text changes"),
    ("definition_changes", "Definition changes (what they do to people is listed above)"),
)


def _changes_section(previous: Protocol, protocol: Protocol, words: _Words) -> Iterator[str]:
    yield '<section id="changes">'
    yield (f"<h2>Changes from version {_e(previous.version)} of {_e(previous.name)}</h2>")
    broken = [p for p in (previous, protocol) if unreliable_problems(p)]
    if broken:
        yield (
            '<p class="bad">The changes cannot be worked out while a version has problems '
            "other than a declared policy that does not hold "
            f"({_e(', '.join(p.version for p in broken))}): fix them first.</p>"
        )
        yield "</section>"
        return
    for label, version in (("previous", previous), ("new", protocol)):
        failures = policy_failures(version)
        if failures:
            # Compared all the same: what such an edit does is what the reviewer must see.
            names = ", ".join(f.where for f in failures)
            yield (
                f'<p class="bad">The {label} version {_e(version.version)} breaks '
                f"{len(failures)} declared policy(ies) ({_e(names)}): backtriage refuses to "
                "use it. The changes below show what its rules do all the same.</p>"
            )
    changes = diff(previous, protocol, limit=words.limit)
    verdict = (
        f'<p class="bad">{len(changes.less_safe)} change(s) make the protocol less safe for '
        "some answers: approve each one explicitly, or do not sign.</p>"
        if changes.is_less_safe
        else '<p class="ok">No change makes the protocol less safe for any answers.</p>'
    )
    yield verdict
    yield (
        f'<p class="note">Previous version: content hash <code class="hash">'
        f"{_e(protocol_hash(previous))}</code>. Each change holds for the answers shown "
        "(every other answer no); <code>backtriage protocol diff --json</code> gives them as "
        "assessments to run.</p>"
    )
    old_words = _Words(previous, words.limit)
    for group, heading in _CHANGE_GROUPS:
        found: tuple[Change, ...] = getattr(changes, group)
        yield f'<div class="changes" id="changes-{group.replace("_", "-")}">'
        yield f"<h3>{_e(heading)} ({len(found)})</h3>"
        if not found:
            yield "<p>None.</p>"
        elif group in ("text_changes", "definition_changes"):
            yield "<table><tr><th>What</th><th>Was</th><th>Is now</th></tr>"
            for change in found:
                yield (
                    f"<tr><td>{_e(change.field or change.description)}</td>"
                    f"<td>{_e(change.old_text or '—')}"
                    f"</td><td>{_e(change.new_text or '—')}</td></tr>"
                )
            yield "</table>"
        else:
            items = "".join(
                f"<li>{_e(change.description)}{_witness(change, words, old_words)}</li>"
                for change in found
            )
            yield f"<ol>{items}</ol>"
        yield "</div>"
    yield "</section>"


def _witness(change: Change, words: _Words, old_words: _Words) -> str:
    """Say the answers that show ``change``, in the questions' words of either version."""
    said: dict[str, str] = {}
    unanswered: dict[str, str] = {}
    for witness, version in ((change.old_witness, old_words), (change.new_witness, words)):
        if witness is None:
            continue
        facts, missing = derive_facts(witness, version.protocol)
        for name in version.shown(facts):
            said.setdefault(name, version.fact(name))
        for name in missing:
            unanswered.setdefault(name, version.unanswered(name))
    if not said and not unanswered:
        return '<div class="witness">Shown by: every answer no.</div>'
    parts = list(said.values())
    if unanswered:
        parts.append("left unanswered: " + ", ".join(unanswered.values()))
    return f'<div class="witness">Shown by: {_e("; ".join(parts))}.</div>'


def _how_to_read() -> Iterator[str]:
    yield '<section id="how-to-read">'
    yield "<h2>How to read this sheet</h2>"
    yield (
        "<p>The rules of a protocol have no “not”: more risk can only take exercises away and "
        "raise the urgency. So every outcome below is listed exactly, as the smallest sets of "
        "answers that produce it (<em>triggers</em>). A trigger holds when every part of it "
        "holds; the outcome happens when any one of its triggers holds, whatever else is "
        "answered, and never otherwise. Each trigger names the rules that produce it.</p>"
    )
    yield "<p>Whatever the protocol says, the engine always:</p><ul>"
    yield (
        "<li>withholds every exercise while a required question is unanswered (an unanswered "
        "red flag is never taken as “no”), and asks for it;</li>"
    )
    yield "<li>withholds every exercise at a same-day or emergency urgency;</li>"
    yield "<li>withholds an exercise until its prerequisites are met;</li>"
    yield (
        "<li>gives every withheld exercise at least one reason, with its rule and source, "
        "and the same plan for the same answers.</li></ul>"
    )
    yield "</section>"


def _check_section(protocol: Protocol) -> Iterator[str]:
    problems = protocol.check()
    yield '<section id="check">'
    yield "<h2>Static check</h2>"
    if not problems:
        yield (
            '<p class="ok">check() found no problem: every name is declared, every rule can '
            "fire, every exercise can be given to someone, and more risk never gives more "
            "exercises.</p>"
        )
    else:
        yield (
            f'<p class="bad">check() found {len(problems)} problem(s). backtriage refuses to '
            "use this protocol until they are fixed: do not sign it off.</p>"
        )
        yield "<table><tr><th>Code</th><th>Where</th><th>Problem</th><th>Fix</th></tr>"
        for problem in problems:
            yield (
                f"<tr><td><code>{_e(problem.code)}</code></td><td>{_e(problem.where)}</td>"
                f"<td>{_e(problem.message)}</td><td>{_e(problem.fix)}</td></tr>"
            )
        yield "</table>"
    yield "</section>"


def _trigger_list(words: _Words, triggers: Iterable[Trigger], css: str = "triggers") -> str:
    items = "".join(f"<li>{words.trigger(t)}</li>" for t in triggers)
    return f'<ol class="{css}">{items}</ol>'


def _urgency_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    yield '<section id="urgency">'
    yield "<h2>When each urgency is reached</h2>"
    yield (
        "<p>Most urgent first. Each level lists the triggers that reach it and no higher "
        "level; every trigger of a more urgent level reaches it too. With none of the triggers "
        "below, the urgency is <strong>none</strong>.</p>"
    )
    higher: set[Trigger] = set()
    for level in sorted(Urgency, key=lambda u: u.rank, reverse=True):
        if level is Urgency.NONE:
            continue
        triggers = triggers_urgency(protocol, level, limit=words.limit)
        own = [t for t in triggers if t not in higher]
        higher.update(triggers)
        yield f'<div class="level" id="urgency-{_e(level.value)}">'
        yield f"<h3>{_e(_URGENCY_WORDS[level].capitalize())}</h3>"
        advice = protocol.advice.for_urgency(level)
        if advice:
            yield f'<p class="advice">Advice shown: “{_e(advice)}”</p>'
        if own:
            yield f"<p>Reached when any of these holds ({len(own)}):</p>"
            yield _trigger_list(words, own)
        else:
            yield "<p>No answers reach this level and no higher one.</p>"
        yield "</div>"
    yield "</section>"


def _exercise_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    exercises = engine_of(protocol).exercise_by_id
    withheld = {eid: triggers_withheld(protocol, eid, limit=words.limit) for eid in exercises}
    everyone: set[Trigger] = set()
    if len(withheld) > 1:
        everyone = set.intersection(*(set(t) for t in withheld.values()))
    yield '<section id="exercises">'
    yield "<h2>Exercises: the catalogue, and when each is withheld or cautioned</h2>"
    yield (
        '<table class="catalogue"><tr><th>Exercise</th><th>Movement</th><th>Position</th>'
        "<th>Level</th><th>In bed</th><th>Needs first</th></tr>"
    )
    for exercise in exercises.values():
        needs = ", ".join(words.fact(p).removeprefix("yes to ") for p in exercise.prerequisites)
        yield (
            f'<tr><td><a href="#exercise-{_e(exercise.id)}">{_e(exercise.title)}</a>'
            f" <code>{_e(exercise.id)}</code></td><td>{_e(exercise.movement.value)}</td>"
            f"<td>{_e(exercise.position.value)}</td><td>{exercise.level}</td>"
            f"<td>{'yes' if exercise.in_bed else 'no'}</td><td>{_e(needs) or '—'}</td></tr>"
        )
    yield "</table>"
    if everyone:
        shared = [t for t in withheld[next(iter(exercises))] if t in everyone]
        yield '<div class="shared" id="withheld-for-everyone">'
        yield "<h3>Every exercise is withheld when</h3>"
        yield (
            f"<p>any of these {len(shared)} triggers holds (they are not repeated under each "
            "exercise below):</p>"
        )
        yield _trigger_list(words, shared)
        yield "</div>"
    for exercise in exercises.values():
        yield from _exercise(protocol, words, exercise, withheld[exercise.id], everyone)
    yield "</section>"


def _exercise(
    protocol: Protocol,
    words: _Words,
    exercise: Exercise,
    withheld: Sequence[Trigger],
    everyone: set[Trigger],
) -> Iterator[str]:
    yield f'<article class="exercise" id="exercise-{_e(exercise.id)}">'
    yield f"<h3>{_e(exercise.title)} <code>{_e(exercise.id)}</code></h3>"
    yield (
        f'<p class="meta">Family {_e(exercise.family)}; {_e(exercise.movement.value)}, '
        f"{_e(exercise.position.value)}, level {exercise.level}; "
        f"{'can' if exercise.in_bed else 'cannot'} be done in bed.</p>"
    )
    yield f"<p><strong>How:</strong> {_e(exercise.instructions)}</p>"
    if exercise.steps:
        # The steps a follow-up moves the exercise along, gentlest first.
        yield "<p><strong>How much, step by step</strong> (a follow-up moves one step at a time):</p>"
        for number, step in enumerate(exercise.steps, 1):
            yield f'<p class="step">Step {number}: {_e(step)}</p>'
    else:
        yield f"<p><strong>How much:</strong> {_e(exercise.dosage)}</p>"
    own = [t for t in withheld if t not in everyone]
    extra = " (besides the triggers that withhold every exercise, above)" if everyone else ""
    yield f"<h4>Withheld when{_e(extra)}</h4>"
    yield _trigger_list(words, own) if own else "<p>No other trigger.</p>"
    # Each caution with the exact answers under which its rule fires: the minimal sets of
    # "some caution applies" would hide a second caution whose answers imply the first's.
    cautions = _caution_texts(protocol, exercise)
    yield "<h4>Given with a caution when</h4>"
    if protocol.safety:
        yield f"<p>Always: “{_e(protocol.safety)}”</p>"
    items = [
        f"<li>{words.trigger(trigger)}"
        + "".join(f'<div class="caution">“{_e(text)}”</div>' for text in texts)
        + "</li>"
        for rule_id, texts in cautions.items()
        for trigger in triggers_of_rule(protocol, rule_id, limit=words.limit)
    ]
    if items:
        yield f'<ol class="triggers">{"".join(items)}</ol>'
    elif not protocol.safety:
        yield "<p>Never.</p>"
    yield "</article>"


def _caution_texts(protocol: Protocol, exercise: Exercise) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for rule in protocol.rules:
        for action in rule.actions:
            if isinstance(action, Caution) and action.select.matches(exercise):
                texts.setdefault(rule.id, []).append(action.text)
    return texts


def _questions_section(protocol: Protocol) -> Iterator[str]:
    yield '<section id="questions">'
    yield "<h2>Questions</h2>"
    yield (
        "<p>What an app asks, in this order. A required question must be answered before any "
        "exercise is given; an optional one left unanswered counts as “no”.</p>"
    )
    yield ("<table><tr><th>Question</th><th>Kind</th><th>Required</th><th>Key</th></tr>")
    for question in questions(protocol):
        required = "<strong>required</strong>" if question.required else "optional"
        if question.asked_if is not None:
            required += (
                f", asked only after a yes to <code>{_e(question.asked_if)}</code> (a yes "
                "while that is no is refused)"
            )
        yield (
            f"<tr><td>{_e(question.text)}</td><td>{_e(_KIND_WORDS[question.kind])}</td>"
            f"<td>{required}</td><td><code>{_e(question.key)}</code></td></tr>"
        )
    yield "</table>"
    yield "</section>"


def _instruments_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    allowed = attrs.fields(Assessment).odi_max_missing.default
    derived = [f for f in protocol.facts if f.kind is FactKind.DERIVED and f.derive is not None]
    yield '<section id="instruments">'
    yield "<h2>Instrument policies</h2>"
    yield "<h3>Oswestry Disability Index (ODI)</h3><ul>"
    yield (
        "<li>"
        + (
            "<strong>Required</strong>: every exercise is withheld until a scorable ODI is given."
            if protocol.require_odi
            else "Optional: a protocol rule on an ODI band does not fire while no ODI is given."
        )
        + "</li>"
    )
    yield (
        f"<li>Missing answers: up to {allowed} of the ten sections may be unanswered (an app "
        "may set another limit per assessment, <code>odi_max_missing</code>); the score is then "
        "the share of the answered sections. With more unanswered, the ODI cannot be scored "
        "and counts as missing, required or not: every exercise is withheld until it is "
        "answered.</li>"
    )
    yield "</ul>"
    yield ("<table><tr><th>Band</th><th>Score</th><th>Meaning</th><th>Facts that hold</th></tr>")
    odi_facts = [
        (f.name, least)
        for f in derived
        if f.derive is not None
        and f.derive.source is DerivedFrom.ODI_BAND
        and (least := threshold_of(f.derive)) is not None
    ]
    for band in DisabilityBand:
        low = 20 * band.rank
        score = f"0 to {band.upper_bound} %" if low == 0 else f"above {low} to {band.upper_bound} %"
        holds = [words.fact(name) for name, least in odi_facts if least <= band.rank]
        yield (
            f"<tr><td>{_e(band.label)} <code>{_e(band.value)}</code></td><td>{_e(score)}</td>"
            f"<td>{_e(band.description)}</td><td>{_e('; '.join(holds)) or '—'}</td></tr>"
        )
    yield "</table>"
    for label, required, source in (
        ("STarT Back Screening Tool", protocol.require_start_back, DerivedFrom.START_BACK_RISK),
        ("Age", protocol.require_age, DerivedFrom.AGE),
        ("Directional preference", False, DerivedFrom.PREFERENCE),
    ):
        used = [f for f in derived if f.derive is not None and f.derive.source is source]
        if not used and not required:
            continue
        yield f"<h3>{_e(label)}</h3><ul>"
        yield (
            "<li><strong>Required</strong>: every exercise is withheld until it is given.</li>"
            if required
            else "<li>Optional: while it is not given, no fact below holds.</li>"
        )
        yield from (
            f"<li>Fact <code>{_e(f.name)}</code>: {_e(words.fact(f.name))}</li>" for f in used
        )
        yield "</ul>"
    yield "</section>"


def _rules_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    yield '<section id="rules">'
    yield f"<h2>Rules ({len(protocol.rules)})</h2>"
    yield "<p>In the order they are written; the audit trail of a plan lists them in this order.</p>"
    yield (
        '<table class="rules"><tr><th>Rule</th><th>When</th><th>Then</th>'
        "<th>Reason and sources</th></tr>"
    )
    yield from (_rule(rule, words) for rule in protocol.rules)
    yield "</table>"
    yield "</section>"


def _rule(rule: Rule, words: _Words) -> str:
    actions = "".join(f"<li>{words.action(a)}</li>" for a in rule.actions)
    cited = "".join(f"<li>{_e(c)}</li>" for c in words.source(rule.source))
    return (
        f'<tr id="rule-{_e(rule.id)}"><td><code class="id">{_e(rule.id)}</code></td>'
        f"<td>{words.condition(rule.condition)}</td><td><ul>{actions}</ul></td>"
        f'<td>{_e(rule.reason)}<ul class="sources">{cited}</ul></td></tr>'
    )


def _advice_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    yield '<section id="advice">'
    yield "<h2>What the person is told</h2>"
    yield from _scope(protocol, words)
    yield "<table><tr><th>Urgency</th><th>Advice</th><th>Without exercises</th></tr>"
    for level in Urgency:
        text = protocol.advice.for_urgency(level) or "(none written)"
        plain = protocol.texts.no_exercise_advice.for_urgency(level) or "(none written)"
        yield (
            f"<tr><td>{_e(_URGENCY_WORDS[level])}</td><td>{_e(text)}</td><td>{_e(plain)}</td></tr>"
        )
    yield "</table>"
    own = [rule for rule in protocol.rules if rule.advice is not None]
    if own:
        yield (
            "<p><strong>A rule's own advice</strong>, instead of the above when the rule sets "
            "the plan's urgency (the first in this order wins):</p><ul>"
        )
        yield from (
            f'<li><a href="#rule-{_e(r.id)}"><code>{_e(r.id)}</code></a>: “{_e(r.advice or "")}”'
            "</li>"
            for r in own
        )
        yield "</ul>"
    if protocol.safety:
        cited = "; ".join(words.source(protocol.safety_source or protocol.name))
        yield (
            f"<p><strong>With every exercise given:</strong> “{_e(protocol.safety)}” "
            f'<span class="by">({_e(cited)})</span></p>'
        )
    yield from _safety_net(protocol, words)
    yield from _fixed_texts(protocol)
    yield "</section>"


def _scope(protocol: Protocol, words: _Words) -> Iterator[str]:
    scope = protocol.scope
    yield '<div id="scope"><h3>Scope</h3>'
    yield f"<p><strong>For:</strong> {_e(scope.intended_use)}</p>"
    yield f"<p><strong>Who:</strong> {_e(scope.population)}</p>"
    if scope.not_covered:
        listed = "".join(f"<li>{_e(line)}</li>" for line in scope.not_covered)
        yield f"<p><strong>Not covered:</strong></p><ul>{listed}</ul>"
    if scope.min_age is not None:
        bands = "".join(
            f"<li>younger than {band.below}: {_e(_URGENCY_WORDS[band.urgency])}"
            + (f" — “{_e(band.advice)}”" if band.advice else "")
            + "</li>"
            for band in scope.under_age
        )
        yield (
            f"<p><strong>Below age {scope.min_age}</strong> no exercise is given, only the red "
            f"flags are asked, and the person is referred at least:</p><ul>{bands}</ul>"
        )
    if scope.source:
        yield f'<p class="by">({_e("; ".join(words.source(scope.source)))})</p>'
    yield "</div>"


def _safety_net(protocol: Protocol, words: _Words) -> Iterator[str]:
    net = protocol.safety_net
    texts = protocol.texts
    yield '<div id="safety-net"><h3>Safety net, with every plan but an emergency</h3>'
    for heading, signs in (
        (texts.emergency_heading, net.emergency),
        (texts.today_heading, net.today),
    ):
        listed = "".join(f"<li>{_e(sign)}</li>" for sign in signs)
        yield f"<p>{_e(heading)}</p><ul>{listed}</ul>"
    yield f"<p>{_e(net.review)}</p>"
    if net.source:
        yield f'<p class="by">({_e("; ".join(words.source(net.source)))})</p>'
    yield "</div>"


def _fixed_texts(protocol: Protocol) -> Iterator[str]:
    yield '<div id="texts"><h3>Every other text the person reads</h3>'
    yield "<table><tr><th>Text</th><th>Wording</th></tr>"
    for field in attrs.fields(type(protocol.texts)):
        value = getattr(protocol.texts, field.name)
        if isinstance(value, str):
            shown = _e(value)
        elif isinstance(value, tuple):
            shown = "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in value) + "</ul>"
        else:
            continue  # the advice without exercises, in the table above
        yield f"<tr><td><code>{_e(field.name)}</code></td><td>{shown}</td></tr>"
    yield "</table></div>"


def _follow_up_section(protocol: Protocol, words: _Words) -> Iterator[str]:
    rules = protocol.follow_up
    yield '<section id="follow-up">'
    yield "<h2>Follow-up: how each exercise builds up</h2>"
    if rules is None:
        yield "<p>This protocol has no follow-up: its plans cannot be followed up.</p>"
        yield "</section>"
        return
    cited = "; ".join(words.source(rules.source)) if rules.source else ""
    yield (
        "<p>At each check-in, per exercise, by the pain during it (0 to 10) and the next "
        "morning compared with before"
        + (f' <span class="by">({_e(cited)})</span>' if cited else "")
        + ":</p>"
    )
    yield "<table><tr><th>Pain during it</th><th>Next morning</th><th>Then</th></tr>"
    rows = (
        (f"0 to {rules.green_max}", "better or the same", "one step up (never past the last)"),
        (f"{rules.green_max + 1} to {rules.amber_max}", "better or the same", "the same step"),
        (
            f"above {rules.amber_max}, or any",
            "worse (for any pain)",
            "one step down; at the first step, stopped for one check-in",
        ),
        ("not done or not reported", "", "the same step"),
    )
    for pain, morning, then in rows:
        yield f"<tr><td>{_e(pain)}</td><td>{_e(morning)}</td><td>{_e(then)}</td></tr>"
    yield "</table>"
    yield (
        f'<p class="meta">Pain limits: green_max = {rules.green_max}, '
        f"amber_max = {rules.amber_max}.</p>"
    )
    yield "<table><tr><th>Text</th><th>What the person reads</th></tr>"
    for name, text in rules.texts():
        yield f"<tr><td><code>{_e(name)}</code></td><td>{_e(text)}</td></tr>"
    yield "</table>"
    yield "</section>"


def _sources_section(protocol: Protocol) -> Iterator[str]:
    yield '<section id="sources">'
    yield "<h2>Sources</h2>"
    if protocol.sources:
        yield "<table><tr><th>Tag</th><th>Citation</th></tr>"
        for source in protocol.sources:
            yield f"<tr><td><code>{_e(source.tag)}</code></td><td>{_e(source.citation)}</td></tr>"
        yield "</table>"
    else:
        yield "<p>The protocol lists no sources: each rule's source is shown as written.</p>"
    yield "</section>"


def _signoff(protocol: Protocol, digest: str, previous: Protocol | None) -> Iterator[str]:
    yield '<section id="sign-off" class="signoff">'
    yield "<h2>Sign-off</h2>"
    change = (
        ""
        if previous is None
        else f", and every change from version <strong>{_e(previous.version)}</strong> (content "
        f'hash <code class="hash">{_e(protocol_hash(previous))}</code>) listed under “Changes”'
    )
    yield (
        f"<p>I have reviewed protocol <strong>{_e(protocol.name)}</strong> version "
        f'<strong>{_e(protocol.version)}</strong>, content hash <code class="hash">'
        f"{_e(digest)}</code>, as shown on this sheet{change}, and approve its use.</p>"
    )
    for role in ("Clinical reviewer", "Clinical safety officer"):
        yield f'<table class="signature"><caption>{_e(role)}</caption>'
        for line in ("Name", "Role and registration", "Date", "Signature"):
            yield f'<tr><th>{line}</th><td class="line"></td></tr>'
        yield "</table>"
    yield "</section>"


_CSS = """
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #111; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #333; padding-bottom: .15rem;
  margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
h4 { font-size: .95rem; margin: .8rem 0 .2rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; }
th, td { border: 1px solid #999; padding: .25rem .4rem; text-align: left;
  vertical-align: top; }
th { background: #eee; }
code { font: .9em ui-monospace, "DejaVu Sans Mono", monospace; }
.hash { word-break: break-all; }
.id { overflow-wrap: anywhere; }
table.rules { table-layout: fixed; }
table.rules th:nth-child(1) { width: 17%; }
table.rules th:nth-child(2) { width: 31%; }
table.rules th:nth-child(3) { width: 20%; }
table.rules ul { margin: 0; padding-left: 1.1rem; }
ul.sources { color: #444; font-size: .9em; margin-top: .3rem; }
.note, .meta, .by { color: #444; font-size: .9em; }
.fact { font-weight: 500; }
.absent { font-style: italic; }
.and { font-variant: small-caps; color: #444; }
.caution, .witness { margin: .15rem 0 0 1rem; }
.witness { color: #333; font-size: .92em; }
.ok { border-left: 4px solid #2a7; padding-left: .5rem; }
.bad { border-left: 4px solid #c22; padding-left: .5rem; font-weight: 600; }
ol.triggers li { margin: .15rem 0; }
article { border-top: 1px solid #ccc; padding-top: .2rem; }
.signature { width: 100%; margin-top: 1rem; }
.signature caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.signature th { width: 14rem; }
.signature td.line { height: 2.2rem; }
a { color: #124; }
@page { size: A4; margin: 15mm 13mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  h2, h3, h4 { break-after: avoid; }
  tr, li, .signature { break-inside: avoid; }
  .signoff { break-before: page; break-inside: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
