"""What a person reads: every text of the protocol, its reading grade, and example plans.

The example plans are made, never written: each is the plan :func:`~backtriage.recommend`
gives for the assessment :func:`~backtriage.review.example` builds from a minimal trigger of
its urgency, rendered by :meth:`~backtriage.Plan.summary` exactly as an app would show it.
Each carries its assessment as JSON (``data-assessment``), so anyone can replay it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import attrs

from backtriage._plan import Plan, QuestionKind, make_plan, questions
from backtriage.assessment import Assessment
from backtriage.protocol._model import Protocol, Texts, Urgency, UrgencyAdvice
from backtriage.protocol._queries import triggers_urgency
from backtriage.review._diff import unreliable_problems
from backtriage.review._example import example
from backtriage.review._words import URGENCY_WORDS, Words, escape
from backtriage.serialize import to_json

__all__ = ["NOT_MEASURED", "grade_cell", "plans_section", "reading_grade", "texts_section"]

NOT_MEASURED = "not measured"
"""What the sheet says for a reading grade without textstat (``pip install backtriage[review]``)."""


def reading_grade(text: str) -> float | None:
    """Return the Flesch-Kincaid grade of ``text``, or ``None`` when textstat is not installed."""
    measure = _measure()
    return None if measure is None else round(float(measure(text)), 1)


@functools.cache
def _measure() -> Callable[[str], float] | None:
    # An optional dependency (the "review" extra), loaded when a sheet first needs it: never
    # with ``import backtriage``.
    try:
        import textstat  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    grade: Callable[[str], float] = textstat.flesch_kincaid_grade
    return grade


def grade_cell(text: str) -> str:
    """Return a table cell with the reading grade of ``text``."""
    grade = reading_grade(text)
    return f'<td class="grade">{NOT_MEASURED if grade is None else f"{grade:.1f}"}</td>'


# -- every text a person reads -----------------------------------------------------------------


def texts_section(protocol: Protocol, words: Words) -> Iterator[str]:
    """Yield every text of the protocol a person may read, with its reading grade."""
    yield '<section id="texts">'
    yield "<h2>Everything a person may read</h2>"
    yield (
        "<p>Besides the questions (above) and each exercise's title, instructions, steps and "
        "cautions (under Exercises), a person reads only these texts: Python adds no sentence "
        "of its own. Grade: Flesch-Kincaid grade level (add 5 for a reading age)"
        + ("" if _measure() is not None else f"; {NOT_MEASURED}: textstat is not installed")
        + ".</p>"
    )
    yield '<table class="texts"><tr><th>Where</th><th>Text</th><th>Grade</th></tr>'
    for level in Urgency:
        text = protocol.advice.for_urgency(level)
        yield _row(f"advice, {URGENCY_WORDS[level]}", text or "(none written)")
    for rule in protocol.rules:
        if rule.advice:
            yield _row(f"advice of rule {rule.id}", rule.advice)
    yield from _texts_rows(protocol.texts)
    net = protocol.safety_net
    for label, lines in (
        ("safety net: emergency now", net.emergency),
        ("safety net: today", net.today),
    ):
        for line in lines:
            yield _row(label, line)
    if net.review:
        yield _row("safety net: review", net.review)
    if protocol.safety:
        yield _row("with every exercise given", protocol.safety)
    yield "</table>"
    yield "</section>"


def _texts_rows(texts: Texts) -> Iterator[str]:
    # Every field, by its name: a text added to the format is shown without a change here.
    for field in attrs.fields(Texts):
        value = getattr(texts, field.name)
        label = field.name.replace("_", " ")
        if isinstance(value, str):
            yield _row(label, value or "(none written)")
        elif isinstance(value, tuple):
            for line in value:
                yield _row(label, str(line))
        elif isinstance(value, UrgencyAdvice):
            for level in Urgency:
                yield _row(f"{label}, {URGENCY_WORDS[level]}", value.for_urgency(level) or "—")


def _row(where: str, text: str) -> str:
    return f"<tr><td>{escape(where)}</td><td>{escape(text)}</td>{grade_cell(text)}</tr>"


# -- example plans ------------------------------------------------------------------------------


@attrs.frozen
class Example:
    """One example plan: what it shows, the answers in words, the assessment and the plan."""

    key: str
    title: str
    answers: str
    assessment: Assessment
    plan: Plan


def examples(protocol: Protocol, words: Words) -> list[Example]:
    """Return one example per urgency reached, and one with a required question unanswered."""
    made: list[Example] = []
    higher: set[object] = set()
    for level in sorted(Urgency, key=lambda u: u.rank, reverse=True):
        if level is Urgency.NONE:
            present: tuple[str, ...] = ()
            absent: tuple[str, ...] = ()
        else:
            triggers = triggers_urgency(protocol, level, limit=words.limit)
            own = [t for t in triggers if t not in higher]
            higher.update(triggers)
            if not own:
                continue
            present, absent = tuple(own[0].present), tuple(own[0].absent)
        assessment = example(protocol, present, absent)
        said = " and ".join(words.fact(n) for n in words.shown(present))
        answers = f"{said}; every other answer no" if said else "every answer no"
        made.append(
            Example(
                level.value,
                URGENCY_WORDS[level].capitalize(),
                answers,
                assessment,
                make_plan(assessment, protocol),
            )
        )
    unanswered = _unanswered_example(protocol, words)
    if unanswered is not None:
        made.append(unanswered)
    return made


def _unanswered_example(protocol: Protocol, words: Words) -> Example | None:
    flags = [q for q in questions(protocol) if q.kind is QuestionKind.RED_FLAG and q.required]
    if not flags:
        return None
    base = example(protocol, ())
    left = flags[0].key
    red_flags = {k: (None if k == left else v) for k, v in base.red_flags.items()}
    assessment = attrs.evolve(base, red_flags=red_flags)
    return Example(
        "missing",
        "A required question left unanswered",
        f"{words.unanswered(left)} left unanswered; every other answer no",
        assessment,
        make_plan(assessment, protocol),
    )


def plans_section(protocol: Protocol, words: Words) -> Iterator[str]:
    """Yield the example plans, rendered as a person sees them."""
    yield '<section id="plans">'
    yield "<h2>Example plans, as a person sees them</h2>"
    if unreliable_problems(protocol):
        yield (
            '<p class="bad">Not rendered: the protocol has problems that stop it being evaluated '
            "(see the static check).</p></section>"
        )
        return
    yield (
        "<p>Each plan is what <code>recommend</code> gives for the answers named, through "
        "<code>Plan.summary()</code>, word for word: one for each urgency (the answers are its "
        "first trigger), and one with a required question unanswered.</p>"
    )
    for shown in examples(protocol, words):
        data = escape(to_json(shown.assessment))
        yield (
            f'<figure class="plan" id="plan-{escape(shown.key)}" '
            f'data-urgency="{escape(shown.plan.urgency.value)}" data-assessment="{data}">'
        )
        yield (
            f"<figcaption><strong>{escape(shown.title)}</strong> — "
            f"{escape(shown.answers)}.</figcaption>"
        )
        yield f"<pre>{escape(shown.plan.summary())}</pre>"
        yield "</figure>"
    yield "</section>"
