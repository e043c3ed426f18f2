"""The instrument seam: which files of the package may name an instrument; no other file does.

An instrument (a rating of ``INSTRUMENTS``, a scored questionnaire of ``SCORED``) is its own
modules, one line in ``instruments/_registry.py`` and the fields that carry its answers; every
other layer reads its description. :func:`names_of` says what names an instrument, ``ALLOWED``
which files may name which instruments and how, each with its reason; every other module of the
package, a new one too, names none. The files every instrument touches are read from the recipe
"A new instrument" in docs/architecture.md (before "Nothing else names it").

Planted names show the check can fail: each way of naming each instrument, written into each
file of the package, is seen wherever the table does not allow it, and in a copy of the package
the check finds exactly the names planted in it.
"""

from __future__ import annotations

import enum
import importlib
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path

import attrs
import pytest

import backtriage
from backtriage.instruments._instrument import Instrument, ScoredInstrument
from backtriage.instruments._registry import INSTRUMENTS, SCORED

PACKAGE = Path(backtriage.__file__).parent
ARCHITECTURE = PACKAGE.parents[1] / "docs" / "architecture.md"

AnyInstrument = Instrument | ScoredInstrument
REGISTERED: tuple[AnyInstrument, ...] = (*INSTRUMENTS, *SCORED)


# -- what names an instrument --------------------------------------------------------------------


class Kind(enum.Enum):
    """The ways a file names an instrument."""

    WORDS = "its name in words, in any case (ODI, STarT Back, odi_label, _more_start_back)"
    QUOTED = "its key, score attribute, requirement or derivation as a string: 'odi_band'"
    ATTRIBUTE = "its key, score attribute, requirement or derivation as an attribute: x.odi"
    KEYWORD = "its key, score attribute, requirement or derivation as a keyword: odi=..."
    MODULES = "one of its modules, by dotted name or from backtriage.instruments by its own"
    PUBLIC = "a public name of one of its modules"
    STRATEGIES = "its strategies module by dotted name, or one of that module's public names"
    FORM = "a title or code of its FHIR form: title, name, LOINC code, linkId, code system"


ALL_KINDS = frozenset(Kind)


@attrs.frozen
class Name:
    """One name of an instrument: what it is, how it is found, and lines that write it.

    ``pattern``'s group ``name`` is the name itself (without what finds it, such as the
    ``from ... import`` before a module's short name); ``literal`` is in every text it matches
    (case-folded, for a word), to pass over a file that cannot match.
    """

    kind: Kind
    text: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]
    literal: str


def _word(word: str) -> Name:
    # In any case, its parts joined by "_", a space or nothing: odi, ODI, STarT Back, startback.
    parts = re.escape(word).replace("_", "[_ ]?")
    return Name(
        Kind.WORDS,
        word,
        re.compile(rf"(?i:(?<![a-z0-9])(?P<name>{parts})(?![a-z0-9]))"),
        (
            f'"""Read the {word.replace("_", " ").upper()} items."""',
            f"step = _more_{word}(score)",
        ),
        word.partition("_")[0].casefold(),
    )


def _keys(key: str) -> Iterator[Name]:
    escaped = re.escape(key)
    yield Name(
        Kind.QUOTED,
        f"{key!r}",
        re.compile(rf"(?P<name>[\"']{escaped}[\"'])"),  # a document key, a field given as text
        (f"document[{key!r}] = 3", f'fields = {{"{key}": None}}'),
        key,
    )
    yield Name(
        Kind.ATTRIBUTE,
        f".{key}",
        re.compile(rf"(?P<name>\.{escaped})\b"),  # assessment.odi, protocol.require_odi
        (f"value = assessment.{key}", f"if protocol.{key}:\n    pass"),
        key,
    )
    yield Name(
        Kind.KEYWORD,
        f"{key}=",
        re.compile(rf"(?<![\w.])(?P<name>{escaped}=)(?!=)"),  # Assessment(odi=...)
        (f"Assessment({key}=answers)",),
        key,
    )


def _module(kind: Kind, dotted: str) -> Iterator[Name]:
    short = dotted.rpartition(".")[2]
    yield Name(
        kind,
        dotted,
        re.compile(rf"\b(?P<name>{re.escape(dotted)})\b"),
        (f"from {dotted} import something", f"import {dotted}"),
        dotted,
    )
    yield Name(
        Kind.MODULES,  # the kit re-exports its strategies from the module's dotted name
        f"instruments import {short}",
        re.compile(rf"\binstruments import (?:\([^)]*?|[^\n]*?)\b(?P<name>{re.escape(short)})\b"),
        (
            f"from backtriage.instruments import _registry, {short}",
            f"from backtriage.instruments import (\n    _registry,\n    {short},\n)",
        ),
        short,
    )
    for public in getattr(importlib.import_module(dotted), "__all__", ()):
        yield Name(
            Kind.PUBLIC if kind is Kind.MODULES else kind,
            public,
            re.compile(rf"(?<![\w.])(?P<name>{re.escape(public)})\b"),
            (f"value = {public}(1)",),
            public,
        )


