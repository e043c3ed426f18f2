"""``backtriage protocol review`` and ``backtriage protocol diff``: output, exit status, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import backtriage as bt
from backtriage.review import protocol_hash
from cli_support import one_line_error

DEFAULT_TOML = Path(bt.__file__).parent / "protocol" / "default.toml"
EXAMPLES = Path(__file__).parents[2] / "examples"


def changed(tmp_path: Path, name: str, edit: Any) -> Path:
    """Write the default protocol with ``edit(text)`` applied, as version NEXT."""
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    text = re.sub(r'^version = ".*"$', 'version = "NEXT"', text, count=1, flags=re.M)
    path = tmp_path / name
    path.write_text(edit(text), encoding="utf-8")
    return path


def without_rule(rule_id: str) -> Any:
    def edit(text: str) -> str:
        start = text.index(f'[[rules]]\nid = "{rule_id}"')
        end = text.find("[[rules]]", start + 1)
        return text[:start] + (text[end:] if end != -1 else "")

    return edit


@pytest.mark.parametrize("verb", ["review", "diff"])
def test_the_review_verbs_have_help(run: Any, verb: str) -> None:
    result = run("protocol", verb, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: backtriage protocol {verb}")


# -- protocol review ----------------------------------------------------------------------------


def test_review_writes_the_default_protocols_sheet_to_a_file(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    result = run("protocol", "review", "-o", str(out))
    assert (result.code, result.out, result.err) == (0, "", "")
    sheet = out.read_text(encoding="utf-8")
    assert sheet.startswith("<!DOCTYPE html>")
    assert protocol_hash(bt.default_protocol()) in sheet


def test_review_of_the_default_protocol_by_flag_or_by_file_is_the_same_sheet(run: Any) -> None:
    by_flag = run("protocol", "review", "--default")
    by_file = run("protocol", "review", str(DEFAULT_TOML))
    assert by_flag.code == by_file.code == 0
    assert by_flag.out == by_file.out
    assert "backtriage-default" in by_flag.out


def test_review_of_a_clinic_protocol_names_it(run: Any) -> None:
    result = run("protocol", "review", str(EXAMPLES / "custom_protocol.toml"))
    assert result.code == 0
    assert "Review sheet: clinic-walking" in result.out


def test_review_of_a_protocol_with_problems_writes_the_sheet_and_exits_1(
    run: Any, tmp_path: Path
) -> None:
    broken = changed(
        tmp_path, "broken.toml", lambda t: t.replace('source = "S29, S30, S43"', 'source = ""', 1)
    )
    out = tmp_path / "review.html"
    result = run("protocol", "review", str(broken), "-o", str(out))
    assert result.code == 1
    assert "1 problem(s), shown on the sheet" in result.err
    assert "missing-source" in out.read_text(encoding="utf-8")


def test_review_refuses_a_file_and_default_together(run: Any) -> None:
    line = one_line_error(run("protocol", "review", str(DEFAULT_TOML), "--default"))
    assert "give a protocol file or --default, not both" in line


def test_review_of_a_missing_file_is_one_error_line(run: Any, tmp_path: Path) -> None:
    line = one_line_error(run("protocol", "review", str(tmp_path / "nope.toml")))
    assert "nope.toml: no such file" in line


def test_review_into_a_missing_folder_is_one_error_line_and_writes_nothing(
    run: Any, tmp_path: Path
) -> None:
    line = one_line_error(run("protocol", "review", "-o", str(tmp_path / "no" / "r.html")))
    assert "cannot write it" in line
    assert not (tmp_path / "no").exists()


# -- protocol diff ------------------------------------------------------------------------------


def test_diff_of_a_protocol_with_itself_finds_nothing_less_safe(run: Any) -> None:
    result = run("protocol", "diff", str(DEFAULT_TOML), str(DEFAULT_TOML))
    assert result.code == 0
    assert result.out.rstrip().endswith("Nothing is less safe.")


def test_diff_exits_1_when_a_removed_exclusion_gives_an_exercise_back(
    run: Any, tmp_path: Path
) -> None:
    new = changed(tmp_path, "new.toml", without_rule("cannot_kneel"))
    result = run("protocol", "diff", str(DEFAULT_TOML), str(new))
    assert result.code == 1
    version = bt.default_protocol().version
    assert f"backtriage-default {version} -> backtriage-default NEXT" in result.out
    assert "LESS SAFE" in result.out
    less_safe = result.out.split("Less safe")[1].split("More cautious")[0]
    assert "kneel" in less_safe.lower()


def test_diff_as_json_names_both_versions_by_hash_and_lists_the_changes(
    run: Any, tmp_path: Path
) -> None:
    new = changed(tmp_path, "new.toml", without_rule("cannot_kneel"))
    result = run("protocol", "diff", str(DEFAULT_TOML), str(new), "--json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["is_less_safe"] is True
    assert document["old"] == {
        "name": "backtriage-default",
        "version": bt.default_protocol().version,
        "sha256": protocol_hash(bt.default_protocol()),
    }
    assert document["new"]["version"] == "NEXT"
    assert document["less_safe"]
    assert isinstance(document["more_cautious"], list)
    assert isinstance(document["text_changes"], list)


def test_diff_exits_0_when_a_new_rule_only_withholds_more(run: Any, tmp_path: Path) -> None:
    rule = (
        '\n[[rules]]\nid = "pregnant_no_kneeling"\ncondition = { fact = "pregnant" }\n'
        'reason = "In pregnancy, kneeling exercises are left out too."\n'
        'source = "S72"\nactions = [{ exclude = { positions = ["kneeling"] } }]\n'
    )
    new = changed(tmp_path, "new.toml", lambda t: t + rule)
    result = run("protocol", "diff", str(DEFAULT_TOML), str(new))
    assert result.code == 0, result.out
    assert "Nothing is less safe." in result.out
    assert "More cautious (" in result.out


def test_diff_refuses_a_protocol_with_problems_in_one_line(run: Any, tmp_path: Path) -> None:
    broken = changed(
        tmp_path, "broken.toml", lambda t: t.replace('source = "S29, S30, S43"', 'source = ""', 1)
    )
    line = one_line_error(run("protocol", "diff", str(DEFAULT_TOML), str(broken)))
    assert "broken.toml: the protocol has 1 problem(s)" in line


def test_diff_of_a_missing_file_is_one_error_line(run: Any, tmp_path: Path) -> None:
    line = one_line_error(run("protocol", "diff", str(tmp_path / "old.toml"), str(DEFAULT_TOML)))
    assert "old.toml: no such file" in line


def test_review_since_the_version_in_use_lists_the_changes(run: Any, tmp_path: Path) -> None:
    # Dropping a caution breaks no declared policy: the new version can be signed.
    new = changed(tmp_path, "new.toml", without_rule("muscle_spasm_forward_bend_caution"))
    out = tmp_path / "review.html"
    result = run("protocol", "review", str(new), "--since", str(DEFAULT_TOML), "-o", str(out))
    assert (result.code, result.err) == (0, "")
    sheet = out.read_text(encoding="utf-8")
    assert 'id="changes"' in sheet
    assert "1 change(s) make the protocol less safe" in sheet
    assert "declared policy" not in sheet


def test_review_since_of_an_edit_that_breaks_a_policy_lists_the_changes_and_exits_1(
    run: Any, tmp_path: Path
) -> None:
    new = changed(tmp_path, "new.toml", without_rule("cannot_kneel"))
    out = tmp_path / "review.html"
    result = run("protocol", "review", str(new), "--since", str(DEFAULT_TOML), "-o", str(out))
    assert result.code == 1
    assert "1 problem(s), shown on the sheet" in result.err
    sheet = out.read_text(encoding="utf-8")
    assert "The new version NEXT breaks 1 declared policy(ies)" in sheet
    assert "1 change(s) make the protocol less safe" in sheet


@pytest.mark.parametrize("verb", ["review", "diff"])
def test_a_search_over_the_limit_is_one_error_line_naming_the_option(run: Any, verb: str) -> None:
    files = [str(DEFAULT_TOML)] * (2 if verb == "diff" else 1)
    line = one_line_error(run("protocol", verb, *files, "--limit", "1"))
    assert "--limit N" in line


def test_a_protocol_error_other_than_the_limit_is_reported_as_it_is(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import backtriage.review

    def refuse(*args: object, **kwargs: object) -> str:
        raise bt.ProtocolError("cannot be reviewed", where="protocol 'x'")

    monkeypatch.setattr(backtriage.review, "review_sheet", refuse)
    line = one_line_error(run("protocol", "review"))
    assert line == "backtriage: error: protocol 'x': cannot be reviewed"


def test_a_witness_from_diff_json_reproduces_the_change_through_recommend(
    run: Any, tmp_path: Path
) -> None:
    # An edit that breaks no declared policy, so that recommend runs the new version too.
    rule = "muscle_spasm_forward_bend_caution"
    new = changed(tmp_path, "new.toml", without_rule(rule))
    (change,) = json.loads(run("protocol", "diff", str(DEFAULT_TOML), str(new), "--json").out)[
        "less_safe"
    ]
    assert (change["kind"], change["rule"]) == ("caution_dropped", rule)
    cautions = {}
    for side, protocol in (("old", DEFAULT_TOML), ("new", new)):
        witness = tmp_path / f"{side}.json"
        witness.write_text(json.dumps(change[f"{side}_witness"]), encoding="utf-8")
        result = run("recommend", str(witness), "--protocol", str(protocol), "--json")
        assert result.code == 0, result.err
        (given,) = (
            p
            for p in json.loads(result.out)["exercises"]
            if p["exercise"]["id"] == change["exercise"]
        )
        cautions[side] = {c["rule"] for c in given["cautions"]}
    assert rule in cautions["old"]
    assert rule not in cautions["new"]


def test_diff_compares_an_edit_that_breaks_a_declared_policy_and_names_it(
    run: Any, tmp_path: Path
) -> None:
    new = changed(tmp_path, "new.toml", without_rule("cannot_kneel"))
    result = run("protocol", "diff", str(DEFAULT_TOML), str(new), "--json")
    assert result.code == 1
    assert json.loads(result.out)["less_safe"][0]["exercise"] == "kneeling_extension"
    (line,) = result.err.strip().splitlines()
    assert (
        f"{new}: breaks 1 declared policy(ies), first: policy 'cannot_kneel_nothing_kneeling'"
        in line
    )
    # recommend refuses it: the witness of its change is replayed in Python with review.replay.
    witness = tmp_path / "witness.json"
    witness.write_text(json.dumps(json.loads(result.out)["less_safe"][0]["new_witness"]))
    line = one_line_error(run("recommend", str(witness), "--protocol", str(new)))
    assert "new.toml: the protocol has 1 problem(s) and cannot be used" in line


def test_diff_back_from_an_edit_that_breaks_a_policy_exits_0_and_names_the_old_version(
    run: Any, tmp_path: Path
) -> None:
    old = changed(tmp_path, "old.toml", without_rule("cannot_kneel"))
    result = run("protocol", "diff", str(old), str(DEFAULT_TOML))
    assert result.code == 0, result.err
    assert "Nothing is less safe." in result.out
    assert f"{old}: breaks 1 declared policy(ies)" in result.err
