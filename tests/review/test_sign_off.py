"""Sign-off records: what they hold, their JSON, and the loader that refuses what was not signed."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import Decision, SignOff, load_protocol
from backtriage.review import protocol_hash, review_sheet, sign_off
from cli_support import one_line_error

DEFAULT_TOML = Path(bt.__file__).parent / "protocol" / "default.toml"
DAY = datetime.date(2026, 12, 7)


@pytest.fixture(scope="module")
def default() -> bt.Protocol:
    return bt.default_protocol()


def approved(protocol: bt.Protocol, **changes: Any) -> SignOff:
    arguments: dict[str, Any] = {
        "reviewer": "A. Reviewer",
        "role": "Clinical safety officer, GMC 1234567",
        "decision": "approved",
        "hazard_log": "HL-7 v2, entries 12-15",
        "date": DAY,
        **changes,
    }
    return sign_off(protocol, **arguments)


def reworded(protocol: bt.Protocol) -> bt.Protocol:
    """Return ``protocol`` with one word of one rule's reason changed."""
    rule = protocol.rules[0]
    return attrs.evolve(
        protocol, rules=(attrs.evolve(rule, reason=rule.reason + " Now."), *protocol.rules[1:])
    )


# -- the record ---------------------------------------------------------------------------------


def test_a_record_names_the_protocol_by_name_version_and_hash(default: bt.Protocol) -> None:
    record = approved(
        default,
        decision="approved_with_conditions",
        conditions=["Only for adults seen in the clinic"],
        residual_risks=["A missed aneurysm: not asked"],
    )
    assert (record.protocol_name, record.protocol_version) == (default.name, default.version)
    assert record.protocol_hash == protocol_hash(default)
    assert record.library_version == bt.__version__
    assert record.date == DAY
    assert record.decision is Decision.APPROVED_WITH_CONDITIONS
    assert record.conditions == ("Only for adults seen in the clinic",)
    assert record.residual_risks == ("A missed aneurysm: not asked",)
    assert record.hazard_log == "HL-7 v2, entries 12-15"
    assert record.approves


def test_a_record_is_dated_today_unless_told(default: bt.Protocol) -> None:
    assert approved(default, date=None).date == datetime.date.today()
    assert approved(default, date="2025-01-31").date == datetime.date(2025, 1, 31)


def test_an_approval_with_conditions_needs_a_condition(default: bt.Protocol) -> None:
    with pytest.raises(bt.InvalidAnswerError, match="at least one condition") as caught:
        approved(default, decision="approved_with_conditions")
    assert caught.value.field == "conditions"


def test_a_plain_approval_takes_no_condition(default: bt.Protocol) -> None:
    with pytest.raises(bt.InvalidAnswerError, match="approved_with_conditions"):
        approved(default, conditions=["keep the GP informed"])


def test_a_refusal_does_not_approve_and_may_say_what_must_change(default: bt.Protocol) -> None:
    record = approved(default, decision="not_approved", conditions=["Ask about blood thinners"])
    assert not record.approves


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"decision": "yes"}, "decision"),
        ({"decision": True}, "decision"),
        ({"reviewer": ""}, "reviewer"),
        ({"reviewer": "   "}, "reviewer"),
        ({"role": None}, "role"),
        ({"conditions": "one condition"}, "conditions"),
        ({"decision": "not_approved", "conditions": ["ok", ""]}, "conditions[1]"),
        ({"residual_risks": [3]}, "residual_risks[0]"),
        ({"hazard_log": None}, "hazard_log"),
        ({"date": "07/12/2026"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": datetime.datetime(2026, 12, 7, 10, 0)}, "date"),
    ],
)
def test_a_bad_argument_is_refused_by_name(
    default: bt.Protocol, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        approved(default, **changes)
    assert caught.value.field == field


def test_a_protocol_with_problems_cannot_be_approved_but_may_be_refused(
    default: bt.Protocol,
) -> None:
    broken = attrs.evolve(default, rules=(*default.rules, attrs.evolve(default.rules[0])))
    assert broken.check()
    with pytest.raises(bt.ProtocolError, match="cannot be approved"):
        approved(broken)
    assert not approved(broken, decision="not_approved").approves


def test_the_hash_must_be_a_sha256() -> None:
    with pytest.raises(bt.InvalidAnswerError, match="64 lower-case hexadecimal"):
        SignOff("p", "1", "ABC", "0.3.0", DAY, "r", "role", Decision.APPROVED)


# -- JSON ---------------------------------------------------------------------------------------


texts = st.text(min_size=1, max_size=20).filter(str.strip)


@st.composite
def records(draw: st.DrawFn) -> SignOff:
    decision = draw(st.sampled_from(Decision))
    conditions = draw(st.lists(texts, max_size=3))
    if decision is Decision.APPROVED:
        conditions = []
    elif decision is Decision.APPROVED_WITH_CONDITIONS and not conditions:
        conditions = ["a condition"]
    return SignOff(
        protocol_name=draw(texts),
        protocol_version=draw(texts),
        protocol_hash=draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        library_version=draw(texts),
        date=draw(st.dates()),
        reviewer=draw(texts),
        role=draw(texts),
        decision=decision,
        conditions=tuple(conditions),
        residual_risks=tuple(draw(st.lists(texts, max_size=3))),
        hazard_log=draw(st.text(max_size=20)),
    )


@given(records())
def test_a_record_round_trips_through_json_and_matches_its_schema(record: SignOff) -> None:
    text = bt.to_json(record)
    assert bt.from_json(text, SignOff) == record
    data = json.loads(text)
    assert next(iter(data)) == "schema_version"
    jsonschema.Draft202012Validator(bt.serialize.json_schema(SignOff)).validate(data)


def test_the_schema_refuses_a_conditional_approval_without_a_condition(
    default: bt.Protocol,
) -> None:
    data = bt.to_dict(approved(default))
    data["decision"] = "approved_with_conditions"
    validator = jsonschema.Draft202012Validator(bt.serialize.json_schema(SignOff))
    assert not validator.is_valid(data)


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.update(protocol_hash="0" * 63), "$.protocol_hash"),
        (lambda d: d.update(date="2026-13-01"), "$.date"),
        (lambda d: d.update(decision="approved_with_conditions"), "$.conditions"),
        (lambda d: d.update(conditions="x"), "$.conditions"),
        (lambda d: d.update(signed_by="me"), "$.signed_by"),
        (lambda d: d.pop("reviewer"), "$.reviewer"),
        (lambda d: d.update(schema_version=99), "$.schema_version"),
    ],
)
def test_a_bad_record_document_is_refused_at_its_path(
    default: bt.Protocol, edit: Any, path: str
) -> None:
    data = bt.to_dict(approved(default))
    edit(data)
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(data, SignOff)
    assert caught.value.errors[0].path == path


