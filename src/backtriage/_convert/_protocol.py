"""The protocol document: conditions, actions, selectors, policies and sources as TOML/JSON."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from cattrs.errors import AttributeValidationNote, ClassValidationError
from cattrs.gen import make_dict_structure_fn

from backtriage._convert._core import (
    StructureValueError,
    as_table,
    check_keys,
    converter,
    structure_field,
    without_schema_version,
)
from backtriage.errors import ProtocolError
from backtriage.protocol._model import (
    Action,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Exclude,
    FactIs,
    Policy,
    Protocol,
    Refer,
    Selector,
    Source,
    SourceKind,
    Urgency,
)

# -- protocol shapes: conditions, actions, selectors, sources ----------------------------------


def _shape_error(
    value: object, keys: set[object], shapes: tuple[frozenset[str], ...], allowed: str, what: str
) -> StructureValueError:
    """Say why a table is none of the allowed shapes: unknown, missing or mixed keys."""
    known: set[str] = set().union(*shapes)
    unknown = sorted(str(k) for k in keys if k not in known)
    touched = [shape for shape in shapes if shape & keys]
    if unknown:
        detail = f"unknown key(s) {', '.join(unknown)}"
    elif len(touched) > 1:
        detail = "more than one shape in one table"
    elif touched:
        detail = f"missing key(s) {', '.join(sorted(touched[0] - keys))}"
    else:
        detail = "it is empty"
    listed = sorted(str(k) for k in keys)
    return StructureValueError(
        value,
        f"one of {allowed}",
        message=f"{what} with keys {listed}: {detail}; expected one of {allowed}",
    )


_CONDITION_KEYS = (
    frozenset({"fact"}),
    frozenset({"all"}),
    frozenset({"any"}),
    frozenset({"at_least", "of"}),
)
_CONDITION_SHAPES = (
    "{ fact = ... }, { all = [...] }, { any = [...] } or { at_least = N, of = [...] }"
)


def _structure_condition(value: object, _: type) -> Condition:
    data = as_table(value, "a condition")
    keys: set[object] = set(data)
    if keys == {"fact"}:
        return FactIs(structure_field(data, "fact", str, FactIs))
    if keys == {"all"}:
        return AllOf(_listed(data, "all", AllOf))
    if keys == {"any"}:
        return AnyOf(_listed(data, "any", AnyOf))
    if keys == {"at_least", "of"}:
        n = structure_field(data, "at_least", int, AtLeast)
        conditions = _listed(data, "of", AtLeast)
        if not 1 <= n <= len(conditions):
            # at_least 0 would hold on no facts at all, and above the length of its list never:
            # neither is what a clinician means, so neither is given a meaning.
            raise StructureValueError(
                n,
                f"a whole number from 1 to {len(conditions)} (the length of its of list)",
                where=("at_least",),
            )
        return AtLeast(n, conditions)
    raise _shape_error(value, keys, _CONDITION_KEYS, _CONDITION_SHAPES, "a condition")


def _listed(data: Mapping[str, object], key: str, owner: type) -> tuple[Condition, ...]:
    """Structure the conditions listed at ``key``: at least one (an empty list means nothing)."""
    conditions: tuple[Condition, ...] = structure_field(data, key, tuple[Condition, ...], owner)
    if not conditions:
        raise StructureValueError([], "a list of at least one condition", where=(key,))
    return conditions


def _unstructure_condition(condition: Condition) -> dict[str, object]:
    if isinstance(condition, FactIs):
        return {"fact": condition.fact}
    children = [_unstructure_condition(c) for c in condition.conditions]
    if isinstance(condition, AllOf):
        return {"all": children}
    if isinstance(condition, AnyOf):
        return {"any": children}
    return {"at_least": condition.n, "of": children}


converter.register_structure_hook(Condition, _structure_condition)
converter.register_unstructure_hook(Condition, _unstructure_condition)
for _condition in (FactIs, AllOf, AnyOf, AtLeast):
    converter.register_unstructure_hook(_condition, _unstructure_condition)

_ACTION_SHAPES = "{ refer = URGENCY }, { exclude = SELECTOR } or { caution = SELECTOR, text = ... }"
_ACTION_KEYS = (frozenset({"refer"}), frozenset({"exclude"}), frozenset({"caution", "text"}))


def _structure_action(value: object, _: type) -> Action:
    data = as_table(value, "an action")
    keys: set[object] = set(data)
    if keys == {"refer"}:
        return Refer(structure_field(data, "refer", Urgency, Refer))
    if keys == {"exclude"}:
        return Exclude(structure_field(data, "exclude", Selector, Exclude))
    if keys == {"caution", "text"}:
        return Caution(
            structure_field(data, "caution", Selector, Caution),
            structure_field(data, "text", str, Caution),
        )
    raise _shape_error(value, keys, _ACTION_KEYS, _ACTION_SHAPES, "an action")


def _unstructure_action(action: Action) -> dict[str, object]:
    if isinstance(action, Refer):
        return {"refer": action.urgency.value}
    if isinstance(action, Exclude):
        return {"exclude": converter.unstructure(action.select)}
    return {"caution": converter.unstructure(action.select), "text": action.text}


converter.register_structure_hook(Action, _structure_action)
converter.register_unstructure_hook(Action, _unstructure_action)
for _action in (Refer, Exclude, Caution):
    converter.register_unstructure_hook(_action, _unstructure_action)


def _unstructure_selector(selector: Selector) -> dict[str, object]:
    # Only what is set: a selector reads like the table a person wrote.
    data: dict[str, object] = {}
    for name in ("ids", "families", "movements", "positions", "levels"):
        values = getattr(selector, name)
        if values:
            data[name] = [v.value if isinstance(v, enum.Enum) else v for v in values]
    if selector.min_level is not None:
        data["min_level"] = selector.min_level
    if selector.all:
        data["all"] = True
    if selector.all_except_in_bed:
        data["all_except_in_bed"] = True
    return data


converter.register_unstructure_hook(Selector, _unstructure_selector)


def _unstructure_policy(policy: Policy) -> dict[str, object]:
    # Only what is set, like a selector: a policy reads as the table a clinician wrote.
    data: dict[str, object] = {"id": policy.id}
    if policy.when:
        data["when"] = list(policy.when)
    for name in ("reaches", "red_flags_withhold_all_from"):
        urgency = getattr(policy, name)
        if urgency is not None:
            data[name] = urgency.value
    for name in ("withholds", "cautions_or_withholds"):
        selector = getattr(policy, name)
        if selector is not None:
            data[name] = _unstructure_selector(selector)
    if policy.required:
        data["required"] = True
    if policy.reason:
        data["reason"] = policy.reason
    return data


converter.register_unstructure_hook(Policy, _unstructure_policy)


_SOURCE_KEYS = ("citation", "kind", "year", "url")
_SOURCE_SHAPES = (
    'a citation, or a table { citation = "...", kind = "...", year = YYYY, url = "https://..." }'
)


def _structure_source(tag: str, value: object) -> Source:
    # A plain string is a citation whose kind, year and link are not known.
    if isinstance(value, str):
        return Source(tag, value)
    if not isinstance(value, Mapping):
        raise StructureValueError(value, _SOURCE_SHAPES)
    check_keys(value, _SOURCE_KEYS, Source)
    if "citation" not in value:
        raise StructureValueError(
            None, "a citation (the key citation is missing)", where=("citation",)
        )
    citation = structure_field(value, "citation", str, Source)
    kind = structure_field(value, "kind", SourceKind, Source) if "kind" in value else None
    year = structure_field(value, "year", int, Source) if "year" in value else None
    url = structure_field(value, "url", str, Source) if "url" in value else None
    try:
        return Source(tag, citation, kind=kind, year=year, url=url)
    except ProtocolError as exc:  # a year or a link the model refuses, at its key
        key = (exc.field or "").removeprefix("Source.")
        _, _, allowed = exc.problem.partition(" is not ")
        raise StructureValueError(value.get(key), allowed or exc.problem, where=(key,)) from None


def _structure_sources(value: object, _: type) -> tuple[Source, ...]:
    data = as_table(value, "tag = citation")
    sources = []
    for tag, entry in data.items():
        if not isinstance(tag, str):
            raise StructureValueError(tag, "a string (a source tag)")
        try:
            sources.append(_structure_source(tag, entry))
        except Exception as exc:
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                AttributeValidationNote(f"Structuring key {tag}", tag, Source),
            ]
            raise ClassValidationError("While structuring sources", [exc], Source) from None
    return tuple(sources)


def _unstructure_source(source: Source) -> str | dict[str, object]:
    # Only what is known: a source without kind, year or link stays one string, as written.
    if source.kind is None and source.year is None and source.url is None:
        return source.citation
    data: dict[str, object] = {"citation": source.citation}
    if source.kind is not None:
        data["kind"] = source.kind.value
    if source.year is not None:
        data["year"] = source.year
    if source.url is not None:
        data["url"] = source.url
    return data


def _unstructure_sources(sources: tuple[Source, ...]) -> dict[str, object]:
    return {s.tag: _unstructure_source(s) for s in sources}


def _is_sources(t: object) -> bool:
    return t == tuple[Source, ...]


converter.register_structure_hook_func(_is_sources, _structure_sources)
converter.register_unstructure_hook_func(_is_sources, _unstructure_sources)


_structure_protocol_fields = make_dict_structure_fn(Protocol, converter)


def _structure_protocol(value: object, t: type) -> Protocol:
    # A protocol is always a whole document, so it may carry the schema version that
    # to_json writes: an exported protocol loads again with load_protocol.
    data = without_schema_version(as_table(value, "a protocol"))
    if isinstance(data.get("safety_net"), str) and data.get("format", 2) == 2:
        # Format 2 wrote the safety net as one text. It loads, without it, so that check()
        # can name everything format 3 needs at once (recommend refuses it until then); the
        # signs must be sorted into their lists by a clinician, not split by a guess here.
        data = {key: item for key, item in data.items() if key != "safety_net"}
    return _structure_protocol_fields(data, t)


converter.register_structure_hook(Protocol, _structure_protocol)
