"""What the ODI's description tells the review, the testing kit and the documents.

``describe_odi()`` is read once, at import, by the registry: these tests call it afresh and pin
down the words a reviewer reads (the bands' table, the level of a fact, what a missing ODI
does), what the testing kit's reports say of an ODI, and the helpers the reasoner and the
kit call (the least answers of a band, the same answers in another form).
"""

from __future__ import annotations

import pytest

from backtriage import DisabilityBand, OdiScore, OdiSection, score_odi
from backtriage.instruments.odi import describe_odi

SECTIONS = [section.value for section in OdiSection]


def test_the_bands_table_gives_each_band_its_label_scores_and_meaning() -> None:
    odi = describe_odi()
    assert odi.level_heading == "Band"
    assert [row[:2] for row in odi.level_rows] == [
        ("Minimal disability", "0 to 20 %"),
        ("Moderate disability", "above 20 to 40 %"),
        ("Severe disability", "above 40 to 60 %"),
        ("Very severe disability", "above 60 to 80 %"),
        ("Bed-bound", "above 80 to 100 %"),
    ]
    assert [row[2] for row in odi.level_rows] == [band.description for band in DisabilityBand]
    assert odi.levels == tuple(band.value for band in DisabilityBand)


def test_a_fact_on_an_odi_band_is_worded_with_the_band_and_its_lowest_score() -> None:
    words = [describe_odi().level_words(rank) for rank in range(len(DisabilityBand))]
    assert words == [
        "ODI scored (any band)",
        "ODI moderate or worse (score above 20 %)",
        "ODI severe or worse (score above 40 %)",
        "ODI very severe or worse (score above 60 %)",
        "ODI bed-bound (score above 80 %)",
    ]


def test_the_review_says_what_a_missing_odi_does() -> None:
    odi = describe_odi()
    assert odi.title == "Oswestry Disability Index (ODI)"
    assert odi.review_required == "every exercise is withheld until a scorable ODI is given."
    assert odi.review_optional == (
        "a protocol rule on an ODI band does not fire while no ODI is given."
    )
    (note,) = odi.review_notes
    assert note.endswith("every exercise is withheld until it is answered.")
    assert "`odi_max_missing`" in note


def test_the_odi_is_asked_of_everyone_and_has_its_fhir_form() -> None:
    odi = describe_odi()
    assert odi.always_asked is True
    assert odi.fhir_form().name == "odi"


@pytest.mark.parametrize("rank", range(len(DisabilityBand)))
def test_the_least_answers_of_a_band_are_the_smallest_total_in_it(rank: int) -> None:
    # 10 sections of 0..5 score total / 50: the band above 20 % starts at 11 (22 %).
    answers = describe_odi().answers_at(rank)
    assert list(answers) == SECTIONS
    assert all(0 <= value <= 5 for value in answers.values())
    assert sum(answers.values()) == [0, 11, 21, 31, 41][rank]
    band = score_odi(answers).band
    assert band.rank == rank
    assert describe_odi().rank(score_odi(answers)) == rank


def test_the_kit_reports_a_score_an_unscorable_odi_and_none() -> None:
    words = describe_odi().state_words
    assert words(score_odi([2] * 10), [2] * 10) == "ODI 40% (moderate)"
    assert words(None, None) == "ODI not given"
    assert words(None, dict.fromkeys(SECTIONS)) == "ODI not scorable"


def test_the_same_answers_are_relisted_in_the_other_form() -> None:
    relisted = describe_odi().relisted
    by_key = {section: code % 6 for code, section in enumerate(SECTIONS)}
    as_list = relisted(by_key)
    assert as_list == [by_key[section] for section in SECTIONS]
    # Keyed by member: the same answers.
    assert relisted({OdiSection(key): value for key, value in by_key.items()}) == as_list
    back = relisted(tuple(as_list))
    assert back == by_key
    assert isinstance(back, dict)
    assert list(back) == SECTIONS[::-1]  # another order, the same answers
    assert score_odi(back) == score_odi(by_key)
    assert relisted(None) is None
    score = score_odi([1] * 10)
    assert relisted(score) is score


def test_a_score_document_is_told_from_answers_by_its_keys() -> None:
    is_score = describe_odi().documents.is_score
    assert is_score({"raw": 20})
    assert is_score({"answered": 10})
    assert not is_score(dict.fromkeys(SECTIONS, 1))


def test_the_documents_name_the_score_fields_and_the_option() -> None:
    documents = describe_odi().documents
    assert documents.score_class is OdiScore
    assert documents.given == (("raw", int), ("answered", int))
    assert [key for key, _ in documents.optional] == ["missing", "multiple_marks"]
    assert [key for key, _ in documents.derived] == [
        "max_raw",
        "percent",
        "percent_rounded",
        "band",
    ]
    assert documents.options == (("odi_max_missing", int),)
    assert documents.answers_in_order is True
    assert documents.schema_aliases == ("odi-answers",)


def test_the_errors_and_the_rules_name_the_odi_in_these_words() -> None:
    odi = describe_odi()
    assert (odi.key, odi.score_attribute, odi.requirement, odi.derivation) == (
        "odi",
        "odi_score",
        "require_odi",
        "odi_band",
    )
    assert odi.input_words == "the ODI"
    assert odi.strategies == "backtriage.instruments._odi_strategies"
    documents = odi.documents
    assert documents.score is score_odi
    assert documents.score_words == "an ODI score"
    assert documents.answers_words == "ODI answers"
    assert documents.shapes_words == (
        "an object of section key to answer, a list of ten answers, an ODI score object, or null"
    )
    assert documents.complete_words == "no more sections unanswered than odi_max_missing allows"
    assert "OdiScore" in documents.schemas().definitions
    (note,) = odi.review_notes
    assert note == (
        "Missing answers: up to 1 of the ten sections may be unanswered (an app may set "
        "another limit per assessment, `odi_max_missing`); the score is then the share of "
        "the answered sections. With more unanswered, the ODI cannot be scored and counts "
        "as missing, required or not: every exercise is withheld until it is answered."
    )