# -- the loader ---------------------------------------------------------------------------------


def test_the_signed_protocol_loads_from_a_file_text_or_data(default: bt.Protocol) -> None:
    record = approved(load_protocol(DEFAULT_TOML))
    assert load_protocol(DEFAULT_TOML, signed=record) == default
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    assert load_protocol(text=text, signed=record) == default
    assert load_protocol(json.loads(bt.to_json(default)), signed=record) == default


def test_a_protocol_changed_after_signing_is_refused(tmp_path: Path, default: bt.Protocol) -> None:
    record = approved(default)
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    # One word of what a person reads, nothing the engine decides by.
    changed = re.sub(r'(\[advice\]\nnone = ")', r"\1Good news. ", text, count=1)
    assert changed != text
    path = tmp_path / "changed.toml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(bt.ProtocolError, match="changed since it was signed") as caught:
        load_protocol(path, signed=record)
    assert caught.value.field == "signed"
    assert caught.value.source == str(path)
    with pytest.raises(bt.ProtocolError, match="changed since it was signed"):
        load_protocol(text=changed, signed=record)
    with pytest.raises(bt.ProtocolError, match="changed since it was signed"):
        load_protocol(json.loads(bt.to_json(reworded(default))), signed=record)


def test_a_protocol_the_record_does_not_approve_is_refused(default: bt.Protocol) -> None:
    record = approved(default, decision="not_approved")
    with pytest.raises(bt.ProtocolError, match="does not approve"):
        load_protocol(DEFAULT_TOML, signed=record)


def test_a_record_of_another_protocol_is_refused(default: bt.Protocol) -> None:
    other = approved(reworded(default))
    with pytest.raises(bt.ProtocolError, match="not the protocol the sign-off record names"):
        load_protocol(DEFAULT_TOML, signed=other)


def test_signed_must_be_a_record(default: bt.Protocol) -> None:
    with pytest.raises(bt.ProtocolError, match="signed must be a SignOff"):
        load_protocol(DEFAULT_TOML, signed=protocol_hash(default))  # type: ignore[arg-type]


def test_a_conditional_approval_lets_the_protocol_load(default: bt.Protocol) -> None:
    record = approved(default, decision="approved_with_conditions", conditions=["adults only"])
    assert load_protocol(DEFAULT_TOML, signed=record) == default


# -- the sheet since a record -------------------------------------------------------------------


def test_the_sheet_since_a_record_shows_the_signed_version(default: bt.Protocol) -> None:
    record = approved(default)
    sheet = review_sheet(default, previous=record)
    assert 'id="signed"' in sheet
    assert "This is the signed version" in sheet
    assert "A. Reviewer" in sheet
    assert "HL-7 v2, entries 12-15" in sheet


