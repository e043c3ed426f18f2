"""The review sheet: one self-contained HTML page a clinician reads and signs.

The page holds everything a reviewer needs to sign a protocol off without reading TOML: its
identity (name, version and a content hash), its scope first, the result of ``check()``, the
declared policies in words, for each urgency level and each exercise the exact, minimal sets of
answers that produce it (each listed once), every question with its reading grade, the
instrument policies, every text a person may read, example plans made by ``recommend``, every
rule, every source with its kind, year and link, and a sign-off block. It loads nothing (no
script, no style sheet, no font, no image from elsewhere) and prints on A4 with the browser's
print dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import attrs

from backtriage._facts import derive_facts
from backtriage._plan import questions
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.protocol import (
    Caution,
    DerivedFrom,
    Exercise,
    Fact,
    FactKind,
    Protocol,
    Rule,
    SignOff,
    SourceKind,
    Trigger,
    Urgency,
    triggers_urgency,
    triggers_withheld,
)
from backtriage.protocol._digest import protocol_hash
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import SCORED_BY_SOURCE, threshold_of
from backtriage.protocol._queries import DEFAULT_LIMIT, triggers_of_rule
from backtriage.review._diff import Change, diff, policy_failures, unreliable_problems
from backtriage.review._intent import policies_section, scope_section
from backtriage.review._reader import (
    grade_cell,
    plans_section,
    sheet_examples,
    shown_exercises,
    texts_section,
)
from backtriage.review._words import KIND_WORDS, SOURCE_KIND_WORDS, URGENCY_WORDS, Words, escape

__all__ = ["protocol_hash", "review_sheet"]


def review_sheet(
    protocol: Protocol,
    *,
    previous: Protocol | SignOff | None = None,
    signed: SignOff | None = None,
    limit: int = DEFAULT_LIMIT,
) -> str:
    """Return the review sheet of ``protocol``: one self-contained HTML page.

    The page names the protocol, its version and :func:`protocol_hash`; shows its scope (for
    the reviewer to confirm first), the result of ``protocol.check()``, the declared policies
    in words, the minimal answer sets that reach each urgency and that withhold or caution each
    exercise (in the questions' own words, each once), every question (required or not, with
    its reading grade), the instrument policies, every text a person may read, one example
    plan per urgency and one with a question unanswered (``Plan.summary()`` of what
    ``recommend`` gives; each ``figure`` carries its assessment as JSON in
    ``data-assessment``), every rule with its reason, sources and departures, every source
    with its kind, year and link ("not known" where the protocol does not say), and a sign-off
    block. Every text from the protocol is escaped.

    With ``previous`` (the version in use), the sheet also lists what ``protocol`` changes
    (:func:`backtriage.review.diff`), less safe first, each change with the answers that show
    it, and the sign-off covers the change. A version that breaks a declared policy is
    compared all the same, and the sheet says so; one with any other problem is not.
    ``previous`` may be the version's :class:`SignOff` record instead, or ``signed`` the record
    of ``previous``: the sheet then shows who signed which hash, and whether ``protocol`` is
    still that version.

    Raises :class:`~backtriage.InvalidAnswerError` when ``protocol``, ``previous`` or
    ``signed`` is not of its type, and :class:`~backtriage.ProtocolError` when ``signed`` is
    not the record of ``previous`` or the queries need more than ``limit`` sets of facts (pass
    a larger ``limit`` to compute them anyway).

    >>> Path("review.html").write_text(review_sheet(default_protocol()))  # doctest: +SKIP
    """
    digest = protocol_hash(protocol)
    if isinstance(previous, SignOff):
        if signed is not None:
            raise InvalidAnswerError(
                "signed", signed, "None when previous is the sign-off record already"
            )
        previous, signed = None, previous
    if previous is not None and not isinstance(previous, Protocol):
        raise InvalidAnswerError(
            "previous",
            previous,
            "a Protocol (the version in use), its SignOff record, or None",
        )
    if signed is not None and not isinstance(signed, SignOff):
        raise InvalidAnswerError("signed", signed, "a SignOff record, or None")
    if previous is not None and signed is not None:
        named = protocol_hash(previous)
        if named != signed.protocol_hash:
            raise ProtocolError(
                f"the previous version ({previous.name} {previous.version}, sha256 {named}) is "
                f"not the one the sign-off record names ({signed.protocol_name} "
                f"{signed.protocol_version}, sha256 {signed.protocol_hash})",
                field="signed",
            )
    words = Words(protocol, limit)
    shown = sheet_examples(protocol, words)
    withheld = _withheld(protocol, words)
    body = [
        *_header(protocol, digest),
        *scope_section(protocol, words),
        *_check_section(protocol),
        *(_signed_section(signed, protocol, previous) if signed is not None else ()),
        *(_changes_section(previous, protocol, words) if previous is not None else ()),
        *_how_to_read(),
        *policies_section(protocol, words),
        *_urgency_section(protocol, words, withheld),
        *_exercise_section(protocol, words, withheld, shown_exercises(shown)),
        *_questions_section(protocol),
        *_instruments_section(protocol, words),
        *texts_section(protocol, words),
        *plans_section(shown),
        *_rules_section(protocol, words),
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
            f"<title>{escape(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


# -- sections -----------------------------------------------------------------------------------


def _header(protocol: Protocol, digest: str) -> Iterator[str]:
    from backtriage._version import __version__

    yield "<header>"
    yield f"<h1>Review sheet: {escape(protocol.name)}</h1>"
    yield '<table class="identity">'
    yield f"<tr><th>Protocol</th><td>{escape(protocol.name)}</td></tr>"
    yield f"<tr><th>Version</th><td>{escape(protocol.version)}</td></tr>"
    yield (
        f'<tr><th>Content hash (SHA-256)</th><td><code class="hash">{escape(digest)}</code></td></tr>'
    )
    if protocol.description:
        yield f"<tr><th>Description</th><td>{escape(protocol.description)}</td></tr>"
    yield f"<tr><th>Made with</th><td>backtriage {escape(__version__)}</td></tr>"
    yield "</table>"
    yield (
        '<p class="note">The hash is the SHA-256 of the protocol\'s canonical JSON (<code>to_json'
        "</code> with sorted keys). Any change to the protocol, even to one word, changes it: "
        "a signature below covers this hash only.</p>"
    )
    yield "</header>"


def _signed_section(
    signed: SignOff, protocol: Protocol, previous: Protocol | None
) -> Iterator[str]:
    yield '<section id="signed">'
    yield "<h2>The signed version</h2>"
    rows = [
        ("Protocol", f"{signed.protocol_name} {signed.protocol_version}"),
        ("Content hash (SHA-256)", signed.protocol_hash),
        ("Reviewed with", f"backtriage {signed.library_version}"),
        ("Date", signed.date.isoformat()),
        ("Reviewer", f"{signed.reviewer}, {signed.role}"),
        ("Decision", signed.decision.value.replace("_", " ")),
        ("Conditions", "; ".join(signed.conditions) or "none"),
        ("Residual risks", "; ".join(signed.residual_risks) or "none"),
        ("Hazard log", signed.hazard_log or "not given"),
    ]
    yield '<table class="identity">'
    yield from (f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    yield "</table>"
    if protocol_hash(protocol) == signed.protocol_hash:
        yield '<p class="ok">This is the signed version: its content hash is the same.</p>'
    elif previous is None:
        yield (
            '<p class="bad">This version is not the signed one: its content hash differs. '
            "The record names the signed version but does not hold it, so the changes cannot "
            "be listed from the record alone: review with the signed protocol file as well "
            "(<code>--since RECORD --since FILE</code>).</p>"
        )
    else:
        yield (
            '<p class="bad">This version is not the signed one: its content hash differs. '
            "What changed since is listed below.</p>"
        )
    yield "</section>"


_CHANGE_GROUPS = (
    ("less_safe", "Less safe: each needs a clinician's explicit approval"),
    ("more_cautious", "More cautious"),
    ("text_changes", "Text changes"),
    ("definition_changes", "Definition changes (what they do to people is listed above)"),
)


def _changes_section(previous: Protocol, protocol: Protocol, words: Words) -> Iterator[str]:
    yield '<section id="changes">'
    yield (f"<h2>Changes from version {escape(previous.version)} of {escape(previous.name)}</h2>")
    broken = [p for p in (previous, protocol) if unreliable_problems(p)]
    if broken:
        yield (
            '<p class="bad">The changes cannot be worked out while a version has problems '
            "other than a declared policy that does not hold "
            f"({escape(', '.join(p.version for p in broken))}): fix them first.</p>"
        )
        yield "</section>"
        return
    for label, version in (("previous", previous), ("new", protocol)):
        failures = policy_failures(version)
        if failures:
            # Compared all the same: what such an edit does is what the reviewer must see.
            names = ", ".join(f.where for f in failures)
            yield (
                f'<p class="bad">The {label} version {escape(version.version)} breaks '
                f"{len(failures)} declared policy(ies) ({escape(names)}): backtriage refuses to "
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
        f"{escape(protocol_hash(previous))}</code>. Each change holds for the answers shown "
        "(every other answer no); <code>backtriage protocol diff --json</code> gives them as "
        "assessments to run.</p>"
    )
    old_words = Words(previous, words.limit)
    for group, heading in _CHANGE_GROUPS:
        found: tuple[Change, ...] = getattr(changes, group)
        yield f'<div class="changes" id="changes-{group.replace("_", "-")}">'
        yield f"<h3>{escape(heading)} ({len(found)})</h3>"
        if not found:
            yield "<p>None.</p>"
        elif group in ("text_changes", "definition_changes"):
            yield "<table><tr><th>What</th><th>Was</th><th>Is now</th></tr>"
            for change in found:
                yield (
                    f"<tr><td>{escape(change.field or change.description)}</td>"
                    f"<td>{escape(change.old_text or '—')}"
                    f"</td><td>{escape(change.new_text or '—')}</td></tr>"
                )
            yield "</table>"
        else:
            items = "".join(
                f"<li>{escape(change.description)}{_witness(change, words, old_words)}</li>"
                for change in found
            )
            yield f"<ol>{items}</ol>"
        yield "</div>"
    yield "</section>"


def _witness(change: Change, words: Words, old_words: Words) -> str:
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
    return f'<div class="witness">Shown by: {escape("; ".join(parts))}.</div>'


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
                f"<tr><td><code>{escape(problem.code)}</code></td><td>{escape(problem.where)}</td>"
                f"<td>{escape(problem.message)}</td><td>{escape(problem.fix)}</td></tr>"
            )
        yield "</table>"
    yield "</section>"


def _trigger_list(
    words: Words,
    triggers: Iterable[Trigger],
    css: str = "triggers",
    *,
    marked: set[tuple[frozenset[str], frozenset[str]]] | None = None,
) -> str:
    stop = ' <strong class="stops">stops every exercise</strong>'
    items = "".join(
        f"<li>{words.trigger(t)}{stop if marked and (t.present, t.absent) in marked else ''}</li>"
        for t in triggers
    )
    return f'<ol class="{css}">{items}</ol>'


@attrs.frozen
class _Withheld:
    """The triggers that withhold each exercise, and those that withhold every one."""

    by_exercise: dict[str, tuple[Trigger, ...]]
    everyone: frozenset[Trigger]

    def stops_all(self) -> set[tuple[frozenset[str], frozenset[str]]]:
        """Return the answers (present, absent) of the triggers that withhold every exercise."""
        return {(t.present, t.absent) for t in self.everyone}


def _withheld(protocol: Protocol, words: Words) -> _Withheld:
    exercises = engine_of(protocol).exercise_by_id
    by_exercise = {eid: triggers_withheld(protocol, eid, limit=words.limit) for eid in exercises}
    everyone: frozenset[Trigger] = frozenset()
    if len(by_exercise) > 1:
        everyone = frozenset.intersection(*(frozenset(t) for t in by_exercise.values()))
    return _Withheld(by_exercise, everyone)


def _urgency_section(protocol: Protocol, words: Words, withheld: _Withheld) -> Iterator[str]:
    yield '<section id="urgency">'
    yield "<h2>When each urgency is reached</h2>"
    yield (
        "<p>Most urgent first. Each level lists the triggers that reach it and no higher "
        "level; every trigger of a more urgent level reaches it too. With none of the triggers "
        "below, the urgency is <strong>none</strong>. The advice shown at each level is under "
        '<a href="#texts">Everything a person may read</a>. A trigger marked '
        "<strong>stops every exercise</strong> also withholds every exercise at its level, as "
        "every trigger of same day and emergency does.</p>"
    )
    stops_all = withheld.stops_all()
    higher: set[Trigger] = set()
    for level in sorted(Urgency, key=lambda u: u.rank, reverse=True):
        if level is Urgency.NONE:
            continue
        triggers = triggers_urgency(protocol, level, limit=words.limit)
        own = [t for t in triggers if t not in higher]
        higher.update(triggers)
        yield f'<div class="level" id="urgency-{escape(level.value)}">'
        yield f"<h3>{escape(URGENCY_WORDS[level].capitalize())}</h3>"
        if own:
            yield f"<p>Reached when any of these holds ({len(own)}):</p>"
            marked = stops_all if level < Urgency.SAME_DAY else set()
            yield _trigger_list(words, own, marked=marked)
        else:
            yield "<p>No answers reach this level and no higher one.</p>"
        yield "</div>"
    yield "</section>"


def _exercise_section(
    protocol: Protocol, words: Words, found: _Withheld, in_plan: frozenset[str]
) -> Iterator[str]:
    exercises = engine_of(protocol).exercise_by_id
    withheld = found.by_exercise
    everyone = found.everyone
    yield '<section id="exercises">'
    yield "<h2>Exercises: the catalogue, and when each is withheld or cautioned</h2>"
    yield (
        '<table class="catalogue"><tr><th>Exercise</th><th>Family</th><th>Movement</th>'
        "<th>Position</th><th>Level</th><th>In bed</th><th>Needs first</th></tr>"
    )
    for exercise in exercises.values():
        needs = ", ".join(words.fact(p).removeprefix("yes to ") for p in exercise.prerequisites)
        yield (
            f'<tr><td><a href="#exercise-{escape(exercise.id)}">{escape(exercise.title)}</a>'
            f" <code>{escape(exercise.id)}</code></td><td>{escape(exercise.family)}</td>"
            f"<td>{escape(exercise.movement.value)}</td>"
            f"<td>{escape(exercise.position.value)}</td><td>{exercise.level}</td>"
            f"<td>{'yes' if exercise.in_bed else 'no'}</td><td>{escape(needs) or '—'}</td></tr>"
        )
    yield "</table>"
    # A same-day or emergency urgency withholds everything (the engine's invariant): those
    # triggers are listed once, under the urgency, and not again under any exercise.
    urgent = {
        (t.present, t.absent)
        for t in triggers_urgency(protocol, Urgency.SAME_DAY, limit=words.limit)
    }
    # So are the triggers of a lower urgency that stop every exercise: marked there.
    listed = {
        (t.present, t.absent)
        for level in Urgency
        if level is not Urgency.NONE
        for t in triggers_urgency(protocol, level, limit=words.limit)
    }
    first = withheld[next(iter(exercises))] if exercises else ()
    shared = [t for t in first if t in everyone and (t.present, t.absent) not in listed]
    yield '<div class="shared" id="withheld-for-everyone">'
    yield "<h3>Every exercise is withheld</h3>"
    yield (
        '<p>at a <a href="#urgency-same_day">same-day</a> or <a href="#urgency-emergency">'
        "emergency</a> urgency (by every trigger of those levels, above), by every trigger "
        "marked <strong>stops every exercise</strong> under a lower urgency, while a required "
        "question is unanswered"
        + (
            f", and by each of these {len(shared)}:</p>" + _trigger_list(words, shared)
            if shared
            else ".</p>"
        )
    )
    yield "<p>None of these is repeated under the exercises below.</p>"
    yield "</div>"
    for exercise in exercises.values():
        own = [
            t
            for t in withheld[exercise.id]
            if t not in everyone and (t.present, t.absent) not in urgent
        ]
        yield from _exercise(protocol, words, exercise, own, exercise.id in in_plan)
    yield "</section>"


def _exercise(
    protocol: Protocol,
    words: Words,
    exercise: Exercise,
    own: Sequence[Trigger],
    in_plan: bool,
) -> Iterator[str]:
    yield f'<article class="exercise" id="exercise-{escape(exercise.id)}">'
    yield f"<h3>{escape(exercise.title)} <code>{escape(exercise.id)}</code></h3>"
    if in_plan:
        # Said once, where the person reads it: the example plan of urgency none gives it.
        yield (
            '<p class="note">How it is done and how much: as the person reads it in the '
            'example plan <a href="#plan-none">“None”</a> below.</p>'
        )
    else:
        yield f"<p><strong>How:</strong> {escape(exercise.instructions)}</p>"
        if not exercise.steps:
            yield f"<p><strong>How much:</strong> {escape(exercise.dosage)}</p>"
    if exercise.steps:
        # The steps a follow-up moves the exercise along, gentlest first: a plan shows one.
        steps = " ".join(
            f'<span class="step">{number}. {escape(step)}</span>'
            for number, step in enumerate(exercise.steps, 1)
        )
        yield (
            "<p><strong>How much, step by step</strong> (a follow-up moves one step at a "
            f"time): {steps}</p>"
        )
    yield "<h4>Withheld, besides the above, when</h4>"
    yield _trigger_list(words, own) if own else "<p>No other trigger.</p>"
    # Each caution with the exact answers under which its rule fires: the minimal sets of
    # "some caution applies" would hide a second caution whose answers imply the first's.
    cautions = _caution_texts(protocol, exercise)
    yield "<h4>Given with a caution when</h4>"
    items = [
        f"<li>{words.trigger(trigger)}"
        + "".join(f'<div class="caution">“{escape(text)}”</div>' for text in texts)
        + "</li>"
        for rule_id, texts in cautions.items()
        for trigger in triggers_of_rule(protocol, rule_id, limit=words.limit)
    ]
    if items:
        yield f'<ol class="triggers">{"".join(items)}</ol>'
    else:
        yield "<p>Never (besides the advice shown with every exercise).</p>"
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
        "exercise is given; an optional one left unanswered counts as “no”. Grade: the "
        "Flesch-Kincaid grade level of the question (add 5 for a reading age).</p>"
    )
    yield (
        '<table class="questions"><tr><th>Question</th><th>Kind</th><th>Key</th><th>Grade</th></tr>'
    )
    for question in questions(protocol):
        needed = "<strong>required</strong>" if question.required else "optional"
        if question.asked_if is not None:
            needed += (
                f", asked only after a yes to <code>{escape(question.asked_if)}</code> (a yes "
                "while that is no is refused)"
            )
        yield (
            f'<tr id="question-{escape(question.key)}"><td>{escape(question.text)}</td>'
            f"<td>{escape(KIND_WORDS[question.kind])} · {needed}</td>"
            f'<td><code class="id">{escape(question.key)}</code></td>'
            f"{grade_cell(question.text)}</tr>"
        )
    yield "</table>"
    yield "</section>"


def _instruments_section(protocol: Protocol, words: Words) -> Iterator[str]:
    derived = [f for f in protocol.facts if f.kind is FactKind.DERIVED and f.derive is not None]
    yield '<section id="instruments">'
    yield "<h2>Instrument policies</h2>"
    for source, instrument in SCORED_BY_SOURCE.items():
        yield from _scored_instrument(
            instrument, getattr(protocol, instrument.requirement), source, derived, words
        )
    for label, required, source in (
        ("Age", protocol.require_age, DerivedFrom.AGE),
        ("Directional preference", False, DerivedFrom.PREFERENCE),
    ):
        used = [f for f in derived if f.derive is not None and f.derive.source is source]
        if not used and not required:
            continue
        yield f"<h3>{escape(label)}</h3><ul>"
        yield _required_item(required)
        yield from _fact_items(used, words)
        yield "</ul>"
    yield "</section>"


def _scored_instrument(
    instrument: ScoredInstrument,
    required: bool,
    source: DerivedFrom,
    derived: Sequence[Fact],
    words: Words,
) -> Iterator[str]:
    """Say a scored questionnaire's policy: required or not, its notes, and the facts that read
    it (in the table of its levels, when it has one: then it is shown even if nothing reads it)."""
    used = [f for f in derived if f.derive is not None and f.derive.source is source]
    rows = instrument.level_rows
    if not used and not required and not rows:
        return
    yield f"<h3>{escape(instrument.title)}</h3><ul>"
    yield _required_item(required, instrument.review_required, instrument.review_optional)
    yield from (f"<li>{_note(note)}</li>" for note in instrument.review_notes)
    if not rows:
        yield from _fact_items(used, words)
        yield "</ul>"
        return
    yield "</ul>"
    yield (
        f"<table><tr><th>{escape(instrument.level_heading)}</th><th>Score</th><th>Meaning</th>"
        "<th>Facts that hold</th></tr>"
    )
    thresholds = [
        (f.name, least)
        for f in used
        if f.derive is not None and (least := threshold_of(f.derive)) is not None
    ]
    for rank, (value, (label, scores, meaning)) in enumerate(
        zip(instrument.levels, rows, strict=True)
    ):
        holds = [words.fact(name) for name, least in thresholds if least <= rank]
        yield (
            f"<tr><td>{escape(label)} <code>{escape(value)}</code></td><td>{escape(scores)}</td>"
            f"<td>{escape(meaning)}</td><td>{escape('; '.join(holds)) or '—'}</td></tr>"
        )
    yield "</table>"


def _required_item(required: bool, if_required: str = "", if_optional: str = "") -> str:
    """Say whether an input is required, in the instrument's words or the sheet's own."""
    if required:
        said = if_required or "every exercise is withheld until it is given."
        return f"<li><strong>Required</strong>: {escape(said)}</li>"
    said = if_optional or "while it is not given, no fact below holds."
    return f"<li>Optional: {escape(said)}</li>"


def _fact_items(used: Iterable[Fact], words: Words) -> Iterator[str]:
    return (
        f"<li>Fact <code>{escape(f.name)}</code>: {escape(words.fact(f.name))}</li>" for f in used
    )


def _note(note: str) -> str:
    """Return a plain-text note as HTML, each name between backticks as code."""
    parts = escape(note).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def _rules_section(protocol: Protocol, words: Words) -> Iterator[str]:
    departing = [rule for rule in protocol.rules if rule.departs]
    yield '<section id="rules">'
    yield f"<h2>Rules ({len(protocol.rules)})</h2>"
    yield (
        "<p>In the order they are written (a plan's audit trail lists them in this order), with "
        "what each does, its reason as the person reads it and its sources. When each one "
        "fires is listed above, exactly, under the urgency or the exercise it decides."
        + (
            f' <strong class="departs">{len(departing)} rule(s) depart from their source</strong>'
            ", marked ⚑ with the protocol's reason."
            if departing
            else " No rule states that it departs from its source."
        )
        + "</p>"
    )
    # In a protocol with problems a rule may fire under no answers at all, so appear in no
    # trigger above: each rule's condition is then said in words too.
    troubled = bool(protocol.check())
    yield '<ol class="rules">'
    yield from (_rule(rule, words, troubled) for rule in protocol.rules)
    yield "</ol>"
    yield "</section>"


def _follow_up_section(protocol: Protocol, words: Words) -> Iterator[str]:
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
        + (f' <span class="by">({escape(cited)})</span>' if cited else "")
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
        yield f"<tr><td>{escape(pain)}</td><td>{escape(morning)}</td><td>{escape(then)}</td></tr>"
    yield "</table>"
    yield (
        f'<p class="meta">Pain limits: green_max = {rules.green_max}, '
        f"amber_max = {rules.amber_max}.</p>"
    )
    yield (
        '<table class="texts"><caption>What the person reads at a follow-up</caption>'
        "<tr><th>Where</th><th>Text</th><th>Grade</th></tr>"
    )
    for name, text in rules.texts():
        yield (
            f'<tr><td><code class="id">{escape(name)}</code></td><td>{escape(text)}</td>'
            f"{grade_cell(text)}</tr>"
        )
    yield "</table>"
    yield "</section>"


def _rule(rule: Rule, words: Words, troubled: bool) -> str:
    actions = "; ".join(words.action_short(a) for a in rule.actions)
    if troubled:
        actions += f" when {words.condition(rule.condition)}"
    departs = (
        f' <span class="departs">⚑ Departs from its source: {escape(rule.departs)}</span>'
        if rule.departs
        else ""
    )
    return (
        f'<li id="rule-{escape(rule.id)}"><code class="id">{escape(rule.id)}</code> — {actions}. '
        f"{escape(rule.reason)}{departs} "
        f'<span class="cited">[{words.source_links(rule.source)}]</span></li>'
    )


def _sources_section(protocol: Protocol) -> Iterator[str]:
    yield '<section id="sources">'
    yield "<h2>Sources</h2>"
    if not protocol.sources:
        yield "<p>The protocol lists no sources: each rule's source is shown as written.</p>"
        yield "</section>"
        return
    yield (
        "<p>Each source with what kind of evidence it is, the year of the version cited and a "
        "link, as the protocol states them: “not known” where it does not.</p>"
    )
    yield '<ul class="sources">'
    for source in protocol.sources:
        kind = SOURCE_KIND_WORDS[source.kind] if source.kind is not None else "kind not known"
        year = str(source.year) if source.year is not None else "year not known"
        link = (
            f'<a class="link" href="{escape(source.url)}">{escape(source.url)}</a>'
            if source.url is not None
            else "link not known"
        )
        seed = ' class="seed"' if source.kind is SourceKind.SEED_PAGE else ""
        yield (
            f'<li id="source-{escape(source.tag)}"{seed}><code>{escape(source.tag)}</code> '
            f"{escape(source.citation)} — <em>{escape(kind)}</em>; {escape(year)}; {link}</li>"
        )
    yield "</ul>"
    yield "</section>"


_SIGNED_SECTIONS = (
    "Scope",
    "Declared policies",
    "Urgencies",
    "Exercises",
    "Questions",
    "Texts and example plans",
    "Rules and sources",
)


def _signoff(protocol: Protocol, digest: str, previous: Protocol | None) -> Iterator[str]:
    yield '<section id="sign-off" class="signoff">'
    yield "<h2>Sign-off</h2>"
    change = (
        ""
        if previous is None
        else f", and every change from version <strong>{escape(previous.version)}</strong> "
        f'(content hash <code class="hash">{escape(protocol_hash(previous))}</code>) listed '
        "under “Changes”"
    )
    yield (
        f"<p>I have reviewed protocol <strong>{escape(protocol.name)}</strong> version "
        f'<strong>{escape(protocol.version)}</strong>, content hash <code class="hash">'
        f"{escape(digest)}</code>, as shown on this sheet{change}.</p>"
    )
    yield '<table class="sections"><tr><th>Section</th><th>Agreed</th><th>Comment</th></tr>'
    for name in _SIGNED_SECTIONS:
        yield f'<tr><td>{escape(name)}</td><td>&#9744;</td><td class="line"></td></tr>'
    yield "</table>"
    yield (
        '<p class="decision"><strong>Decision:</strong> &#9744; approved &nbsp; &#9744; approved '
        "with conditions (list at least one) &nbsp; &#9744; not approved</p>"
    )
    yield '<table class="signature">'
    for line in ("Conditions", "Residual risks", "Hazard log reference"):
        yield f'<tr><th>{line}</th><td class="line"></td></tr>'
    yield "</table>"
    for role in ("Clinical reviewer", "Clinical safety officer"):
        yield f'<table class="signature"><caption>{escape(role)}</caption>'
        for line in ("Name", "Role and registration", "Date", "Signature"):
            yield f'<tr><th>{line}</th><td class="line"></td></tr>'
        yield "</table>"
    yield (
        '<p class="note">Record the decision as data, for the app to check at start-up: '
        "<code>backtriage protocol sign-off FILE --reviewer NAME --role ROLE --decision "
        "DECISION [--condition TEXT]... [--residual-risk TEXT]... --hazard-log REF -o "
        "signed.json</code>; the app loads the protocol with "
        "<code>load_protocol(FILE, signed=record)</code>.</p>"
    )
    yield "</section>"


_CSS = """
:root { color-scheme: light; }
html { font-size: 11pt; }
body { font: 1rem/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #111; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .4rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #333; padding-bottom: .1rem;
  margin: 1.4rem 0 .4rem; }