def _form(text: str) -> Name:
    return Name(
        Kind.FORM,
        text,
        re.compile(rf"(?<![\w-])(?P<name>{re.escape(text)})(?![\w-])"),
        (f"TEXT = {text!r}",),
        text,
    )


def own_modules(instrument: AnyInstrument) -> tuple[str, ...]:
    """Return the dotted names of the modules that define ``instrument``, strategies last."""
    if isinstance(instrument, Instrument):
        return (instrument.check.__module__,)
    documents = instrument.documents
    defined = (
        instrument.rank,
        instrument.answers_at,
        instrument.level_words,
        instrument.relisted,
        instrument.state_words,
        instrument.fhir_form,
        documents.score_class,
        documents.answers_class,
        documents.score,
        documents.is_score,
        documents.schemas,
    )
    modules = sorted({thing.__module__ for thing in defined} - {instrument.strategies})
    return (*modules, instrument.strategies)


@cache
def names_of(instrument: AnyInstrument) -> tuple[Name, ...]:
    """Return every name of ``instrument``: what a file that names it writes.

    Both kinds: its key (quoted, as an attribute or a keyword), its modules (dotted, or
    imported by their short name) and their public names, and the codes of its FHIR resources.
    A scored questionnaire also by its score attribute, the ``Protocol`` field that requires it
    and the ``source`` of the facts that read its level, each also as a word in any case (``ODI``,
    ``STarT Back``, ``odi_label``), its strategies module and its public strategies, and the
    title, name, linkIds, code systems and LOINC codes of its form. A rating's key is no word
    of its own ("pain" is said of every back), so a rating is not looked for in words.
    """
    modules = own_modules(instrument)
    if isinstance(instrument, Instrument):
        return (
            *_keys(instrument.key),
            *_module(Kind.MODULES, modules[0]),
            _form(instrument.code),
            _form(instrument.display),
        )
    keys = dict.fromkeys(
        (
            instrument.key,
            instrument.score_attribute,
            instrument.requirement,
            instrument.derivation,
        )
    )
    form = instrument.fhir_form()
    texts = {instrument.title, form.name, form.resource_name, form.title, *(form.code or ())}
    texts.update(text for item in form.items for text in (item.link_id, item.system))
    if form.score_code is not None:
        texts.add(form.score_code)
    words = tuple(map(_word, keys))
    # A text that is one of its words (the form's name "odi") is looked for as that word.
    texts = {text for text in texts if not any(w.pattern.fullmatch(text) for w in words)}
    return (
        *words,
        *(name for key in keys for name in _keys(key)),
        *(name for module in modules[:-1] for name in _module(Kind.MODULES, module)),
        *_module(Kind.STRATEGIES, modules[-1]),
        *map(_form, sorted(texts)),
    )


# -- which files may name one --------------------------------------------------------------------

EVERY: frozenset[str] = frozenset(instrument.key for instrument in REGISTERED)
SCORED_KEYS: frozenset[str] = frozenset(instrument.key for instrument in SCORED)


@attrs.frozen
class Allowed:
    """A file (or a folder, ending in ``/``) that may name some instruments in some ways."""

    path: str
    keys: frozenset[str]
    kinds: frozenset[Kind]
    reason: str

    def covers(self, path: str) -> bool:
        return path == self.path or (self.path.endswith("/") and path.startswith(self.path))


def _allowed(path: str, keys: Iterable[str], kinds: Iterable[Kind], reason: str) -> Allowed:
    return Allowed(path, frozenset(keys), frozenset(kinds), reason)


def _recipe() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("- **A new instrument**")
    # The files an instrument touches come first; what reads it without naming it follows.
    end = text.index("Nothing else names it", start)
    return text[start:end]


def recipe_files() -> frozenset[str]:
    """Return the package's files the recipe names, as paths below ``src/backtriage``."""
    named = re.findall(r"`([\w/]+\.py)`", _recipe())
    return frozenset(path for path in named if not path.startswith("tests/"))


