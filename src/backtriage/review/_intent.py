"""The review sheet's account of what a protocol is for: its scope and its declared policies.

Absences are invisible in a list of triggers: the scope says who the protocol is for and what
it does not cover, for the reviewer to confirm first; the declared policies say, in words, the
clinical intent that ``check()`` proves the rules meet.
"""

from __future__ import annotations

from collections.abc import Iterator

from backtriage.protocol import Policy, Protocol, Selector, Urgency
from backtriage.review._diff import policy_failures
from backtriage.review._words import URGENCY_WORDS, Words, escape, selector_words

__all__ = ["policies_section", "scope_section"]


def scope_section(protocol: Protocol, words: Words) -> Iterator[str]:
    """Yield the scope: intended use, population, what is not covered, the age floor."""
    scope = protocol.scope
    yield '<section id="scope">'
    yield "<h2>Scope: confirm it first</h2>"
    if not (scope.intended_use and scope.population):
        yield (
            '<p class="bad">The protocol states no intended use or population (check() reports '
            "missing-scope): it cannot be signed off until it says who it is for.</p>"
        )
    yield '<table class="identity">'
    yield f"<tr><th>Intended use</th><td>{escape(scope.intended_use or 'not stated')}</td></tr>"
    yield f"<tr><th>Population</th><td>{escape(scope.population or 'not stated')}</td></tr>"
    if scope.not_covered:
        items = "".join(f"<li>{escape(line)}</li>" for line in scope.not_covered)
        yield f"<tr><th>Not covered</th><td><ul>{items}</ul></td></tr>"
    else:
        yield "<tr><th>Not covered</th><td>not stated</td></tr>"
    yield f"<tr><th>Minimum age</th><td>{_age_floor(protocol)}</td></tr>"
    if scope.source:
        cited = "; ".join(words.source(scope.source))
        yield f"<tr><th>Source</th><td>{escape(cited)}</td></tr>"
    yield "</table>"
    yield (
        '<p class="note">Only what the questions below ask is taken into account: a condition '
        "no question asks about (a pregnancy, a blood thinner, a known aneurysm, ...) is never "
        "seen by the protocol. Check that nothing the population above needs is missing.</p>"
    )
    yield (
        '<p class="confirm">&#9744; The intended use, population and exclusions match how the '
        "protocol will be used. Reviewer's initials: ____________</p>"
    )
    yield "</section>"


def _age_floor(protocol: Protocol) -> str:
    scope = protocol.scope
    if scope.min_age is None:
        return "none: the protocol gives exercises at any age"
    bands = []
    low = 0
    for band in scope.under_age:
        said = (
            f"from {low} to {band.below - 1}: at least {URGENCY_WORDS[band.urgency]}"
            if low
            else f"under {band.below}: at least {URGENCY_WORDS[band.urgency]}"
        )
        # The band's own advice, shown instead of the urgency's: listed with every text.
        bands.append(said + (" (with its own advice)" if band.advice else ""))
        low = band.below
    referred = f"; referred {', '.join(bands)}" if bands else ""
    return escape(
        f"{scope.min_age}: below it no exercise is given and only the red flags are asked"
        f"{referred}."
    )


# -- declared policies --------------------------------------------------------------------------


def policies_section(protocol: Protocol, words: Words) -> Iterator[str]:
    """Yield the declared policies in words, grouped by what they claim."""
    yield '<section id="policies">'
    yield f"<h2>Declared policies: the clinical intent ({len(protocol.policies)})</h2>"
    if not protocol.policies:
        yield (
            "<p>The protocol declares no policy: nothing states its intent apart from its "
            "rules.</p></section>"
        )
        return
    failing = {p.where for p in policy_failures(protocol)}
    yield (
        "<p>What the protocol's authors state its rules must do. <code>check()</code> proves "
        "each one exactly, for every combination of answers"
        + (
            f'; <strong class="bad">{len(failing)} do not hold</strong>, marked ✗.'
            if failing
            else ": every one holds."
        )
        + "</p>"
    )
    groups: dict[str, list[Policy]] = {}
    for policy in protocol.policies:
        groups.setdefault(_group(policy), []).append(policy)
    for heading in sorted(groups, key=_group_rank):
        # One paragraph a group, one bullet a policy: most are one short condition each.
        items = " ".join(
            f'<span class="policy">• {_policy(policy, words, failing)}</span>'
            for policy in groups[heading]
        )
        yield (
            f'<p class="policies"><strong>{escape(heading)} ({len(groups[heading])}):</strong> '
            f"{items}</p>"
        )
    yield "</section>"


def _group(policy: Policy) -> str:
    if policy.reaches is not None:
        return f"At least {URGENCY_WORDS[policy.reaches]}, on these answers alone"
    if policy.withholds is not None:
        return f"Withheld: {_selected(policy.withholds)}"
    if policy.cautions_or_withholds is not None:
        return f"Cautioned or withheld: {_selected(policy.cautions_or_withholds)}"
    if policy.required:
        return "Required questions: never read as “no” while unanswered"
    if policy.red_flags_withhold_all_from is not None:
        return "Red flags stop every exercise"
    return "Policies that make no claim"


def _group_rank(heading: str) -> tuple[int, str]:
    urgencies = [f"At least {URGENCY_WORDS[u]}," for u in sorted(Urgency, reverse=True)]
    for rank, start in enumerate(
        ["Required", "Red flags", *urgencies, "Withheld", "Cautioned", "Policies"]
    ):
        if heading.startswith(start):
            return rank, heading
    return len(urgencies) + 6, heading


def _selected(selector: Selector) -> str:
    return selector_words(selector)


def _policy(policy: Policy, words: Words, failing: set[str]) -> str:
    if policy.red_flags_withhold_all_from is not None:
        said = (
            "every red flag that refers at least "
            f"{URGENCY_WORDS[policy.red_flags_withhold_all_from]} withholds every exercise"
        )
    elif policy.required:
        # By key, linked to the question: the questions table below gives each one's words.
        links = ", ".join(
            f'<a href="#question-{escape(name)}"><code>{escape(name)}</code></a>'
            for name in policy.when
        )
        return _item(policy, links, failing)
    else:
        said = (
            " and ".join(
                words.fact(name).removeprefix("yes to ") for name in words.shown(policy.when)
            )
            or "always"
        )
    return _item(policy, escape(said), failing)


def _item(policy: Policy, said: str, failing: set[str]) -> str:
    mark = ' <span class="bad">✗ does not hold</span>' if f"policy '{policy.id}'" in failing else ""
    reason = f' <span class="by">— {escape(policy.reason)}</span>' if policy.reason else ""
    return f'<span id="policy-{escape(policy.id)}">{said}{mark}{reason}</span>'