h3 { font-size: 1.02rem; margin: .9rem 0 .25rem; }
h4 { font-size: .95rem; margin: .5rem 0 .15rem; }
p { margin: .3rem 0; }
ul, ol { margin: .2rem 0; padding-left: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .6rem; }
th, td { border: 1px solid #999; padding: .15rem .35rem; text-align: left;
  vertical-align: top; }
th { background: #eee; }
code { font: .9em ui-monospace, "DejaVu Sans Mono", monospace; }
.hash { word-break: break-all; }
.id, td.link { overflow-wrap: anywhere; }
table.texts, table.questions { table-layout: fixed; }
ol.rules { columns: 2; column-gap: 1.5rem; padding-left: 1.6rem; }
ol.rules li, ul.sources li { margin: .1rem 0; break-inside: avoid; }
.cited { color: #444; font-size: .9em; }
a.link { overflow-wrap: anywhere; }
table.texts th:nth-child(1) { width: 19%; }
table.texts td:first-child { overflow-wrap: anywhere; }
table.texts caption { text-align: left; font-weight: 600; padding: .2rem 0; }
table.texts th:nth-child(3), table.questions th:nth-child(4) { width: 6%; }
table.questions th:nth-child(2) { width: 14%; }
table.questions th:nth-child(3) { width: 19%; }
td.grade { text-align: right; }
li.seed { background: #fff4e0; }
.note, .meta, .by { color: #444; font-size: .9em; }
.fact { font-weight: 500; }
.absent { font-style: italic; }
.and { font-variant: small-caps; color: #444; }
.caution, .witness { margin: .1rem 0 0 1rem; }
.witness { color: #333; font-size: .92em; }
.ok { border-left: 4px solid #2a7; padding-left: .5rem; }
.bad { border-left: 4px solid #c22; padding-left: .5rem; font-weight: 600; }
.departs { color: #8a4b00; font-weight: 600; }
.stops { font-size: .9em; }
.confirm, .decision { border: 1px solid #333; padding: .3rem .5rem; }
ol.triggers li { margin: .1rem 0; }
p.policies { margin: .3rem 0; }
span.policy { margin-right: .5rem; }
article { border-top: 1px solid #ccc; padding-top: .1rem; }
figure.plan { margin: .5rem 0; border: 1px solid #999; padding: .3rem .5rem; }
figure.plan figcaption { margin-bottom: .2rem; }
figure.plan pre { font: .82em/1.25 system-ui, "DejaVu Sans", sans-serif; white-space: pre-wrap;
  margin: 0; columns: 2; column-gap: 1.2rem; }
.signature { width: 100%; margin-top: .6rem; }
.signature caption { text-align: left; font-weight: 600; padding: .2rem 0; }
.signature th { width: 14rem; }
td.line { height: 1.9rem; }
a { color: #124; }
@page { size: A4; margin: 12mm 11mm; }
@media print {
  html { font-size: 8pt; }
  body { max-width: none; margin: 0; padding: 0; line-height: 1.25; }
  a { color: inherit; text-decoration: none; }
  h2, h3, h4, figcaption { break-after: avoid; }
  tr, ol.rules li, ul.sources li, .signature { break-inside: avoid; }
  ol.triggers { columns: 2; column-gap: 1.5rem; }
  .signoff { break-before: page; break-inside: avoid; }
  th, li.seed { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