def _own_path(module: str) -> str:
    """Return the path of ``module`` below the package: a folder for a package."""
    path = Path(importlib.import_module(module).__file__ or "").relative_to(PACKAGE).as_posix()
    return path.removesuffix("__init__.py") if path.endswith("/__init__.py") else path


ALLOWED: tuple[Allowed, ...] = (
    # What every instrument touches, as docs/architecture.md's recipe lists it: the registry,
    # the fields that carry its answers, its public re-exports, its description's classes, the
    # public FHIR names.
    *(
        _allowed(path, EVERY, ALL_KINDS, "listed by the recipe 'A new instrument'")
        for path in sorted(recipe_files())
    ),
    # Its own modules: it may name the others only where a row below says so.
    *(
        _allowed(_own_path(module), {instrument.key}, ALL_KINDS, "its own module")
        for instrument in REGISTERED
        for module in own_modules(instrument)
    ),
    _allowed(
        "instruments/start_back.py",
        {"odi"},
        {Kind.WORDS},
        "a comment compares its yes/no answers with the ODI's",
    ),
    _allowed(
        "instruments/_form.py",
        SCORED_KEYS,
        {Kind.WORDS},
        "the FHIR form's class: its docstring gives an ODI item as an example of its words",
    ),
    _allowed(
        "__init__.py",
        SCORED_KEYS,
        ALL_KINDS,
        "the public API re-exports the scored questionnaires' names (OdiScore, score_start_back)",
    ),
    _allowed(
        "testing/strategies.py",
        SCORED_KEYS,
        {Kind.STRATEGIES},
        "the kit's public strategies re-export each one's strategies (odi_answers), nothing else",
    ),
    # The protocol: its format's vocabulary and the shipped protocol's data.
    _allowed(
        "protocol/_model.py",
        SCORED_KEYS,
        {Kind.WORDS, Kind.QUOTED, Kind.PUBLIC},
        "the protocol format: its fields (require_odi, Texts.odi_question) and DerivedFrom's "
        "members (ODI_BAND, a DisabilityBand value) are the format's public vocabulary",
    ),
    _allowed(
        "protocol/_default_data.py",
        SCORED_KEYS,
        {Kind.WORDS, Kind.KEYWORD, Kind.FORM},
        "the shipped protocol written from default.toml: its facts, rules and texts are data, "
        "its fields the format's (Protocol(require_odi=...))",
    ),
    # The features built on an instrument.
    _allowed(
        "_course.py",
        {"odi"},
        ALL_KINDS,
        "the course keeps the first plan's ODI score, which the follow-up's trend compares with",
    ),
    _allowed(
        "_course.py",
        {"start_back"},
        {Kind.WORDS},
        "its docstring lists the inputs a course carries over",
    ),
    _allowed(
        "_follow_up.py",
        {"odi"},
        ALL_KINDS,
        "the follow-up's trend compares the ODI now with the first plan's",
    ),
    _allowed(
        "_follow_up.py",
        {"pain"},
        {Kind.ATTRIBUTE, Kind.KEYWORD},
        "the follow-up's trend compares the pain now (check_in.pain) with the first plan's",
    ),
    _allowed(
        "_plan.py",
        SCORED_KEYS,
        ALL_KINDS,
        "the plan carries the scores it used (Plan.odi_score, Plan.start_back) and starts the "
        "course from the first ODI",
    ),
    _allowed(
        "_plan.py",
        {"pain"},
        {Kind.ATTRIBUTE},
        "starts the course from the first pain rating (assessment.pain)",
    ),
    _allowed(
        "_schema.py",
        {"odi"},
        {Kind.WORDS},
        "the description of Plan.trend says it compares the ODI (and the pain) with the first",
    ),
    _allowed("tables/", {"odi"}, ALL_KINDS, "table scoring, a feature built on the ODI"),
    _allowed("batch.py", {"odi"}, ALL_KINDS, "table scoring row by row (score_odi_many)"),
    _allowed("frames.py", {"odi"}, ALL_KINDS, "table scoring of data frames (score_odi_frame)"),
    _allowed("cli/", {"odi"}, ALL_KINDS, "the score command scores ODI tables"),
)
"""The files that may name an instrument: which instruments, in which ways, and why."""


def allowed_kinds(path: str, instrument: AnyInstrument) -> frozenset[Kind]:
    """Return the ways the file at ``path`` may name ``instrument``."""
    kinds: frozenset[Kind] = frozenset()
    for row in ALLOWED:
        if instrument.key in row.keys and row.covers(path):
            kinds |= row.kinds
    return kinds


