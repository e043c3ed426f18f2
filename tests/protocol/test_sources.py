"""Sources a reviewer can weigh: kind, year and link where known, never guessed; departures."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

import backtriage as bt
from backtriage.protocol import Rule, Source, SourceKind, load_protocol
from backtriage.review import protocol_hash

DEFAULT_TOML = Path(bt.__file__).parent / "protocol" / "default.toml"


def document() -> dict[str, Any]:
    with DEFAULT_TOML.open("rb") as file:
        return tomllib.load(file)


def with_source(entry: object, tag: str = "design") -> dict[str, Any]:
    data = document()
    data["sources"][tag] = entry
    return data


def test_a_source_table_gives_kind_year_and_link() -> None:
    entry = {
        "citation": "NICE NG59",
        "kind": "guideline",
        "year": 2016,
        "url": "https://www.nice.org.uk/guidance/ng59",
    }
    protocol = load_protocol(with_source(entry))
    source = next(s for s in protocol.sources if s.tag == "design")
    assert source == Source(
        "design", "NICE NG59", SourceKind.GUIDELINE, 2016, "https://www.nice.org.uk/guidance/ng59"
    )
    assert bt.to_dict(protocol)["sources"]["design"] == entry


def test_a_source_given_as_a_string_knows_no_kind_year_or_link() -> None:
    protocol = load_protocol(with_source("A page someone cited"))
    source = next(s for s in protocol.sources if s.tag == "design")
    assert (source.kind, source.year, source.url) == (None, None, None)
    # Written back as it was read: a protocol of format 2 keeps its hash.
    assert bt.to_dict(protocol)["sources"]["design"] == "A page someone cited"


def test_only_what_is_known_is_written() -> None:
    protocol = load_protocol(with_source({"citation": "A book", "kind": "textbook"}))
    assert bt.to_dict(protocol)["sources"]["design"] == {"citation": "A book", "kind": "textbook"}


def test_a_source_round_trips_through_json() -> None:
    protocol = load_protocol(with_source({"citation": "x", "year": 1999}))
    assert load_protocol(text=bt.to_json(protocol)) == protocol


@pytest.mark.parametrize(
    ("entry", "path", "allowed"),
    [
        ({"citation": "x", "kind": "blog"}, "$.sources.design.kind", "guideline"),
        ({"citation": "x", "year": "2016"}, "$.sources.design.year", "whole number"),
        ({"citation": "x", "year": 16}, "$.sources.design.year", "four digits"),
        ({"citation": "x", "url": "www.nice.org.uk"}, "$.sources.design.url", "https://"),
        ({"citation": "x", "url": "https://a b"}, "$.sources.design.url", "https://"),
        ({"kind": "guideline"}, "$.sources.design.citation", "citation"),
        ({"citation": "x", "doi": "10.1/2"}, "$.sources.design.doi", "known key"),
        (3, "$.sources.design", "citation"),
    ],
)
def test_a_bad_source_is_refused_at_its_path(entry: object, path: str, allowed: str) -> None:
    with pytest.raises(bt.ProtocolError) as caught:
        load_protocol(with_source(entry))
    assert caught.value.errors[0].path == path
    assert allowed in str(caught.value)


def test_a_change_of_kind_year_or_link_changes_the_hash() -> None:
    plain = load_protocol(with_source({"citation": "x"}))
    dated = load_protocol(with_source({"citation": "x", "year": 2020}))
    assert protocol_hash(plain) != protocol_hash(dated)


def test_a_rule_may_say_where_it_departs_from_its_source() -> None:
    data = document()
    data["rules"][0]["departs"] = "The source says soon; we refer the same day."
    protocol = load_protocol(data)
    assert protocol.rules[0].departs == "The source says soon; we refer the same day."
    assert json.loads(bt.to_json(protocol))["rules"][0]["departs"] == protocol.rules[0].departs
    assert Rule.__attrs_attrs__.departs.default is None  # type: ignore[attr-defined]


# -- the default protocol's sources -------------------------------------------------------------


def test_the_seed_page_is_marked_as_such() -> None:
    seed = next(s for s in bt.default_protocol().sources if s.tag == "seed")
    assert seed.kind is SourceKind.SEED_PAGE


def test_every_link_of_the_default_protocol_is_https_and_every_year_plausible() -> None:
    for source in bt.default_protocol().sources:
        if source.url is not None:
            assert source.url.startswith("https://"), source.tag
        if source.year is not None:
            assert 1980 <= source.year <= 2026, source.tag


def test_the_default_protocols_guidelines_are_weighable() -> None:
    # NICE guidance has well-known numbers and years; each is linked to its page.
    nice = [s for s in bt.default_protocol().sources if s.citation.startswith("NICE NG")]
    assert nice
    for source in nice:
        assert source.kind is SourceKind.GUIDELINE
        assert source.year is not None
        assert source.url is not None
        assert source.url.startswith("https://www.nice.org.uk/guidance/ng")
