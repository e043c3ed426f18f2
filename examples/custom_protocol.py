"""An app's own protocol: load it, prove it consistent, build the form, make a plan.

Run from the repository root: ``python examples/custom_protocol.py``. The same checks run from
the command line: ``backtriage protocol check examples/custom_protocol.toml``.
"""

from __future__ import annotations

from pathlib import Path

import backtriage as bt

HERE = Path(__file__).parent


def main() -> None:
    """Load the clinic protocol and recommend for two people."""
    protocol = bt.load_protocol(HERE / "custom_protocol.toml")
    problems = protocol.check()
    for problem in problems:
        print(problem)
    print(f"{protocol.name} {protocol.version}: {len(problems)} problem(s)")

    # The form is built from the protocol, so a changed protocol changes the form.
    for question in bt.questions(protocol):
        print(f"- {question.key} ({question.kind.value}): {question.text}")

    steady = bt.Assessment(
        red_flags={"saddle_numbness": False, "fever": False, "not_improving": True},
        findings={"short_walk_tolerated"},
    )
    plan = bt.recommend(steady, protocol=protocol)
    print(plan.urgency.value, [p.exercise.id for p in plan.exercises])

    unsteady = bt.Assessment(
        red_flags={"saddle_numbness": False, "fever": False, "not_improving": False},
        findings={"poor_balance"},
    )
    plan = bt.recommend(unsteady, protocol=protocol)
    print(plan.urgency.value, [p.exercise.id for p in plan.exercises])
    for withheld in plan.withheld:
        print(f"  withheld {withheld.exercise.id}: {withheld.reasons[0].text}")


if __name__ == "__main__":
    main()
