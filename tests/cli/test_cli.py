"""The ``backtriage`` command: each verb, its output and exit status, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import backtriage as bt
from backtriage.serialize import from_json, to_json
from cli_support import one_line_error

SECTIONS = [section.value for section in bt.OdiSection]
HEADER = ",".join(["id", *SECTIONS])
EXAMPLES = Path(__file__).parents[2] / "examples"
NO_FLAGS = {q.key: False for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


@pytest.fixture
def table(tmp_path: Path) -> Path:
    return write(
        tmp_path / "odi.csv",
        f"{HEADER}\np1,2,2,2,2,2,2,2,2,2,2\np2,2,1,2,2,2,2,1,,2,2\np3,1,1,1,7,1,1,1,1,1,1\n",
    )


# -- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [[], ["score"], ["recommend"], ["questions"], ["protocol"], ["protocol", "check"]],
    ids=["backtriage", "score", "recommend", "questions", "protocol", "protocol check"],
)
def test_every_verb_has_help(run: Any, argv: list[str]) -> None:
    result = run(*argv, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: backtriage {' '.join(argv)}".rstrip())


def test_a_usage_error_exits_2_with_argparse_s_message(run: Any) -> None:
    result = run("score")
    assert result.code == 2
    assert "the following arguments are required: FILE.csv" in result.err


def test_the_version_is_printed(run: Any) -> None:
    result = run("--version")
    assert (result.code, result.out.strip()) == (0, f"backtriage {bt.__version__}")


def test_python_dash_m_backtriage_runs_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "backtriage", "questions", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["questions"][0]["key"] == "ces_bladder"


# -- score --------------------------------------------------------------------------------------


def test_score_writes_one_csv_row_per_input_row_with_the_kept_columns(
    run: Any, table: Path
) -> None:
    result = run("score", str(table))
    rows = result.rows()
    assert list(rows[0]) == [
        "row",
        "id",
        "odi_raw",
        "odi_answered",
        "odi_percent",
        "odi_percent_rounded",
        "odi_band",
        "odi_missing",
        "error",
    ]
    assert [r["id"] for r in rows] == ["p1", "p2", "p3"]
    assert rows[0] | {} == {
        "row": "1",
        "id": "p1",
        "odi_raw": "20",
        "odi_answered": "10",
        "odi_percent": "40.0",
        "odi_percent_rounded": "40",
        "odi_band": "moderate",
        "odi_missing": "",
        "error": "",
    }
    # 16 / 45 with sex_life missing [S5]
    assert (rows[1]["odi_raw"], rows[1]["odi_percent_rounded"], rows[1]["odi_missing"]) == (
        "16",
        "36",
        "sex_life",
    )


def test_a_bad_row_is_reported_in_the_error_column_and_exits_1_with_a_count(
    run: Any, table: Path
) -> None:
    result = run("score", str(table))
    bad = result.rows()[2]
    assert bad["odi_raw"] == ""
    assert bad["error"].startswith("walking: '7' is not")
    assert result.code == 1
    assert result.err.startswith("backtriage: 1 of 3 rows failed; first: row 3: walking: '7'")


def test_the_summary_names_the_row_of_the_first_failure_once(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "short.csv", f"{HEADER}\np1,2,2,2,2,2,2,2,2,2,2\np2,2,2\n")
    result = run("score", str(path))
    assert result.code == 1
    assert result.err.strip() == (
        "backtriage: 1 of 2 rows failed; first: row 2 has 3 fields but the header has 11"
    )


def test_a_stray_quote_that_joins_lines_is_an_error_row_naming_the_lines(
    run: Any, tmp_path: Path
) -> None:
    good = "1,1,1,1,1,1,1,1,1,1"
    text = f'{HEADER}\np1,{good}\np2,"{good}\np3,{good}\np4,{good}\n\np5,{good}\n'
    result = run("score", str(write(tmp_path / "quote.csv", text)))
    rows = result.rows()
    assert [r["row"] for r in rows] == ["1", "2"]
    assert rows[0]["odi_raw"] == "10"
    assert (rows[1]["id"], rows[1]["odi_raw"]) == ("p2", "")
    assert rows[1]["error"].startswith("row 2 spans lines 3 to 7 of the input: an unclosed quote?")
    assert result.code == 1
    assert "1 of 2 rows failed; first: row 2 spans lines 3 to 7" in result.err


def test_a_joined_record_is_a_json_lines_error_with_its_line_range(
    run: Any, tmp_path: Path
) -> None:
    text = f'{HEADER}\np1,"1,1,1,1,1,1,1,1,1,1\np2,1,1,1,1,1,1,1,1,1,1\n'
    result = run("score", str(write(tmp_path / "quote.csv", text)), "--format", "jsonl")
    (line,) = result.out.splitlines()
    error = json.loads(line)["error"]
    assert (error["field"], error["value"]) == ("row", [2, 3])


def test_a_huge_cell_fails_only_its_own_row(run: Any, tmp_path: Path) -> None:
    huge = "9" * 200_000
    text = f"{HEADER}\np1,{'1,' * 9}1\np2,{huge},{'1,' * 8}1\nx{huge},{'2,' * 9}2\n"
    limit = csv.field_size_limit()
    result = run("score", str(write(tmp_path / "huge.csv", text)), "--format", "jsonl")
    assert csv.field_size_limit() == limit  # the process-wide limit is put back
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [r["odi"] and r["odi"]["raw"] for r in records] == [10, None, 20]
    message = records[1]["error"]["message"]
    assert message.startswith("pain_intensity: '99999")
    assert len(message) < 300  # the cell is cut short in the message
    assert records[2]["id"] == "x" + huge
    assert result.code == 1


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_a_column_to_copy_that_is_named_twice_is_a_header_error(
    run: Any, tmp_path: Path, output_format: str
) -> None:
    path = write(tmp_path / "dup.csv", f"{HEADER},id\np,1,1,1,1,1,1,1,1,1,1,x\n")
    line = one_line_error(run("score", str(path), "--format", output_format))
    assert f"{path}: bad header: column 'id' appears more than once" in line


def test_one_of_two_columns_of_the_same_name_may_be_chosen_with_keep(
    run: Any, tmp_path: Path
) -> None:
    path = write(tmp_path / "dup.csv", f"{HEADER},id\np,1,1,1,1,1,1,1,1,1,1,x\n")
    result = run("score", str(path), "--keep", "id", "--format", "jsonl")
    assert json.loads(result.out)["id"] == "p"


def test_all_good_rows_exit_0_and_print_nothing_on_stderr(run: Any, tmp_path: Path) -> None:
    result = run("score", str(EXAMPLES / "odi_scores.csv"))
    assert (result.code, result.err) == (0, "")
    assert len(result.rows()) == 10


def test_json_lines_hold_the_score_document_or_the_error(run: Any, table: Path) -> None:
    result = run("score", str(table), "--format", "jsonl")
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert lines[0] == {
        "row": 1,
        "id": "p1",
        "odi": {
            "raw": 20,
            "answered": 10,
            "missing": [],
            "multiple_marks": [],
            "max_raw": 50,
            "percent": 40.0,
            "percent_rounded": 40,
            "band": "moderate",
        },
        "error": None,
    }
    assert lines[2]["odi"] is None
    assert lines[2]["error"]["field"] == "walking"
    assert lines[2]["error"]["value"] == "7"
    assert result.code == 1


def test_an_output_file_is_written_whole_and_jsonl_is_chosen_by_its_name(
    run: Any, table: Path, tmp_path: Path
) -> None:
    target = tmp_path / "scores.jsonl"
    result = run("score", str(table), "-o", str(target))
    assert result.out == ""
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
    assert json.loads(target.read_text(encoding="utf-8").splitlines()[0])["row"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odi.csv", "scores.jsonl"]


def test_a_failed_run_leaves_no_partial_output_file(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "latin.csv"
    source.write_bytes(f"{HEADER}\n".encode() + b"p\xe9,1,1,1,1,1,1,1,1,1,1\n")
    target = tmp_path / "out.csv"
    one_line_error(run("score", str(source), "-o", str(target)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin.csv"]


def test_other_headers_are_mapped_with_column(run: Any, tmp_path: Path) -> None:
    header = ",".join(["id", *(f"Q{i}" for i in range(1, 11))])
    source = write(tmp_path / "q.csv", f"{header}\na,1,1,1,1,1,1,1,1,1,1\n")
    argv = [f"--column=Q{i}={section}" for i, section in enumerate(SECTIONS, 1)]
    result = run("score", str(source), *argv)
    assert result.rows()[0]["odi_raw"] == "10"


def test_aliases_and_case_are_accepted_in_headers(run: Any, tmp_path: Path) -> None:
    header = ",".join(["ID", *(f"ODI-{i}" for i in range(1, 10)), "Traveling"])
    source = write(tmp_path / "aliases.csv", f"{header}\na,1,1,1,1,1,1,1,1,1,1\n")
    assert run("score", str(source)).rows()[0]["odi_raw"] == "10"


def test_keep_chooses_the_copied_columns(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path / "k.csv", f"site,{HEADER},visit\nA,p1,{','.join('1' * 10)},v1\n")
    assert list(run("score", str(source)).rows()[0])[:4] == ["row", "site", "id", "visit"]
    assert list(run("score", str(source), "--keep", "visit,id").rows()[0])[:3] == [
        "row",
        "visit",
        "id",
    ]
    assert list(run("score", str(source), "--keep", "").rows()[0])[:2] == ["row", "odi_raw"]


def test_standard_input_is_read_with_a_dash(
    run: Any, monkeypatch: pytest.MonkeyPatch, table: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(table.read_bytes())))
    assert [r["id"] for r in run("score", "-").rows()] == ["p1", "p2", "p3"]


def test_a_byte_order_mark_blank_lines_and_crlf_are_handled(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    body = f"{HEADER}\r\np1,{','.join('1' * 10)}\r\n\r\np2,{','.join('2' * 10)}\r\n"
    source.write_bytes(b"\xef\xbb\xbf" + body.encode())
    rows = run("score", str(source)).rows()
    assert [(r["row"], r["id"], r["odi_raw"]) for r in rows] == [
        ("1", "p1", "10"),
        ("2", "p2", "20"),
    ]


def test_a_row_with_too_few_fields_is_an_error_row(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path / "short.csv", f"{HEADER}\np1,1,1,1\np2,{','.join('1' * 10)}\n")
    result = run("score", str(source))
    rows = result.rows()
    assert rows[0]["id"] == "p1"
    assert rows[0]["error"] == "row 1 has 4 fields but the header has 11"
    assert rows[1]["odi_raw"] == "10"
    assert result.code == 1


@pytest.mark.parametrize(("delimiter", "sep"), [(";", ";"), ("tab", "\t")])
def test_other_delimiters_are_read(run: Any, tmp_path: Path, delimiter: str, sep: str) -> None:
    source = write(tmp_path / "d.csv", HEADER.replace(",", sep) + "\n" + sep.join(["p", *"1" * 10]))
    assert run("score", str(source), "--delimiter", delimiter).rows()[0]["odi_raw"] == "10"


def test_max_missing_lets_more_sections_be_unanswered(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path / "m.csv", f"{HEADER}\np,1,1,1,1,1,1,1,,,\n")
    assert run("score", str(source)).code == 1
    assert run("score", str(source), "--max-missing", "3").rows()[0]["odi_answered"] == "7"


def test_a_latin_1_file_is_read_with_its_encoding(run: Any, tmp_path: Path) -> None:
    source = write(tmp_path / "l.csv", f"{HEADER}\nJosé,{','.join('1' * 10)}\n", "latin-1")
    assert run("score", str(source), "--encoding", "latin-1").rows()[0]["id"] == "José"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_text_file_with_nul_bytes_in_its_declared_encoding_is_read(
    run: Any, tmp_path: Path, encoding: str
) -> None:
    source = tmp_path / "wide.csv"
    source.write_bytes(f"{HEADER}\nJosé,{','.join('1' * 10)}\n".encode(encoding))
    result = run("score", str(source), "--encoding", encoding)
    assert result.code == 0, result.err
    assert [(row["id"], row["odi_raw"]) for row in result.rows()] == [("José", "10")]


def test_utf_16_read_as_utf_8_names_the_encoding_to_pass(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "wide.csv"
    source.write_bytes(f"{HEADER}\n".encode("utf-16"))
    assert "pass --encoding utf-16" in one_line_error(run("score", str(source)))


def test_an_output_that_is_the_input_is_refused_and_nothing_is_written(
    run: Any, table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = table.read_bytes()
    link = table.with_name("link.csv")
    link.symlink_to(table)
    monkeypatch.chdir(table.parent)
    for output in (
        str(table),
        "odi.csv",
        "./odi.csv",
        f"../{table.parent.name}/odi.csv",
        "link.csv",
    ):
        for extra in ([], ["--format", "jsonl"]):
            line = one_line_error(run("score", "odi.csv", "-o", output, *extra))
            assert "is the input" in line
            assert table.read_bytes() == before
    assert sorted(path.name for path in table.parent.iterdir()) == ["link.csv", "odi.csv"]


def test_progress_lines_go_to_stderr_when_asked(run: Any, table: Path, tmp_path: Path) -> None:
    result = run("score", str(table), "-o", str(tmp_path / "o.csv"), "--progress", "always")
    assert result.err.splitlines()[0].startswith("backtriage: scored 3 rows in ")


def test_no_progress_for_a_small_input(run: Any, table: Path, tmp_path: Path) -> None:
    result = run("score", str(table), "-o", str(tmp_path / "o.csv"))
    assert "scored" not in result.err


def test_many_rows_are_written_in_order(run: Any, tmp_path: Path) -> None:
    lines = [HEADER] + [f"p{n},{','.join(str(n % 6) * 10)}" for n in range(20_000)]
    source = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    rows = run("score", str(source)).rows()
    assert len(rows) == 20_000
    assert rows[-1]["row"] == "20000"
    assert rows[-1]["odi_raw"] == str((19_999 % 6) * 10)


BAD_INPUTS: dict[str, tuple[str, list[str], str]] = {
    "missing file": ("", ["score", "{tmp}/nope.csv"], "nope.csv: no such file"),
    "a directory": ("", ["score", "{tmp}"], "is a directory"),
    "empty file": ("", ["score", "{file}"], "empty; expected a header row"),
    "bad header": (
        "id,a,b\n1,2,3\n",
        ["score", "{file}"],
        "bad header: expected a column for every",
    ),
    "two columns for a section": (
        f"{HEADER},Walking\n",
        ["score", "{file}"],
        "one column for section 'walking'",
    ),
    "bad encoding": (
        "\x00",  # replaced by bytes below
        ["score", "{file}"],
        "line 2: not utf-8 text (byte 0xe9",
    ),
    "unknown encoding": (
        f"{HEADER}\n",
        ["score", "{file}", "--encoding", "klingon"],
        "--encoding 'klingon': not a known text encoding",
    ),
    "a codec that is not for text": (
        f"{HEADER}\n",
        ["score", "{file}", "--encoding", "rot13"],
        "--encoding 'rot13': not a known text encoding",
    ),
    "UTF-16 without its byte order mark": (
        f"{HEADER}\n",
        ["score", "{file}", "--encoding", "utf-16"],
        "not utf-16 text (UTF-16 stream does not start with BOM)",
    ),
    "bad delimiter": (f"{HEADER}\n", ["score", "{file}", "--delimiter", ";;"], "one character"),
    "bad column option": (f"{HEADER}\n", ["score", "{file}", "--column", "Q1"], "HEADER=SECTION"),
    "unknown section": (f"{HEADER}\n", ["score", "{file}", "-c", "Q1=walk"], "not an ODI section"),
    "mapped twice": (
        f"{HEADER}\n",
        ["score", "{file}", "-c", "Q1=walking", "-c", "Q1=lifting"],
        "mapped twice",
    ),
    "mapped column absent": (f"{HEADER}\n", ["score", "{file}", "-c", "Q1=walking"], "'Q1'"),
    "unknown kept column": (
        f"{HEADER}\n",
        ["score", "{file}", "--keep", "site"],
        "no column 'site'",
    ),
    "name clash": (f"error,{HEADER}\n", ["score", "{file}"], "column 'error' has the name"),
    "negative max missing": (
        f"{HEADER}\n",
        ["score", "{file}", "--max-missing", "-1"],
        "0 or more",
    ),
    "no output directory": (
        f"{HEADER}\n",
        ["score", "{file}", "-o", "{tmp}/none/out.csv"],
        "no directory",
    ),
}


@pytest.mark.parametrize(("content", "argv", "words"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_a_bad_input_is_one_error_line_and_exit_status_2(
    run: Any, tmp_path: Path, content: str, argv: list[str], words: str
) -> None:
    source = tmp_path / "input.csv"
    if content == "\x00":
        source.write_bytes(f"{HEADER}\n".encode() + b"Jos\xe9,1,1,1,1,1,1,1,1,1,1\n")
    else:
        source.write_text(content, encoding="utf-8")
    argv = [a.format(tmp=tmp_path, file=source) for a in argv]
    line = one_line_error(run(*argv))
    assert words in line


# -- recommend ----------------------------------------------------------------------------------


def test_recommend_prints_the_plan_as_text(run: Any) -> None:
    result = run("recommend", str(EXAMPLES / "assessment.json"))
    assert result.code == 0
    plan = bt.recommend(from_json((EXAMPLES / "assessment.json").read_text(), bt.Assessment))
    assert result.out == plan.summary() + "\n"
    assert "not a diagnosis" in result.out


def test_recommend_prints_the_plan_as_json(run: Any) -> None:
    result = run("recommend", str(EXAMPLES / "assessment.json"), "--json")
    plan = from_json(result.out, bt.Plan)
    assert plan == bt.recommend(
        from_json((EXAMPLES / "assessment.json").read_text(), bt.Assessment)
    )


def test_recommend_reads_standard_input(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    text = to_json(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS | {"chest_pain": True}))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    result = run("recommend", "-", "--json")
    assert json.loads(result.out)["urgency"] == "emergency"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"odi": ' + "[" * 3000 + "]" * 3000 + "}", "nested"),
        ('{"age": ' + "9" * 5000 + "}", "4300 digits"),
    ],
    ids=["nested 3000 deep", "a 5000-digit number"],
)
def test_recommend_on_hostile_json_is_one_error_line(
    run: Any, tmp_path: Path, text: str, words: str
) -> None:
    line = one_line_error(run("recommend", str(write(tmp_path / "a.json", text))))
    assert line.startswith(f"backtriage: error: {tmp_path / 'a.json'}: $:")
    assert words in line


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"name": ' + "[" * 3000 + "]" * 3000 + "}", "nested"),
        ('{"name": "x", "version": ' + "9" * 5000 + "}", "more than 4300 digits"),
    ],
    ids=["nested 3000 deep", "a 5000-digit number"],
)
def test_protocol_check_on_hostile_json_is_one_error_line(
    run: Any, tmp_path: Path, text: str, words: str
) -> None:
    line = one_line_error(run("protocol", "check", str(write(tmp_path / "p.json", text))))
    assert words in line


def test_a_5000_digit_number_in_a_toml_protocol_is_one_error_line(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", f'name = "x"\nversion = {"9" * 5000}\n')
    line = one_line_error(run("protocol", "check", str(path)))
    assert "not valid TOML: a number has more than 4300 digits" in line


def test_an_error_of_recommend_names_the_assessment_file(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"red_flags": {"fievre": True}}))
    line = one_line_error(run("recommend", str(path)))
    assert line.startswith(f"backtriage: error: {path}: $.red_flags.fievre: unknown key")


def test_an_unexpected_failure_is_one_internal_error_line_and_exit_status_2(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(sys.modules["backtriage._plan"], "recommend", broken)
    line = one_line_error(run("recommend", str(EXAMPLES / "assessment.json")))
    assert line.startswith("backtriage: error: internal error: RuntimeError: something broke")


def test_recommend_uses_another_protocol(run: Any, tmp_path: Path) -> None:
    assessment = write(
        tmp_path / "a.json",
        json.dumps(
            {"red_flags": {"saddle_numbness": False, "fever": False, "not_improving": False}}
        ),
    )
    result = run(
        "recommend", str(assessment), "--json", "--protocol", str(EXAMPLES / "custom_protocol.toml")
    )
    assert json.loads(result.out)["protocol_name"] == "clinic-walking"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"red_flags": {"fever": "no"}}', "a.json: $.red_flags.fever: 'no'"),
        ('{"odi": [1, 2', "a.json: $: "),
        ('{"red_flags": {"feverish": true}}', "red_flags.feverish"),
    ],
    ids=["bad answer", "not JSON", "unknown red flag"],
)
def test_a_bad_assessment_is_one_error_line_naming_file_and_path(
    run: Any, tmp_path: Path, text: str, words: str
) -> None:
    write(tmp_path / "a.json", text)
    line = one_line_error(run("recommend", str(tmp_path / "a.json")))
    assert words in line


def test_an_assessment_that_is_not_utf_8_is_refused(run: Any, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b'{"findings": ["\xe9"]}')
    assert "not utf-8 text" in one_line_error(run("recommend", str(tmp_path / "a.json")))


def test_a_missing_assessment_or_protocol_file_is_one_error_line(run: Any, tmp_path: Path) -> None:
    assert "no such file" in one_line_error(run("recommend", str(tmp_path / "none.json")))
    assessment = str(EXAMPLES / "assessment.json")
    line = one_line_error(run("recommend", assessment, "--protocol", str(tmp_path / "p.toml")))
    assert "p.toml: no such file" in line


# -- questions ----------------------------------------------------------------------------------


def test_questions_lists_every_question_of_the_protocol_as_text(run: Any) -> None:
    result = run("questions")
    assert result.code == 0
    assert result.out.startswith("Questions of protocol backtriage-default")
    for question in bt.questions():
        assert f"  {question.key}" in result.out
    assert "  ces_bladder (required)" in result.out


def test_questions_as_json_match_the_library(run: Any, tmp_path: Path) -> None:
    data = json.loads(run("questions", "--json").out)
    assert data["schema_version"] == 3
    assert data["protocol"] == {"name": "backtriage-default", "version": "3.0.0"}
    assert [q["key"] for q in data["questions"]] == [q.key for q in bt.questions()]
    assert data["questions"][0] == {
        "key": "ces_bladder",
        "kind": "red_flag",
        "text": bt.questions()[0].text,
        "required": True,
        "asked_if": None,
    }


def test_questions_of_another_protocol(run: Any) -> None:
    result = run("questions", "--protocol", str(EXAMPLES / "custom_protocol.toml"))
    assert "clinic-walking" in result.out
    assert "saddle_numbness" in result.out


def test_questions_list_a_required_age_under_its_own_heading(run: Any, tmp_path: Path) -> None:
    text = (EXAMPLES / "custom_protocol.toml").read_text(encoding="utf-8")
    path = write(
        tmp_path / "aged.toml", text.replace('version = "', 'require_age = true\nversion = "', 1)
    )
    result = run("questions", "--protocol", str(path))
    assert result.code == 0
    assert "About the person:\n  age (required)\n      Your age in whole years." in result.out


# -- protocol check -----------------------------------------------------------------------------

BROKEN = """
name = "broken"
version = "1"
[[exercises]]
id = "walk"
title = "Walk"
family = "walking"
movement = "flexion"
position = "standing"
level = 1
in_bed = false
dosage = "d"
instructions = "i"
[[facts]]
name = "fever"
kind = "red_flag"
polarity = "risk"
required = true
question = "Fever?"
[[rules]]
id = "fever_same_day"
condition = { fact = "fevr" }
reason = "Fever needs a doctor."
source = "x"
actions = [{ refer = "same_day" }]
"""


def test_a_clean_protocol_checks_with_exit_status_0(run: Any) -> None:
    result = run("protocol", "check", str(EXAMPLES / "custom_protocol.toml"))
    assert result.code == 0
    assert result.out.strip().endswith("custom_protocol.toml: no problems")


def test_every_problem_is_printed_and_the_exit_status_is_1(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", BROKEN)
    result = run("protocol", "check", str(path))
    problems = bt.load_protocol(path).check()
    assert result.code == 1
    assert result.out.splitlines()[: len(problems)] == [str(p) for p in problems]
    assert "unknown-fact" in result.out
    assert (
        result.out.splitlines()[-1] == f"{path}: {len(problems)} problem(s), 0 property failure(s)"
    )


def test_a_protocol_that_cannot_be_loaded_is_one_error_line(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", BROKEN.replace('"same_day"', '"later"'))
    line = one_line_error(run("protocol", "check", str(path)))
    assert "rule 'fever_same_day'" in line
    assert "later" in line


def test_a_protocol_checked_against_itself_is_not_less_safe(run: Any) -> None:
    path = str(EXAMPLES / "custom_protocol.toml")
    result = run("protocol", "check", path, "--against", path)
    assert result.code == 0
    assert result.out.strip().endswith(f"no problems, and nothing less safe than {path}")


def test_an_edit_less_safe_than_the_reviewed_protocol_fails_the_check(
    run: Any, tmp_path: Path
) -> None:
    reviewed = EXAMPLES / "custom_protocol.toml"
    text = reviewed.read_text(encoding="utf-8")
    lowered = text.replace(
        'actions = [{ refer = "same_day" }]',
        'actions = [{ refer = "soon" }, { exclude = { all = true } }]',
    )
    assert lowered != text
    edited = write(tmp_path / "edited.toml", lowered)

    result = run("protocol", "check", str(edited), "--against", str(reviewed))

    assert result.code == 1
    lines = result.out.splitlines()
    assert any(line.startswith(f"less safe than {reviewed}: [urgency_lowered]") for line in lines)
    assert lines[-1].endswith(", 0 property failure(s), 1 less-safe change(s)")


@pytest.mark.slow
def test_properties_are_checked_when_asked(run: Any) -> None:
    pytest.importorskip("backtriage.testing.properties", reason="the testing kit is not built yet")
    result = run("protocol", "check", str(EXAMPLES / "custom_protocol.toml"), "--properties")
    assert result.code == 0
    assert result.out.strip().endswith("no problems, and every property holds")


def test_property_failures_are_printed_and_fail_the_check(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    properties = pytest.importorskip("backtriage.testing.properties")

    def failing(protocol: bt.Protocol) -> tuple[Any, ...]:
        return (
            properties.PropertyFailure(
                check="risk_monotone", message="risk_monotone: more risk, more exercises"
            ),
        )

    monkeypatch.setattr(properties, "check_properties", failing)
    result = run("protocol", "check", str(EXAMPLES / "custom_protocol.toml"), "--properties")
    assert result.code == 1
    assert "risk_monotone: more risk, more exercises" in result.out.splitlines()


@pytest.mark.slow
def test_properties_run_even_while_there_are_problems(run: Any, tmp_path: Path) -> None:
    # A failing property shows what a static problem does to a person's plan.
    path = write(tmp_path / "broken.toml", BROKEN)
    result = run("protocol", "check", str(path), "--properties")
    assert result.code == 1
    assert "property " in result.out
    assert "fever_same_day" in result.out.split("[never-fires]")[-1]


@pytest.mark.parametrize(
    ("missing", "words"),
    [("backtriage.testing.properties", "not available"), ("hypothesis", "pip install")],
)
def test_properties_without_their_module_are_one_error_line(
    run: Any, monkeypatch: pytest.MonkeyPatch, missing: str, words: str
) -> None:
    for name in list(sys.modules):
        if name.startswith("backtriage.testing"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)
    result = run("protocol", "check", str(EXAMPLES / "custom_protocol.toml"), "--properties")
    assert words in one_line_error(result)


# -- the edges of the command: pipes, devices, interruptions, progress -----------------------------


def test_a_truncated_character_at_the_end_is_located(run: Any, tmp_path: Path) -> None:
    source = tmp_path / "cut.csv"
    source.write_bytes(f"{HEADER}\n".encode() + b"p,1,1,1,1,1,1,1,1,1,1\xc3")
    size = source.stat().st_size
    line = one_line_error(run("score", str(source)))
    assert f"cut.csv, line 2: not utf-8 text (byte 0xc3 at offset {size - 1})" in line


def test_bad_bytes_on_standard_input_are_one_error_line(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = f"{HEADER}\n".encode() + b"p\xe9,1,1,1,1,1,1,1,1,1,1\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert "<stdin>: not utf-8 text" in one_line_error(run("score", "-"))


def test_a_full_device_is_one_error_line(run: Any, table: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    assert "No space left on device" in one_line_error(run("score", str(table), "-o", "/dev/full"))


def test_a_path_through_a_file_is_one_error_line(run: Any, table: Path) -> None:
    assert "Not a directory" in one_line_error(run("score", f"{table}/inner.csv"))


def test_an_interruption_exits_130_without_a_traceback(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    # The module that defines recommend() (the function is what the package exports).
    monkeypatch.setattr(sys.modules["backtriage._plan"], "recommend", interrupted)
    result = run("recommend", str(EXAMPLES / "assessment.json"))
    assert (result.code, result.err) == (130, "backtriage: interrupted\n")


def test_a_closed_pipe_stops_the_command_quietly(tmp_path: Path) -> None:
    lines = [HEADER] + [f"p{n},{','.join('1' * 10)}" for n in range(100_000)]
    source = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    with subprocess.Popen(
        [sys.executable, "-m", "backtriage", "score", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as command:
        assert command.stdout is not None
        assert command.stderr is not None
        assert command.stdout.readline().startswith(b"row,id,")
        command.stdout.close()  # as `| head -1` does
        error = command.stderr.read()
        assert command.wait(timeout=60) == 1
    assert error == b""


def test_progress_shows_the_share_of_the_input_read(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import itertools

    import backtriage.tables._stream

    ticks = itertools.count(0, 5)  # every reading of the clock is five seconds later
    monkeypatch.setattr("time.monotonic", lambda: next(ticks))
    monkeypatch.setattr(backtriage.tables._stream, "_BATCH", 2)
    lines = [HEADER] + [f"p{n},{','.join('1' * 10)}" for n in range(6)]
    source = write(tmp_path / "six.csv", "\n".join(lines) + "\n")
    result = run("score", str(source), "-o", str(tmp_path / "o.csv"), "--progress", "always")
    progress = result.err.splitlines()
    assert progress[0].startswith("backtriage: scored 2 rows (")
    assert progress[0].endswith("%)")
    assert progress[-1].startswith("backtriage: scored 6 rows in ")


def test_json_lines_give_unanswered_sections_of_an_error_as_a_list(
    run: Any, tmp_path: Path
) -> None:
    source = write(tmp_path / "gaps.csv", f"{HEADER}\np,1,1,1,,1,1,1,,1,1\n")
    (line,) = run("score", str(source), "-f", "jsonl").out.splitlines()
    assert json.loads(line)["error"]["value"] == ["walking", "sex_life"]


def test_the_package_runs_as_a_module(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["backtriage", "--version"])
    with pytest.raises(SystemExit) as info:
        runpy.run_module("backtriage", run_name="__main__")
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"backtriage {bt.__version__}"
