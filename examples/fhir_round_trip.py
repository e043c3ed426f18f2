"""FHIR R4 in and out, as plain JSON: a QuestionnaireResponse in, an Observation and a CarePlan out.

Run from the repository root: ``python examples/fhir_round_trip.py``. No FHIR library is used:
resources are the dicts ``json.loads`` gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import backtriage as bt
from backtriage import fhir
from backtriage.serialize import from_json

HERE = Path(__file__).parent


def main() -> None:
    """Score a response, write the Observation and CarePlan, and read the answers back."""
    response = json.loads((HERE / "odi_questionnaire_response.json").read_text(encoding="utf-8"))
    answers = fhir.read_questionnaire_response(response)
    score = bt.score_odi(answers)
    print(f"ODI {score.percent_rounded}% ({score.band.label}); missing: {', '.join(score.missing)}")

    observation = fhir.to_observation(score, response=response)
    print(json.dumps(observation, indent=2))

    # The rest of the assessment comes from the app; the ODI comes from the response.
    assessment_data = json.loads((HERE / "assessment.json").read_text(encoding="utf-8"))
    assessment_data["odi"] = answers
    plan = bt.recommend(from_json(json.dumps(assessment_data), bt.Assessment))
    care_plan = fhir.to_care_plan(
        plan,
        subject=response["subject"],
        supporting_info=[{"reference": "QuestionnaireResponse/odi-example-1"}],
    )
    print(f"CarePlan: {care_plan['status']}, {len(care_plan['activity'])} activities")

    # Round trip: the answers written as a QuestionnaireResponse read back the same.
    written = fhir.to_questionnaire_response(answers, subject=response["subject"])
    assert fhir.read_questionnaire_response(written) == answers
    assert fhir.score_questionnaire_response(written) == score
    print("round trip: answers and score are unchanged")


if __name__ == "__main__":
    main()
