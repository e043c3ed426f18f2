"""Review a protocol and a change to it, as a clinical safety officer would before signing.

Run from the repository root: ``python examples/review_a_change.py``.

1. Ask exactly when an exercise is withheld: the minimal sets of answers, in the protocol's
   own question words.
2. Change the protocol (drop the rule that withholds the lying back arch when lying on the
   front is painful) and compare: the diff says the change is less safe and gives the
   answers that show it. The change also breaks one of the protocol's declared policies, so
   ``check()`` lists it and ``recommend`` refuses the changed protocol; ``review.replay`` (the
   same path without that refusal) replays the answers on both versions to reproduce it.
"""

from __future__ import annotations

import attrs

import backtriage as bt
from backtriage.review import diff, replay, when_withheld

protocol = bt.default_protocol()


def word(name: str) -> str:
    """Name a fact by its question, or a derived fact by what it is derived from."""
    fact = protocol.fact(name)
    if fact.question:
        return fact.question
    derive = fact.derive
    if derive is None:
        return name
    source = derive.source.value.replace("_", " ").replace("odi", "ODI")
    if derive.at_least is not None:
        return f"{source} {derive.at_least.replace('_', ' ')} or more"
    return f"{source} {derive.equals}"


def words(names: frozenset[str]) -> str:
    """Name each fact in words, the way the review sheet does."""
    return "; ".join(sorted(word(n) for n in names)) or "(always)"


triggers = when_withheld(protocol, "prone_extension")
print(f"The lying back arch is withheld in {len(triggers)} minimal ways; the last six are:")
for trigger in triggers[-6:]:
    line = f"- yes to: {words(trigger.present)}"
    if trigger.absent:
        line += f"; no to: {words(trigger.absent)}"
    print(f"{line}  [{', '.join(trigger.rules)}]")

changed = attrs.evolve(
    protocol,
    version=f"{protocol.version}-draft",
    rules=tuple(r for r in protocol.rules if r.id != "prone_lying_painful_no_prone_extension"),
)
result = diff(protocol, changed)
print()
print(f"less safe: {result.is_less_safe}")
print(result.summary())

# The edit also breaks a declared policy: the protocol states its clinical intent, and check()
# proves the rules against it. recommend() refuses such a protocol; the diff still compares it.
print()
problems = changed.check()
print(f"check() of {changed.version}: {len(problems)} problem(s)")
for problem in problems:
    print(f"- [{problem.code}] {problem.where}: {problem.message}")
try:
    bt.recommend(bt.Assessment(), protocol=changed)
except bt.ProtocolError:
    print("recommend() refuses it until the rule or the policy is put right.")

change = result.less_safe[0]
assert change.old_witness is not None
assert change.new_witness is not None
before = replay(change.old_witness, protocol)
after = replay(change.new_witness, changed)
print()
print("witness, old protocol gives:", sorted(p.exercise.id for p in before.exercises))
print("witness, new protocol gives:", sorted(p.exercise.id for p in after.exercises))
