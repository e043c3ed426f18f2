"""The testing kit on the default protocol."""

from __future__ import annotations

import statistics
import time
import tomllib

from harness import Report, Settings, fmt_time


def section_kit(report: Report, settings: Settings) -> None:
    """The testing kit on the default protocol: check() with its policies, and every property."""
    from importlib import resources

    from backtriage.protocol import protocol_from_data
    from backtriage.testing import CHECKS, check_properties

    text = resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")
    data = tomllib.loads(text)
    rounds = 1 if settings.quick else 3
    examples = 0 if settings.quick else 100  # the kit's default setting
    build: list[float] = []
    kit: list[float] = []
    for _ in range(rounds):
        start = time.process_time()
        protocol = protocol_from_data(data)  # compiles the engine and runs check()
        problems = protocol.check()
        build.append(time.process_time() - start)
        start = time.process_time()
        failures = check_properties(protocol, max_examples=examples)
        kit.append(time.process_time() - start)
    if problems or failures:
        raise SystemExit("the default protocol must pass the kit")
    total = statistics.median(b + k for b, k in zip(build, kit, strict=True))
    passed = None if settings.quick else total <= 10.0
    report.say(
        "## Testing kit",
        "",
        f"`check()` (static checks and the {len(protocol.policies)} declared policies) and "
        f"every property check ({len(CHECKS)}, `max_examples={examples}`) on the default "
        f"protocol, CPU time, median of {rounds} round(s).",
        "",
    )
    report.table(
        ["step", "median"],
        [
            ["load + `check()`", fmt_time(statistics.median(build))],
            ["`check_properties`", fmt_time(statistics.median(kit))],
        ],
    )
    mark = report.goal(
        "Testing kit", "kit on one protocol, default settings", "≤ 10 s", fmt_time(total), passed
    )
    report.say(f"Total: **{fmt_time(total)}**, goal ≤ 10 s: **{mark}**", "")
