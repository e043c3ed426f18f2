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

from backtriage._follow_up import follow_up
from backtriage._plan import Plan, QuestionKind, make_plan, questions
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning
from backtriage.instruments._registry import check_in_instruments
from backtriage.protocol import FactKind, Protocol, Texts, Urgency, UrgencyAdvice, triggers_urgency
from backtriage.protocol._queries import realisable
from backtriage.review._diff import unreliable_problems
from backtriage.review._example import example
from backtriage.review._words import URGENCY_WORDS, Words, escape
from backtriage.serialize import to_json

__all__ = [
    "NOT_MEASURED",
    "Example",
    "grade_cell",
    "plans_section",
    "reading_grade",
    "sheet_examples",
    "shown_exercises",
    "texts_section",
]

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


_SHORTEST = 5
"""Texts of fewer words (a heading, a label) get no grade: the formula means nothing there."""


def grade_cell(text: str) -> str:
    """Return a table cell with the reading grade of ``text`` ("—" for a heading or label)."""
    if len(text.split()) < _SHORTEST:
        return '<td class="grade">—</td>'
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
    yield _table(
        "The advice, by urgency",
        [(URGENCY_WORDS[u], protocol.advice.for_urgency(u) or "(none written)") for u in Urgency],
    )
    net = protocol.safety_net
    yield _table(
        "The safety net, under the advice of every plan but an emergency",
        [
            *(("emergency now", line) for line in net.emergency),
            *(("a doctor today", line) for line in net.today),
            *((("review", net.review),) if net.review else ()),
        ],
    )
    yield _table(
        "Below the minimum age, each band's advice in place of the urgency's",
        [
            (f"younger than {band.below}", band.advice)
            for band in protocol.scope.under_age
            if band.advice
        ],
    )
    yield _table(
        "A rule's own advice, in place of the urgency's when the rule decides it",
        [(rule.id, rule.advice) for rule in protocol.rules if rule.advice],
        code=True,
    )
    rows = list(_texts_rows(protocol.texts))
    if protocol.safety:
        rows.append(("with every exercise given", protocol.safety))
    # Headings and labels (too short for a reading grade) on one line each, the rest in a table.
    short = [(where, text) for where, text in rows if len(text.split()) < _SHORTEST]
    yield _table(
        "The fixed texts of every plan",
        [(where, text) for where, text in rows if len(text.split()) >= _SHORTEST],
    )
    if short:
        labels = " · ".join(f"{escape(where)}: “{escape(text)}”" for where, text in short)
        yield f'<p class="labels"><strong>Headings and labels:</strong> {labels}</p>'
    yield "</section>"


def _texts_rows(texts: Texts) -> Iterator[tuple[str, str]]:
    # Every field, by its name: a text added to the format is shown without a change here.
    for field in attrs.fields(Texts):
        value = getattr(texts, field.name)
        label = field.name.replace("_", " ")
        if isinstance(value, str):
            yield label, value or "(none written)"
        elif isinstance(value, tuple):
            for line in value:
                yield label, str(line)
        elif isinstance(value, UrgencyAdvice):
            for level in Urgency:
                yield f"{label}, {URGENCY_WORDS[level]}", value.for_urgency(level) or "—"


def _table(caption: str, rows: list[tuple[str, str]], *, code: bool = False) -> str:
    if not rows:
        return ""
    cells = []
    for where, text in rows:
        label = f'<code class="id">{escape(where)}</code>' if code else escape(where)
        cells.append(f"<tr><td>{label}</td><td>{escape(text)}</td>{grade_cell(text)}</tr>")
    return (
        f'<table class="texts"><caption>{escape(caption)}</caption>'
        f"<tr><th>Where</th><th>Text</th><th>Grade</th></tr>{''.join(cells)}</table>"
    )


# -- example plans ------------------------------------------------------------------------------


@attrs.frozen
class Example:
    """One example plan: what it shows, the answers in words, the assessment and the plan.

    A follow-up example also holds its check-in, and ``text`` the follow-up's summary.
    """

    key: str
    title: str
    answers: str
    assessment: Assessment
    plan: Plan
    check_in: CheckIn | None = None
    text: str = ""

    def summary(self) -> str:
        """Return what the person reads, word for word."""
        return self.text or self.plan.summary()


