"""Protocol format 3: the scope, the structured safety net, the texts, and older documents."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

import backtriage as bt
from backtriage.protocol import protocol_from_data
from backtriage.protocol._default import DEFAULT_TOML
from backtriage.protocol._model import FORMAT, AgeBand, SafetyNet, Scope, Texts, Urgency


def default_data() -> dict[str, Any]:
    with open(DEFAULT_TOML, "rb") as file:
        return tomllib.load(file)


def codes_at(protocol: bt.Protocol) -> set[tuple[str, str]]:
    return {(p.code, p.where) for p in protocol.check()}


def test_the_default_protocol_is_format_3_with_a_scope_a_safety_net_and_texts() -> None:
    protocol = bt.default_protocol()
    assert protocol.format == FORMAT == 3
    assert isinstance(protocol.scope, Scope)
    assert protocol.scope.min_age == 16
    assert [(band.below, band.urgency) for band in protocol.scope.under_age] == [
        (12, Urgency.SAME_DAY),
        (16, Urgency.SOON),
    ]
    assert all(isinstance(band, AgeBand) and band.advice for band in protocol.scope.under_age)
    assert isinstance(protocol.safety_net, SafetyNet)
    assert protocol.safety_net.emergency
    assert protocol.safety_net.today
    assert protocol.safety_net.review
    assert isinstance(protocol.texts, Texts)
    assert protocol.texts.disclaimer
    assert protocol.texts.self_management
    assert protocol.check() == ()


@pytest.mark.parametrize(
    ("age", "band"),
    [(5, "same_day"), (11, "same_day"), (12, "soon"), (15, "soon"), (16, None), (80, None)],
)
def test_the_scope_gives_the_band_of_an_age_below_its_minimum(age: int, band: str | None) -> None:
    found = bt.default_protocol().scope.band(age)
    assert (found.value if found is not None else None) == band


def test_a_format_2_document_loads_and_check_names_every_field_format_3_needs() -> None:
    data = default_data()
    for key in ("format", "scope", "texts"):
        del data[key]
    data["safety_net"] = "Get help at once if something new happens."
    protocol = protocol_from_data(data)
    assert protocol.format == 2
    found = codes_at(protocol)
    assert ("old-format", "protocol 'backtriage-default'") in found
    assert ("missing-scope", "scope.intended_use") in found
    assert ("missing-scope", "scope.population") in found
    assert ("missing-safety-net", "safety_net.emergency") in found
    assert ("missing-safety-net", "safety_net.today") in found
    assert ("missing-safety-net", "safety_net.review") in found
    assert ("missing-text", "texts.disclaimer") in found
    assert ("missing-text", "texts.no_exercise_advice.routine") in found
    for problem in protocol.check():
        assert problem.fix, problem


def test_a_format_3_document_may_not_write_the_safety_net_as_one_text() -> None:
    data = default_data()
    data["safety_net"] = "Get help at once."
    with pytest.raises(bt.ProtocolError, match="safety_net"):
        protocol_from_data(data)


def test_the_new_sections_round_trip_through_json() -> None:
    protocol = bt.default_protocol()
    assert bt.from_json(bt.to_json(protocol), bt.Protocol) == protocol
    data = bt.to_dict(protocol)
    assert data["format"] == 3
    assert data["scope"]["under_age"][0] == {
        "below": 12,
        "urgency": "same_day",
        "advice": protocol.scope.under_age[0].advice,
    }
    assert data["safety_net"]["emergency"] == list(protocol.safety_net.emergency)
    assert data["texts"]["no_exercise_advice"]["emergency"]


def test_a_follow_up_question_and_a_rule_advice_load() -> None:
    data = default_data()
    data["facts"].append(
        {
            "name": "post_op_wound",
            "kind": "finding",
            "polarity": "risk",
            "question": "Is the wound red?",
            "required": True,
            "asked_if": "recent_spine_surgery",
        }
    )
    data["rules"][0]["advice"] = "Go now, and tell them about it."
    protocol = protocol_from_data(data)
    assert protocol.fact("post_op_wound").asked_if == "recent_spine_surgery"
    assert protocol.rules[0].advice == "Go now, and tell them about it."


def test_each_line_of_the_safety_net_reads_at_grade_8_or_below() -> None:
    # One sign a line, in plain words: Flesch-Kincaid grade by textstat 0.7.8.
    textstat = pytest.importorskip("textstat")
    net = bt.default_protocol().safety_net
    for line in (*net.emergency, *net.today, net.review):
        assert textstat.flesch_kincaid_grade(line) <= 8, line
