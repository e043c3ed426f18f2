"""A problem document never carries a value the person gave, nor one derived from their answers.

Values derived from answers (a score, a subscale, the number of sections answered, an urgency)
are small numbers and common words, which no marker can recognise in a text. The property is
stated as an invariance instead: two inputs that are wrong in the same way, with different
values, give the same problem document. Whatever changes with the values stays in ``str(err)``.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.serialize import from_dict, to_dict

REQUIRED = {
    "age": 40,
    "start_back": dict.fromkeys((i.value for i in bt.StartBackItem), 0),
    "findings": {q.key: False for q in bt.questions() if q.kind == "finding" and q.required},
}
NO_FLAGS = {q.key: False for q in bt.questions() if q.kind == "red_flag"}


def _problem(action: object, *args: object) -> dict[str, object]:
    try:
        action(*args)  # type: ignore[operator]
    except bt.BacktriageError as exc:
        return exc.to_problem()
    raise AssertionError(f"no error for {args!r}")


def _same_for_all(problems: list[dict[str, object]]) -> None:
    first = json.dumps(problems[0], sort_keys=True)
    for other in problems[1:]:
        assert json.dumps(other, sort_keys=True) == first


# -- the instruments -------------------------------------------------------------------------


@given(st.data())
def test_a_start_back_total_outside_its_subscale_says_nothing_of_the_subscale(
    data: st.DataObject,
) -> None:
    problems = []
    for _ in range(2):
        psychosocial = data.draw(st.integers(0, 5))
        total = data.draw(st.integers(0, 9).filter(lambda t, p=psychosocial: not p <= t <= p + 4))
        problems.append(_problem(bt.StartBackScore, total, psychosocial))
    _same_for_all(problems)


@given(st.data())
def test_an_odi_raw_score_above_its_answers_says_nothing_of_how_many_were_answered(
    data: st.DataObject,
) -> None:
    problems = []
    for _ in range(2):
        answered = data.draw(st.integers(1, 9))
        raw = data.draw(st.integers(5 * answered + 1, 50))
        missing = tuple(bt.OdiSection)[answered:]
        problems.append(_problem(bt.OdiScore, raw, answered, missing))
    _same_for_all(problems)


@given(st.data())
def test_a_missing_list_of_the_wrong_length_says_nothing_of_how_many_were_answered(
    data: st.DataObject,
) -> None:
    problems = []
    for _ in range(2):
        answered = data.draw(st.integers(2, 10))
        wrong = tuple(bt.OdiSection)[: 10 - answered + 1]
        problems.append(_problem(bt.OdiScore, 0, answered, wrong))
    _same_for_all(problems)


@given(st.lists(st.integers(0, 5), max_size=30).filter(lambda a: len(a) != 10))
def test_a_list_of_the_wrong_length_says_nothing_of_its_length(answers: list[int]) -> None:
    _same_for_all([_problem(bt.score_odi, answers), _problem(bt.score_odi, [0] * 3)])


# -- score documents ----------------------------------------------------------------------------


def _odi_document(raw: int, answered: int) -> dict[str, object]:
    missing = tuple(bt.OdiSection)[answered:]
    return to_dict(bt.OdiScore(raw, answered, missing))


@given(
    st.sampled_from(["max_raw", "percent", "percent_rounded", "band"]),
    st.lists(
        st.integers(1, 10).flatmap(lambda n: st.tuples(st.integers(0, 5 * n), st.just(n))),
        min_size=2,
        max_size=2,
    ),
)
def test_a_score_document_that_disagrees_with_its_answers_says_nothing_of_the_score(
    key: str, scores: list[tuple[int, int]]
) -> None:
    problems = []
    for raw, answered in scores:
        document = _odi_document(raw, answered)
        wrong = {
            "max_raw": 51,
            "percent": 100.5 if document["percent"] != 100.5 else 0.5,
            "percent_rounded": 101,
            "band": "minimal" if document["band"] != "minimal" else "bed_bound",
        }[key]
        document[key] = wrong
        problems.append(_problem(from_dict, document, bt.OdiScore))
    _same_for_all(problems)


@given(st.integers(0, 5), st.integers(0, 4), st.integers(0, 5), st.integers(0, 4))
def test_a_start_back_document_whose_risk_disagrees_says_nothing_of_the_risk(
    p1: int, extra1: int, p2: int, extra2: int
) -> None:
    problems = []
    for psychosocial, extra in ((p1, extra1), (p2, extra2)):
        document = to_dict(bt.StartBackScore(psychosocial + extra, psychosocial))
        document["risk"] = "low" if document["risk"] != "low" else "high"
        problems.append(_problem(from_dict, document, bt.StartBackScore))
    _same_for_all(problems)


@given(st.lists(st.lists(st.integers(0, 5), min_size=10, max_size=10), min_size=2, max_size=2))
def test_an_assessment_whose_odi_score_disagrees_says_nothing_of_either_score(
    odis: list[list[int]],
) -> None:
    problems = []
    for odi in odis:
        document = to_dict(bt.Assessment(odi=odi, red_flags=NO_FLAGS, **REQUIRED))
        other = [(odi[0] + 1) % 6, *odi[1:]]  # another raw score
        document["odi_score"] = to_dict(bt.score_odi(other))
        del document["odi_score"]["schema_version"]  # type: ignore[attr-defined]
        problems.append(_problem(from_dict, document, bt.Assessment))
    _same_for_all(problems)


# -- plan documents -----------------------------------------------------------------------------


def _plan_document() -> dict[str, object]:
    return to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))


@given(
    st.lists(
        st.tuples(st.sampled_from(list(bt.Urgency)), st.sampled_from(list(bt.Urgency))).filter(
            lambda pair: pair[0] is not pair[1]
        ),
        min_size=2,
        max_size=2,
    )
)
def test_a_plan_whose_urgency_is_not_that_of_its_rules_says_nothing_of_either(
    pairs: list[tuple[bt.Urgency, bt.Urgency]],
) -> None:
    problems = []
    for urgency, fired in pairs:
        document = _plan_document()
        document.update(urgency=urgency.value, exercises=[], safety_net="")
        document["fired"] = [{"rule": "r", "reason": "t", "source": "s", "urgency": fired.value}]
        problems.append(_problem(from_dict, document, bt.Plan))
    _same_for_all(problems)


@given(st.lists(st.integers(1, 6), min_size=2, max_size=2))
def test_a_plan_with_a_question_too_many_says_nothing_of_how_many_are_missing(
    counts: list[int],
) -> None:
    problems = []
    for count in counts:
        document = _plan_document()
        names = [f"q{i}" for i in range(count)]
        document.update(exercises=[], missing=names, missing_questions=[*names, "extra"])
        problems.append(_problem(from_dict, document, bt.Plan))
    _same_for_all(problems)