def examples(protocol: Protocol, words: Words) -> list[Example]:
    """Return one example per urgency reached, and one with a required question unanswered."""
    made: list[Example] = []
    higher: set[object] = set()
    for level in sorted(Urgency, key=lambda u: u.rank, reverse=True):
        if level is Urgency.NONE:
            # Every capability yes, so that the plan shows every exercise as a person reads it.
            present = _least(protocol, words) | {
                f.name for f in protocol.facts if f.kind is FactKind.CAPABILITY
            }
            absent: frozenset[str] = frozenset()
            if not realisable(protocol, present):
                present = _least(protocol, words)
        else:
            triggers = triggers_urgency(protocol, level, limit=words.limit)
            own = [t for t in triggers if t not in higher]
            higher.update(triggers)
            if not own:
                continue
            present, absent = own[0].present, own[0].absent
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
    first = next((m for m in made if m.key == Urgency.NONE.value), None)
    # follow_up refuses a protocol with problems (a failing policy too): then there is none.
    usable = not protocol.check() and protocol.follow_up is not None
    if first is not None and usable and first.plan.exercises:
        made.append(_follow_up_example(protocol, first))
    return made


def _follow_up_example(protocol: Protocol, first: Example) -> Example:
    """Follow the plan of urgency none up a week later: one exercise each way, if it has three.

    The first exercise went well (one step up), the second hurt up to the amber limit (the same
    step), the third hurt more and the back was worse the next morning (one step down, or a
    stop); the others were not reported (the same step). Every red flag is asked again: no.
    """
    limits = protocol.follow_up
    assert limits is not None
    reports = (
        ExerciseReport(done=True, pain_during=0, next_morning=NextMorning.BETTER),
        ExerciseReport(done=True, pain_during=limits.amber_max, next_morning=NextMorning.SAME),
        ExerciseReport(
            done=True,
            pain_during=min(10, limits.amber_max + 1),
            next_morning=NextMorning.WORSE,
        ),
    )
    given = [p.exercise for p in first.plan.exercises]
    # Each rating a check-in asks again, a fifth of the way up its range (pain now 2 of 10).
    ratings = {i.key: i.least + (i.most - i.least) // 5 for i in check_in_instruments()}
    check_in = CheckIn(
        red_flags=dict.fromkeys(first.assessment.red_flags, False),
        days=7,
        **ratings,
        exercises={e.id: r for e, r in zip(given, reports, strict=False)},
    )
    followed = follow_up(first.plan, check_in, protocol=protocol)
    reported = ", ".join(
        f"{e.title} pain {r.pain_during}, next morning {r.next_morning}"
        for e, r in zip(given, reports, strict=False)
    )
    return Example(
        "follow-up",
        "A follow-up a week later",
        "the plan of urgency none, then every red flag no, "
        + "".join(f"{key} now {value}, " for key, value in ratings.items())
        + reported,
        first.assessment,
        followed.plan,
        check_in,
        followed.summary(),
    )


def _unanswered_example(protocol: Protocol, words: Words) -> Example | None:
    flags = [q for q in questions(protocol) if q.kind is QuestionKind.RED_FLAG and q.required]
    if not flags:
        return None
    base = example(protocol, _least(protocol, words))
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


def _least(protocol: Protocol, words: Words) -> frozenset[str]:
    """Return the facts every answered assessment has (a required score's lowest band)."""
    return triggers_urgency(protocol, Urgency.NONE, limit=words.limit)[0].present


def sheet_examples(protocol: Protocol, words: Words) -> list[Example] | None:
    """Return the example plans of the sheet, or ``None`` when the protocol cannot be evaluated."""
    return None if unreliable_problems(protocol) else examples(protocol, words)


def shown_exercises(shown: list[Example] | None) -> frozenset[str]:
    """Return the ids of the exercises the example plan of urgency none gives."""
    for item in shown or ():
        if item.key == Urgency.NONE.value:
            return frozenset(p.exercise.id for p in item.plan.exercises)
    return frozenset()


def plans_section(shown: list[Example] | None) -> Iterator[str]:
    """Yield the example plans, rendered as a person sees them."""
    yield '<section id="plans">'
    yield "<h2>Example plans: as a person sees them</h2>"
    if shown is None:
        yield (
            '<p class="bad">Not rendered: the protocol has problems that stop it being evaluated '
            "(see the static check).</p></section>"
        )
        return
    yield (
        "<p>Each plan is what <code>recommend</code> gives for the answers named, through "
        "<code>Plan.summary()</code>, word for word: one for each urgency (the answers are its "
        "first trigger), one with a required question unanswered, and a follow-up of the first "
        "a week later (<code>follow_up</code>: its check-in is in <code>data-check-in</code>)."
        "</p>"
    )
    for item in shown:
        data = escape(to_json(item.assessment))
        check_in = (
            f' data-check-in="{escape(to_json(item.check_in))}"'
            if item.check_in is not None
            else ""
        )
        yield (
            f'<figure class="plan" id="plan-{escape(item.key)}" '
            f'data-urgency="{escape(item.plan.urgency.value)}" data-assessment="{data}"'
            f"{check_in}>"
        )
        yield (
            f"<figcaption><strong>{escape(item.title)}</strong> — "
            f"{escape(item.answers)}.</figcaption>"
        )
        yield f"<pre>{escape(item.summary())}</pre>"
        yield "</figure>"
    yield "</section>"