def test_the_sheet_since_a_record_of_an_older_version_says_it_changed(
    default: bt.Protocol,
) -> None:
    sheet = review_sheet(reworded(default), previous=approved(default))
    assert "This version is not the signed one" in sheet
    assert 'id="changes"' not in sheet  # the record alone does not hold the old rules


def test_the_sheet_since_a_record_and_its_protocol_lists_the_changes(
    default: bt.Protocol,
) -> None:
    sheet = review_sheet(reworded(default), previous=default, signed=approved(default))
    assert "This version is not the signed one" in sheet
    assert 'id="changes"' in sheet


def test_the_sheet_refuses_a_record_that_is_not_of_the_previous_version(
    default: bt.Protocol,
) -> None:
    with pytest.raises(bt.ProtocolError, match="not the one the sign-off record names"):
        review_sheet(default, previous=default, signed=approved(reworded(default)))


# -- the command --------------------------------------------------------------------------------


def sign_args(*extra: str) -> tuple[str, ...]:
    return (
        "protocol",
        "sign-off",
        str(DEFAULT_TOML),
        "--reviewer",
        "A. Reviewer",
        "--role",
        "CSO",
        "--hazard-log",
        "HL-7",
        "--date",
        "2026-12-07",
        *extra,
    )


def test_sign_off_writes_a_record_that_loads_the_protocol(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "signed.json"
    result = run(
        *sign_args(
            "--decision",
            "approved_with_conditions",
            "--condition",
            "adults only",
            "--condition",
            "in clinic",
            "--residual-risk",
            "no pregnancy question",
            "-o",
            str(out),
        )
    )
    assert (result.code, result.err) == (0, "")
    record = bt.from_json(out.read_text(encoding="utf-8"), SignOff)
    assert record.conditions == ("adults only", "in clinic")
    assert record.residual_risks == ("no pregnancy question",)
    assert record.date == DAY
    assert load_protocol(DEFAULT_TOML, signed=record) == bt.default_protocol()


def test_sign_off_refuses_a_conditional_approval_without_a_condition(run: Any) -> None:
    line = one_line_error(run(*sign_args("--decision", "approved_with_conditions")))
    assert "at least one condition" in line


def test_review_since_a_record_or_a_file_or_both(run: Any, tmp_path: Path) -> None:
    record = tmp_path / "signed.json"
    assert run(*sign_args("--decision", "approved", "-o", str(record))).code == 0
    by_record = run("protocol", "review", "--since", str(record))
    assert by_record.code == 0
    assert "This is the signed version" in by_record.out
    both = run("protocol", "review", "--since", str(record), "--since", str(DEFAULT_TOML))
    assert both.code == 0
    assert 'id="changes"' in both.out
    assert 'id="signed"' in both.out
    by_file = run("protocol", "review", "--since", str(DEFAULT_TOML))
    assert 'id="changes"' in by_file.out
    assert 'id="signed"' not in by_file.out


def test_review_since_a_broken_record_says_so(run: Any, tmp_path: Path) -> None:
    record = tmp_path / "signed.json"
    assert run(*sign_args("--decision", "approved", "-o", str(record))).code == 0
    data = json.loads(record.read_text(encoding="utf-8"))
    data["protocol_hash"] = "nope"
    record.write_text(json.dumps(data), encoding="utf-8")
    line = one_line_error(run("protocol", "review", "--since", str(record)))
    assert "not a valid sign-off record" in line
    assert "$.protocol_hash" in line


def test_the_record_may_be_given_as_its_json_data(default: bt.Protocol) -> None:
    data = bt.to_dict(approved(default))
    assert load_protocol(DEFAULT_TOML, signed=data) == default
    data["protocol_hash"] = "f" * 64
    with pytest.raises(bt.ProtocolError, match="changed since it was signed"):
        load_protocol(DEFAULT_TOML, signed=data)
    data["date"] = "yesterday"
    with pytest.raises(bt.ProtocolError, match="not a valid sign-off record") as caught:
        load_protocol(DEFAULT_TOML, signed=data)
    assert caught.value.errors[0].path == "$.date"


def test_sign_off_has_help(run: Any) -> None:
    result = run("protocol", "sign-off", "--help")
    assert result.code == 0
    assert result.out.startswith("usage: backtriage protocol sign-off")


def test_sign_off_of_the_default_protocol_by_flag(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "signed.json"
    result = run(
        "protocol",
        "sign-off",
        "--default",
        "--reviewer",
        "A. Reviewer",
        "--role",
        "CSO",
        "--decision",
        "not_approved",
        "--hazard-log",
        "HL-7",
        "-o",
        str(out),
    )
    assert result.code == 0
    record = bt.from_json(out.read_text(encoding="utf-8"), SignOff)
    assert record.protocol_hash == protocol_hash(bt.default_protocol())
    with pytest.raises(bt.ProtocolError, match="does not approve"):
        load_protocol(DEFAULT_TOML, signed=record)