def _found(
    text: str, instrument: AnyInstrument, kinds: Iterable[Kind]
) -> Iterator[tuple[Name, re.Match[str]]]:
    folded = text.casefold()
    for name in names_of(instrument):
        if name.kind in kinds and name.literal in (folded if name.kind is Kind.WORDS else text):
            for match in name.pattern.finditer(text):
                yield name, match


@attrs.frozen
class Offence:
    """A name of an instrument in a file that may not write it."""

    path: str
    line: int
    key: str
    name: Name

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where} names {self.key!r} by {self.name.kind.value}: {self.name.text}"


def offences(path: str, text: str, instrument: AnyInstrument) -> list[Offence]:
    """Return the names of ``instrument`` in ``text`` (the file at ``path``) the table forbids.

    A name is allowed when it lies within a longer name of a kind the file may write: ``odi`` in
    ``odi_answers`` where the file may name the strategies; not ``"odi"``, nor ``odi`` imported
    from ``backtriage.instruments``, where it may name the ODI only in words.
    """
    allowed = allowed_kinds(path, instrument)
    forbidden = list(_found(text, instrument, ALL_KINDS - allowed))
    if not forbidden:
        return []
    spans = [match.span("name") for _, match in _found(text, instrument, allowed)]
    found = []
    for name, match in forbidden:
        start, end = match.span("name")
        if not any(
            first <= start and end <= last and last - first > end - start for first, last in spans
        ):
            found.append(Offence(path, text.count("\n", 0, start) + 1, instrument.key, name))
    return found


