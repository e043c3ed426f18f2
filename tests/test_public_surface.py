"""The public surface: the names of 0.1.0 stay, the deprecated paths still import for 0.2."""

from __future__ import annotations

import importlib

import pytest

import backtriage as bt
import backtriage.protocol
import backtriage.serialize

# The public names of backtriage 0.1.0: every one of them stays.
NAMES_0_1 = {
    "Assessment", "BacktriageError", "DisabilityBand", "Exercise", "Fact", "FactKind",
    "FiredRule", "IncompleteError", "InvalidAnswerError", "Movement", "OdiChange", "OdiScore",
    "OdiSection", "Plan", "Polarity", "Position", "Preference", "Prescription", "Problem",
    "Protocol", "ProtocolError", "Question", "QuestionKind", "Reason", "RowError", "Rule",
    "StartBackItem", "StartBackRisk", "StartBackScore", "Urgency", "Withheld", "__version__",
    "default_protocol", "from_dict", "from_json", "load_protocol", "odi_change", "questions",
    "recommend", "score_odi", "score_odi_many", "score_start_back", "to_dict", "to_json",
}  # fmt: skip


def test_every_public_name_of_0_1_is_still_exported() -> None:
    assert set(bt.__all__) >= NAMES_0_1
    for name in bt.__all__:
        assert getattr(bt, name) is not None


def test_no_module_is_shadowed_by_a_function_of_its_name() -> None:
    # backtriage.recommend is the function; the module that defines it has another name.
    assert callable(bt.recommend)
    assert bt.recommend.__module__ == "backtriage._plan"


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("backtriage.protocol", ["Protocol", "Rule", "Urgency", "Problem", "check_protocol"]),
        ("backtriage.protocol", ["load_protocol", "protocol_from_data", "default_protocol"]),
        ("backtriage.serialize", ["json_schema", "to_json", "from_json"]),
        ("backtriage.batch", ["read_cell", "TableLayout", "score_odi_many"]),
    ],
)
def test_documented_import_paths_work(path: str, names: list[str]) -> None:
    module = importlib.import_module(path)
    for name in names:
        assert getattr(module, name) is not None


@pytest.mark.parametrize(
    "path",
    [
        "backtriage.protocol.model",
        "backtriage.protocol.engine",
        "backtriage.protocol.check",
        "backtriage.protocol.load",
        "backtriage.facts",
    ],
)
def test_the_import_paths_deprecated_in_0_2_are_gone(path: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(path)


def test_the_protocol_package_exports_its_public_names() -> None:
    for name in backtriage.protocol.__all__:
        assert getattr(backtriage.protocol, name) is not None
    assert backtriage.protocol.Protocol is bt.Protocol
    assert backtriage.protocol.load_protocol is bt.load_protocol
    assert backtriage.protocol.check_protocol(bt.default_protocol()) == ()
    with pytest.raises(AttributeError):
        _ = backtriage.protocol.no_such_name  # type: ignore[attr-defined]


def test_the_json_schemas_are_reached_from_the_root() -> None:
    assert bt.json_schema is backtriage.serialize.json_schema
    assert bt.json_schema(bt.Plan)["$id"] == "urn:backtriage:schemas:plan.schema.json"
