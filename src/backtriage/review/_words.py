"""Say a protocol's facts, triggers, conditions, selectors and sources in words.

The review sheet is written for a clinician who does not read TOML: every name becomes the
question a person is asked, every threshold the score it means, every source tag its citation.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from backtriage._plan import QuestionKind
from backtriage.protocol import (
    Action,
    AllOf,
    AnyOf,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    FactIs,
    FactKind,
    Protocol,
    Refer,
    Selector,
    SourceKind,
    Trigger,
    Urgency,
)
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import AGE_INPUT, SCORED_BY_SOURCE, threshold_of
from backtriage.protocol._reasoner import RULE_PREREQUISITE, RULE_URGENCY, space_of

__all__ = [
    "ENGINE_RULES",
    "INPUT_WORDS",
    "KIND_WORDS",
    "SOURCE_KIND_WORDS",
    "URGENCY_WORDS",
    "Words",
    "derived_words",
    "escape",
    "selector_words",
]

ENGINE_RULES = {
    RULE_URGENCY: "engine invariant: a same-day or emergency urgency withholds every exercise",
    RULE_PREREQUISITE: "engine invariant: an exercise waits until its prerequisites are met",
}
URGENCY_WORDS = {
    Urgency.NONE: "none",
    Urgency.ROUTINE: "routine",
    Urgency.SOON: "soon (within about two weeks)",
    Urgency.SAME_DAY: "same day",
    Urgency.EMERGENCY: "emergency",
}
INPUT_WORDS = {
    **{instrument.key: instrument.input_words for instrument in SCORED_BY_SOURCE.values()},
    AGE_INPUT: "the age",
}
KIND_WORDS = {
    QuestionKind.RED_FLAG: "red flag",
    QuestionKind.INSTRUMENT: "questionnaire",
    QuestionKind.DETAIL: "about the person",
    QuestionKind.FINDING: "finding",
    QuestionKind.CAPABILITY: "capability",
}
SOURCE_KIND_WORDS = {
    SourceKind.GUIDELINE: "guideline",
    SourceKind.SYSTEMATIC_REVIEW: "systematic review",
    SourceKind.RANDOMISED_TRIAL: "randomised trial",
    SourceKind.COHORT: "cohort study",
    SourceKind.CASE_SERIES: "case series",
    SourceKind.CONSENSUS: "consensus statement",
    SourceKind.EXPERT_OPINION: "expert opinion",
    SourceKind.TEXTBOOK: "textbook",
    SourceKind.INSTRUMENT: "questionnaire documentation",
    SourceKind.PATIENT_INFORMATION: "patient information",
    SourceKind.DESIGN_DECISION: "design decision",
    SourceKind.SEED_PAGE: "the seed page (commercial; no evidence of its own)",
}


def escape(text: object) -> str:
    """Return ``text`` escaped for HTML text and attributes."""
    return html.escape(str(text), quote=True)


class Words:
    """Say facts, triggers, conditions, selectors and sources of one protocol in words."""

    def __init__(self, protocol: Protocol, limit: int) -> None:
        self.protocol = protocol
        self.limit = limit
        self.facts = engine_of(protocol).fact_by_name
        self.order = {fact.name: i for i, fact in enumerate(protocol.facts)}
        self.sources = {source.tag: source.citation for source in protocol.sources}
        self.kinds = {source.tag: source for source in protocol.sources}
        self.rule_ids = {rule.id for rule in protocol.rules}

    def fact(self, name: str) -> str:
        """Say that the fact ``name`` holds."""
        fact = self.facts.get(name)
        if fact is None:
            return f"{name} (not declared by this protocol)"
        if fact.kind is FactKind.DERIVED and fact.derive is not None:
            return derived_words(fact.derive)
        if fact.question:
            return f"yes to “{fact.question}”"
        return f"{name.replace('_', ' ')} (no question text)"

    def unanswered(self, name: str) -> str:
        """Name the input ``name`` of ``Plan.missing`` (a question or an instrument)."""
        fact = self.facts.get(name)
        if fact is not None and fact.question:
            return f"“{fact.question}”"
        return INPUT_WORDS.get(name, name)

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
            f'<span class="fact">{escape(self.fact(n))}</span>' for n in self.shown(trigger.present)
        ]
        parts.extend(
            f'<span class="fact absent">{escape(self.not_fact(n))}</span>'
            for n in sorted(trigger.absent, key=lambda n: (self.order.get(n, 0), n))
        )
        when = ' <span class="and">and</span> '.join(parts) or "always"
        return f'{when} <span class="by">({self.rules(trigger.rules)})</span>'

    def rules(self, rules: Sequence[str]) -> str:
        """Return links to ``rules``, engine invariants in words."""
        links = []
        for rule in rules:
            if rule in ENGINE_RULES:
                links.append(escape(ENGINE_RULES[rule]))
            elif rule in self.rule_ids:
                links.append(f'rule <a href="#rule-{escape(rule)}"><code>{escape(rule)}</code></a>')
            else:
                links.append(f"<code>{escape(rule)}</code>")
        return "; ".join(links)

    def condition(self, condition: Condition) -> str:
        """Return ``condition`` as HTML, nested lists for nested conditions."""
        if isinstance(condition, FactIs):
            return f'<span class="fact">{escape(self.fact(condition.fact))}</span>'
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
        how = selector_words(selector)
        return f'{escape(titles)} <span class="by">({escape(how)})</span>'

    def action(self, action: Action) -> str:
        """Return one action in words."""
        if isinstance(action, Refer):
            return f"Refer: at least <strong>{escape(URGENCY_WORDS[action.urgency])}</strong>"
        if isinstance(action, Exclude):
            return f"Withhold: {self.selection(action.select)}"
        return f"Caution on {self.selection(action.select)}: “{escape(action.text)}”"

    def action_short(self, action: Action) -> str:
        """Return one action in few words, exercises by id (the catalogue names them)."""
        if isinstance(action, Refer):
            return f"refer: <strong>{escape(URGENCY_WORDS[action.urgency])}</strong>"
        if isinstance(action, Exclude):
            return f"withhold {escape(selector_words(action.select))}"
        return f"caution on {escape(selector_words(action.select))}: “{escape(action.text)}”"

    def source_links(self, source: str) -> str:
        """Return ``source`` as links to the sources table, each tag with its kind and year."""
        cited = []
        for part in source.split(","):
            tag = part.strip()
            if not tag:
                continue
            known = self.kinds.get(tag)
            if known is None:
                cited.append(f"{escape(tag)} (cited as written: no source has this tag)")
                continue
            about = ", ".join(
                w
                for w in (
                    SOURCE_KIND_WORDS[known.kind].split(" (")[0] if known.kind else "",
                    str(known.year) if known.year else "",
                )
                if w
            )
            tail = f' <span class="by">({escape(about)})</span>' if about else ""
            cited.append(f'<a href="#source-{escape(tag)}">{escape(tag)}</a>{tail}')
        return "; ".join(cited) or escape(source)

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


def derived_words(derive: Derivation) -> str:
    """Say what a derived fact means, e.g. "age 65 years or over" (a scored questionnaire's
    level in its own words)."""
    source = derive.source
    if source is DerivedFrom.PREFERENCE:
        return f"directional preference {derive.equals}"
    least = threshold_of(derive)
    if least is None:
        return f"{source.value} at least {derive.at_least} (not a valid threshold)"
    instrument = SCORED_BY_SOURCE.get(source)
    if instrument is not None:
        return instrument.level_words(least)
    return f"age {least} years or over"


def selector_words(selector: Selector) -> str:
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