def package_sources(root: Path = PACKAGE) -> dict[str, str]:
    """Return every module below ``root``: its path (below ``root``) and its text."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
    }


def package_offences(sources: Mapping[str, str], instrument: AnyInstrument) -> list[Offence]:
    return [found for path, text in sources.items() for found in offences(path, text, instrument)]


# -- the package ---------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", REGISTERED, ids=lambda i: i.key)
def test_only_the_files_the_table_allows_name_an_instrument(instrument: AnyInstrument) -> None:
    sources = package_sources()
    assert {"_facts.py", "_fhir/_forms.py", "review/_words.py", "testing/_harness.py"} <= set(
        sources
    )
    found = package_offences(sources, instrument)
    assert not found, (
        "\n".join(map(str, found)) + "\nRead it from its description (INSTRUMENTS or SCORED in "
        "instruments/_registry.py), or add the file to ALLOWED in tests/instruments/test_seam.py "
        "with its reason"
    )


def test_every_row_of_the_table_is_a_file_that_names_what_it_may() -> None:
    sources = package_sources()
    by_key = {instrument.key: instrument for instrument in REGISTERED}
    for row in ALLOWED:
        files = [path for path in sources if row.covers(path)]
        assert files, f"ALLOWED names {row.path}, which is gone"
        assert row.keys <= EVERY, row
        used = any(
            next(_found(sources[path], by_key[key], row.kinds), None)
            for path in files
            for key in row.keys
        )
        assert used, f"{row.path} no longer names what ALLOWED lets it ({row.reason}): drop the row"


def test_the_recipe_names_files_that_exist() -> None:
    files = recipe_files()
    assert "instruments/_registry.py" in files
    assert "assessment.py" in files
    for path in files:
        assert (PACKAGE / path).is_file(), f"docs/architecture.md names {path}, which is gone"


def test_each_instrument_has_modules_of_its_own() -> None:
    owners: dict[str, str] = {}
    for instrument in REGISTERED:
        for module in own_modules(instrument):
            assert module.startswith("backtriage.instruments."), module
            assert owners.setdefault(module, instrument.key) == instrument.key, module
    generic = {"_instrument", "_form", "_registry", "__init__"}
    assert not {module.rpartition(".")[2] for module in owners} & generic


# -- the check can fail --------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", REGISTERED, ids=lambda i: i.key)
def test_every_name_written_in_any_file_is_seen_unless_the_table_allows_it(
    instrument: AnyInstrument,
) -> None:
    names = names_of(instrument)
    assert {name.kind for name in names} >= ALL_KINDS - {Kind.WORDS, Kind.STRATEGIES}
    for name in names:
        for example in name.examples:
            assert name.pattern.search(example), (name, example)
    for path in package_sources():
        allowed = allowed_kinds(path, instrument)
        for name in names:
            for example in name.examples:
                seen = bool(offences(path, example, instrument))
                assert seen is (name.kind not in allowed), (
                    path,
                    example,
                    sorted(kind.name for kind in allowed),
                )


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_scored_questionnaire_is_named_in_every_way_the_layers_checked(
    instrument: ScoredInstrument,
) -> None:
    # Each way one of the layers' own checks looked for it, beside those that must pass.
    form = instrument.fhir_form()
    (module, strategies) = own_modules(instrument)
    item = form.items[0]
    key, short = instrument.key, module.rpartition(".")[2]
    named = [
        f"document[{key!r}] = 3",
        f'document["{instrument.score_attribute}"] = None',
        f"source = {instrument.derivation!r}",
        f"score = assessment.{instrument.score_attribute}",
        f"if protocol.{instrument.requirement}:\n    pass",
        f"from {module} import something",
        f"from backtriage.instruments import pain, {short}",
        f'"""Read the {key.upper()} items."""',
        f"{key}_max_missing = 1",
        f"link_id = {item.link_id!r}",
        f"SYSTEM = {item.system!r}",
        f"TITLE = {form.title!r}",
        f"answers = assessment.{key}",
        f"Assessment({key}=answers)",
        f"step = _more_{key}(score)",
        f'parts.append("{key.replace("_", " ").upper()} not given")',
        f"from {strategies} import something",
        # Stricter than the layers' checks were: a member of DerivedFrom names it in words.
        f"source = DerivedFrom.{instrument.derivation.upper()}",
        *(f"value = {name}(1)" for name in importlib.import_module(module).__all__),
        *(f"value = {name}(1)" for name in importlib.import_module(strategies).__all__),
    ]
    clean = [
        "x = 1",
        "periodic = protocol.require_age",
        "source = DerivedFrom.AGE",
        "report = ExerciseReport(done=True, pain_during=3)",
    ]
    for line in named:
        assert offences("_facts.py", line, instrument), line
    for line in clean:
        assert not offences("_facts.py", line, instrument), line


def test_a_rating_is_named_by_its_key_modules_public_names_and_code() -> None:
    for instrument in INSTRUMENTS:
        module = own_modules(instrument)[0]
        short = module.rpartition(".")[2]
        named = [
            f"document[{instrument.key!r}] = 3",
            f"value = assessment.{instrument.key}",
            f"CheckIn({instrument.key}=2)",
            f"from {module} import something",
            f"from backtriage.instruments import odi, {short}",
            f"CODE = {instrument.code!r}",
            *(f"value = {name}(1)" for name in importlib.import_module(module).__all__),
        ]
        clean = [
            "x = 1",
            f'"""Lower-back {instrument.key}."""',
            f"ExerciseReport({instrument.key}_during=3)",
            f"value = report.{instrument.key}_during",
            *(f"value = _{name}_other(1)" for name in importlib.import_module(module).__all__),
        ]
        for line in named:
            assert offences("review/_words.py", line, instrument), line
        for line in clean:
            assert not offences("review/_words.py", line, instrument), line


LAYERS = (
    "_facts.py",
    "protocol/_reasoner.py",
    "review/_words.py",
    "_convert/_documents.py",
    "serialize.py",
    "_fhir/_forms.py",
    "testing/_harness.py",
    "testing/strategies.py",
    "tables/_rows.py",
    "a_new_module.py",
)
"""Files of the copy to plant names in: a module of each layer, and one that is new."""


def test_the_check_finds_exactly_the_names_planted_in_a_copy_of_the_package(
    tmp_path: Path,
) -> None:
    root = tmp_path / "backtriage"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    planted: dict[tuple[str, str], set[Kind]] = {}
    for index, path in enumerate(LAYERS):
        lines = []
        for instrument in REGISTERED:
            kinds = ALL_KINDS - allowed_kinds(path, instrument)
            for name in names_of(instrument):
                if name.kind in kinds and name.kind not in planted.get((path, instrument.key), ()):
                    lines.append(name.examples[index % len(name.examples)])
                    planted.setdefault((path, instrument.key), set()).add(name.kind)
        file = root / path
        before = file.read_text(encoding="utf-8") if file.exists() else ""
        file.write_text(before + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    sources = package_sources(root)
    found: dict[tuple[str, str], set[Kind]] = {}
    for instrument in REGISTERED:
        for offence in package_offences(sources, instrument):
            found.setdefault((offence.path, offence.key), set()).add(offence.name.kind)
    assert found == planted
    # testing/strategies.py may name the strategies alone; tables/ the ODI alone.
    assert Kind.STRATEGIES not in planted[("testing/strategies.py", "odi")]
    assert ("tables/_rows.py", "odi") not in planted
    assert planted[("tables/_rows.py", "start_back")] == set(ALL_KINDS)
