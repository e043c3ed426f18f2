"""The engine on synthetic protocols of 10 to 1,000 rules and 10 to 500 exercises."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from harness import (
    Batch,
    Report,
    Settings,
    Stat,
    fmt_time,
    interleave,
    looped,
    profile_batch,
    typical_assessments,
)


def synthetic_protocol(n_rules: int, n_exercises: int) -> tuple[Any, list[tuple[str, ...]]]:
    """Build a protocol of ``n_rules`` rules over ``n_exercises`` exercises, and typical inputs.

    Shapes follow the default protocol: about one risk fact per two rules, a fifth of them red
    flags that refer, the rest findings that exclude or caution by id, family, movement,
    position or level; most conditions a single fact, a quarter two facts together, a few
    ``any``/``at_least``; one exercise in twenty needs a capability. A typical input answers
    every red flag no and sets four findings and sometimes a capability.
    """
    import attrs

    from backtriage.protocol import _model as m

    rng = random.Random(n_rules * 1000 + n_exercises)
    movements, positions = list(m.Movement), list(m.Position)
    families = [f"family_{k}" for k in range(max(2, n_exercises // 5))]
    capabilities = [f"can_{k}" for k in range(max(1, n_exercises // 50))]
    exercises = [
        m.Exercise(
            id=f"ex_{i}",
            title=f"Exercise {i}",
            family=families[i % len(families)],
            movement=movements[i % len(movements)],
            position=positions[(i // 4) % len(positions)],
            level=1 + (i % 3 == 2),
            in_bed=i % 3 == 0,
            dosage="10 times",
            instructions="Slowly.",
            prerequisites=(capabilities[(i // 20) % len(capabilities)],) if i % 20 == 19 else (),
        )
        for i in range(n_exercises)
    ]
    n_risk = max(10, n_rules // 2)
    red_flags = [f"flag_{k}" for k in range(max(2, n_risk // 5))]
    findings = [f"finding_{k}" for k in range(n_risk - len(red_flags))]
    facts = [
        *(
            m.Fact(name, m.FactKind.RED_FLAG, m.Polarity.RISK, question="Is it so?", required=True)
            for name in red_flags
        ),
        *(m.Fact(name, m.FactKind.FINDING, m.Polarity.RISK) for name in findings),
        *(
            m.Fact(
                name,
                m.FactKind.CAPABILITY,
                m.Polarity.CAPABILITY,
                unlocked_by=exercises[(20 * k) % n_exercises].id,
            )
            for k, name in enumerate(capabilities)
        ),
    ]
    risk = red_flags + findings
    used_positions = [p for p in positions if any(e.position is p for e in exercises)]
    urgencies = [m.Urgency.ROUTINE, m.Urgency.SOON, m.Urgency.SAME_DAY, m.Urgency.EMERGENCY]

    def selector() -> m.Selector:
        kind = rng.choices(("ids", "families", "movements", "positions", "levels"), (8, 5, 3, 3, 1))
        if kind[0] == "ids":
            return m.Selector(ids=tuple(e.id for e in rng.sample(exercises, rng.randint(1, 3))))
        if kind[0] == "families":
            return m.Selector(families=(rng.choice(families),))
        if kind[0] == "movements":
            return m.Selector(movements=(rng.choice(movements),))
        if kind[0] == "positions":
            return m.Selector(positions=(rng.choice(used_positions),))
        return m.Selector(levels=(2,))

    rules = []
    for i in range(n_rules):
        first = risk[i % len(risk)]
        others = [m.FactIs(name) for name in rng.sample(findings, 2) if name != first]
        shape = rng.random()
        condition: m.Condition
        if shape < 0.6 or not others:
            condition = m.FactIs(first)
        elif shape < 0.85:
            condition = m.AllOf((m.FactIs(first), others[0]))
        elif shape < 0.95:
            condition = m.AnyOf((m.FactIs(first), *others))
        else:
            condition = m.AtLeast(2, (m.FactIs(first), *others))
        actions: list[m.Action]
        if first in red_flags:
            actions = [m.Refer(rng.choice(urgencies))]
        elif rng.random() < 0.2:
            actions = [m.Caution(selector(), "Go gently.")]
        else:
            actions = [m.Exclude(selector())]
            if rng.random() < 0.1:
                actions.append(m.Refer(m.Urgency.ROUTINE))
        rules.append(m.Rule(f"rule_{i}", condition, tuple(actions), "Because.", "S1"))
    protocol = m.Protocol(
        name=f"synthetic-{n_rules}x{n_exercises}",
        version="1",
        exercises=tuple(exercises),
        facts=tuple(facts),
        rules=tuple(rules),
        sources=(m.Source("S1", "synthetic"),),
        # The fixed texts format 3 needs: placeholders, one of each.
        safety_net=m.SafetyNet(emergency=("Sign.",), today=("Sign today.",), review="Review."),
        advice=m.UrgencyAdvice(**{u.value: f"Advice {u.value}." for u in m.Urgency}),
        format=3,
        scope=m.Scope(intended_use="Benchmarks.", population="Synthetic people."),
        texts=m.Texts(
            **{
                f.name: f"Text {f.name}."
                for f in attrs.fields(m.Texts)
                if isinstance(f.default, str)
            },
            self_management=("Keep active.",),
            no_exercise_advice=m.UrgencyAdvice(**{u.value: f"Plain {u.value}." for u in m.Urgency}),
        ),
    )
    inputs = []
    for _ in range(32):
        present = rng.sample(findings, min(4, len(findings)))
        if rng.random() < 0.3:
            present.append(rng.choice(capabilities))
        inputs.append(tuple(present))
    return protocol, inputs


SCALING_RULES = (10, 100, 1000)
SCALING_EXERCISES = (10, 100, 500)


def section_scaling(report: Report, settings: Settings) -> None:
    import backtriage as bt
    from backtriage.protocol._engine import engine_of

    cells: dict[str, tuple[Any, list[tuple[str, ...]]]] = {}
    default = bt.default_protocol()
    default_inputs = [bt.recommend(a).facts for a in typical_assessments(32)]
    cells[f"default ({len(default.rules)} × {len(default.exercises)})"] = (default, default_inputs)
    build: dict[str, float] = {}
    problems: dict[str, int] = {}
    for n_rules in SCALING_RULES:
        for n_exercises in SCALING_EXERCISES:
            start = time.process_time()
            protocol, inputs = synthetic_protocol(n_rules, n_exercises)
            engine_of(protocol)  # compiled on first use: part of what building costs
            name = f"{n_rules} × {n_exercises}"
            build[name] = time.process_time() - start
            problems[name] = len(protocol.check())
            cells[name] = (protocol, inputs)

    cases: dict[str, tuple[Batch, int]] = {}
    shape: dict[str, tuple[float, float, float]] = {}
    for name, (protocol, inputs) in cells.items():
        engine = engine_of(protocol)

        def evaluate(facts: object, engine: Any = engine) -> object:
            return engine.evaluate(facts, missing=())

        def explain(facts: object, engine: Any = engine) -> object:
            evaluation = engine.evaluate(facts, missing=())
            return evaluation.withheld(), evaluation.prescriptions(), evaluation.fired

        cases[f"{name}/evaluate"] = (looped(evaluate, inputs), len(inputs))
        cases[f"{name}/explain"] = (looped(explain, inputs), len(inputs))
        evaluations = [engine.evaluate(facts, missing=()) for facts in inputs]
        shape[name] = (
            statistics.mean(len(facts) for facts in inputs),
            statistics.mean(len(e.fired) for e in evaluations),
            statistics.mean(len(e.withheld()) for e in evaluations),
        )
    samples = interleave(cases, settings)
    stats = {name: Stat.of(values) for name, values in samples.items()}

    report.say(
        "## Engine scaling",
        "",
        "Synthetic protocols built in code with `backtriage.protocol` (see "
        "`synthetic_protocol` in this script for their shape), and the default protocol on "
        "the facts of typical assessments. *evaluate* is `engine_of(protocol).evaluate(facts, "
        "missing=())`; *+ explanation* adds `withheld()`, `prescriptions()` and `fired`, which "
        "build one object per exercise and so grow with the exercises by nature. All cells run "
        "in the same alternating rounds.",
        "",
    )
    rows = []
    for name in cells:
        evaluate, explain = stats[f"{name}/evaluate"], stats[f"{name}/explain"]
        facts, fired, withheld = shape[name]
        rows.append(
            [
                name,
                f"{facts:.1f}",
                f"{fired:.1f}",
                f"{withheld:.1f}",
                fmt_time(evaluate.median),
                f"{fmt_time(evaluate.q1)} – {fmt_time(evaluate.q3)}",
                fmt_time(explain.median),
                f"{fmt_time(explain.q1)} – {fmt_time(explain.q3)}",
                f"{fmt_time(build[name])}, {problems[name]} problems" if name in build else "-",
            ]
        )
    report.table(
        [
            "rules × exercises",
            "facts set",
            "rules fired",
            "withheld",
            "evaluate (median)",
            "IQR",
            "+ explanation (median)",
            "IQR",
            "build + check",
        ],
        rows,
    )

    def median(name: str, kind: str) -> float:
        return stats[f"{name}/{kind}"].median

    growth_rules = median("1000 × 500", "evaluate") / median("10 × 500", "evaluate")
    growth_exercises = median("1000 × 500", "evaluate") / median("1000 × 10", "evaluate")
    growth_all = median("1000 × 500", "evaluate") / median("10 × 10", "evaluate")
    report.say(
        f"Growth of *evaluate*: ×{growth_rules:.2f} from 10 to 1,000 rules (500 exercises), "
        f"×{growth_exercises:.2f} from 10 to 500 exercises (1,000 rules), ×{growth_all:.2f} "
        'from 10 × 10 to 1,000 × 500, where rules × exercises grows ×5,000. The goal "cost '
        'follows the rules that fire" is taken as met when the last figure is ≤ 10×.',
        "",
    )
    big, default_name = "1000 × 500", next(iter(cells))
    marks = [
        report.goal(
            "scaling",
            "evaluate, 1,000 rules × 500 exercises",
            "< 1 ms",
            fmt_time(median(big, "evaluate")),
            median(big, "evaluate") < 1e-3,
        ),
        report.goal(
            "scaling",
            "evaluate + explanation, 1,000 rules × 500 exercises",
            "< 1 ms",
            fmt_time(median(big, "explain")),
            median(big, "explain") < 1e-3,
        ),
        report.goal(
            "scaling",
            "evaluate, default protocol",
            "< 20 µs",
            fmt_time(median(default_name, "evaluate")),
            median(default_name, "evaluate") < 20e-6,
        ),
        report.goal(
            "scaling",
            "evaluate grows with fired rules, not rules × exercises",
            "10×10 → 1,000×500 ≤ 10×",
            f"×{growth_all:.2f}",
            growth_all <= 10,
        ),
    ]
    report.say(
        f"1,000 × 500 evaluate < 1 ms: **{marks[0]}**; with explanation < 1 ms: **{marks[1]}**; "
        f"default protocol evaluate < 20 µs: **{marks[2]}**; growth ≤ 10×: **{marks[3]}**",
        "",
    )
    if settings.profile:
        run = cases[f"{big}/evaluate"][0]
        profile_batch("evaluate, 1,000 × 500", run, 200)
        profile_batch("evaluate + explanation, 1,000 × 500", cases[f"{big}/explain"][0], 20)
