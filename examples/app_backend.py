"""An app backend's view of backtriage: an assessment arrives as JSON, a plan goes back.

Run from the repository root: ``python examples/app_backend.py``. The handler below is what a
web framework's route would call; it needs no framework to show the flow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import backtriage as bt
from backtriage.serialize import from_json, to_dict

HERE = Path(__file__).parent


def handle_assessment(body: str | bytes) -> tuple[int, dict[str, Any]]:
    """Return ``(HTTP status, JSON body)`` for a POSTed assessment.

    A bad document is the client's error (400); the answer is an RFC 9457 problem document
    naming the JSON path of every bad field, so the app can point at the question; nothing is
    half done. It holds no answer the person gave, so it is also what the server logs
    (``str(error)`` may show an answer: it is for the developer, not for logs or clients).
    """
    try:
        assessment = from_json(body, bt.Assessment)
        plan = bt.recommend(assessment)
    except bt.BacktriageError as error:
        return 400, error.to_problem(status=400)
    response = to_dict(plan)
    # The app shows the disclaimer and the plain-text summary next to the structured plan.
    response["summary"] = plan.summary()
    return 200, response


def main() -> None:
    """Send the example assessment, then a broken one, through the handler."""
    status, plan = handle_assessment((HERE / "assessment.json").read_bytes())
    print(status, "urgency:", plan["urgency"])
    print("exercises:", ", ".join(p["exercise"]["title"] for p in plan["exercises"]))
    for item in plan["withheld"]:
        reasons = "; ".join(r["text"] for r in item["reasons"])
        print(f"withheld: {item['exercise']['title']}: {reasons}")

    # A red flag sent as "no" instead of false: refused, never read as "no".
    broken = json.loads((HERE / "assessment.json").read_text(encoding="utf-8"))
    broken["red_flags"]["fever"] = "no"
    status, answer = handle_assessment(json.dumps(broken))
    print(status, answer["errors"][0]["path"])

    # A red flag answered yes: an urgent plan with no exercises.
    urgent = json.loads((HERE / "assessment.json").read_text(encoding="utf-8"))
    urgent["red_flags"]["ces_saddle_numbness"] = True
    status, plan = handle_assessment(json.dumps(urgent))
    print(status, "urgency:", plan["urgency"], "exercises:", len(plan["exercises"]))


if __name__ == "__main__":
    main()
