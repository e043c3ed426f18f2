"""The shipped protocol: default.toml, and the ready-made Python source held equal to it."""

from __future__ import annotations

import ast
import hashlib
import re
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import _default, _default_data, _generate
from backtriage.protocol._check import check_protocol
from backtriage.protocol._model import Protocol
from strategies import protocols

REGENERATE = f"default.toml and _default_data.py differ: run `{_generate.COMMAND}`"


def shipped_text() -> str:
    return Path(_default.DEFAULT_TOML).read_text(encoding="utf-8")


def shouted(text: str, title: str) -> str:
    """Return ``text`` with the first exercise's title in capitals: an edit of the same length."""
    edited = re.sub(
        rf'(title\s*=\s*"){re.escape(title)}"', rf'\g<1>{title.upper()}"', text, count=1
    )
    assert edited != text
    assert len(edited) == len(text)
    return edited


def unknown_fact(text: str) -> str:
    """Return ``text`` with the first fact a condition names replaced by an unknown one."""
    edited = re.sub(r'(\bfact\s*=\s*")[A-Za-z0-9_]+"', r'\g<1>no_such_fact"', text, count=1)
    assert edited != text
    return edited


@pytest.fixture
def default_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A copy of default.toml that ``default_protocol()`` reads instead; edit it in the test."""
    path = tmp_path / "default.toml"
    path.write_bytes(Path(_default.DEFAULT_TOML).read_bytes())
    monkeypatch.setattr(_default, "DEFAULT_TOML", str(path))
    _default.default_protocol.cache_clear()
    yield path
    _default.default_protocol.cache_clear()


# -- the ready-made protocol is default.toml -------------------------------------------------


def test_the_ready_made_protocol_is_keyed_by_the_sha256_of_default_toml() -> None:
    digest = hashlib.sha256(shipped_text().encode("utf-8")).hexdigest()
    assert digest == _default_data.TOML_SHA256, REGENERATE


def test_the_ready_made_protocol_is_default_toml_loaded() -> None:
    assert _default_data.protocol() == bt.load_protocol(_default.DEFAULT_TOML), REGENERATE


def test_the_ready_made_source_is_what_the_command_writes() -> None:
    # Nobody edits the generated file by hand: it is byte for byte the command's output.
    source = Path(_generate.DEFAULT_DATA).read_text(encoding="utf-8")
    assert source == _generate.generate(), REGENERATE
    assert _generate.main(["--check"]) == 0, REGENERATE


def test_the_ready_made_protocol_has_no_static_problems() -> None:
    # What lets default_protocol() skip check() at first use: proven here, in full.
    assert check_protocol(_default_data.protocol()) == ()


def test_no_pickle_is_shipped() -> None:
    package = Path(_default.DEFAULT_TOML).parent
    assert sorted(p.name for p in package.iterdir() if p.suffix in {".pickle", ".pkl"}) == []


def test_the_shipped_default_is_used_ready_made_and_already_checked(
    default_toml: Path,
) -> None:
    protocol = _default.default_protocol()
    assert protocol == _default_data.protocol()
    # Its problems are known before any check runs: none, as proven above for this text; and
    # its content hash, which every plan records, as the generator worked it out.
    assert protocol._cache == {"problems": (), "digest": _default_data.PROTOCOL_SHA256}
    from backtriage.protocol._digest import compute_hash

    assert compute_hash(_default_data.protocol()) == _default_data.PROTOCOL_SHA256
    assert protocol.check() == ()


# -- an edited default.toml is read, and checked ---------------------------------------------


def test_an_edited_default_toml_is_loaded_from_the_toml(default_toml: Path) -> None:
    text = default_toml.read_text(encoding="utf-8")
    title = _default_data.protocol().exercises[0].title
    edited = shouted(text, title)
    assert edited != text
    assert len(edited) == len(text)
    default_toml.write_text(edited, encoding="utf-8")

    assert _default.default_protocol().exercises[0].title == title.upper()


def test_an_edit_with_the_same_length_and_crc32_is_still_seen(default_toml: Path) -> None:
    # A length and a CRC32 are easy to keep while changing a document (CRC32 is linear): only a
    # cryptographic hash tells an edited default.toml from the one the ready-made was made of.
    original = default_toml.read_bytes()
    title = _default_data.protocol().exercises[0].title.encode()
    edited = shouted(original.decode("utf-8"), title.decode()).encode("utf-8")
    forged = _same_crc32(edited, zlib.crc32(original))
    assert len(forged) == len(original)
    assert zlib.crc32(forged) == zlib.crc32(original)
    default_toml.write_bytes(forged)

    assert _default.default_protocol().exercises[0].title == title.upper().decode()


def test_an_edited_default_toml_is_checked_in_full(default_toml: Path) -> None:
    # The ready-made protocol is trusted unchecked; an edited document never is.
    text = default_toml.read_text(encoding="utf-8")
    edited = unknown_fact(text)
    assert edited != text
    default_toml.write_text(edited, encoding="utf-8")

    protocol = _default.default_protocol()
    assert "unknown-fact" in {p.code for p in protocol.check()}
    with pytest.raises(bt.ProtocolError):
        bt.recommend(bt.Assessment(odi=[1] * 10), protocol=protocol)


def test_without_the_ready_made_module_the_toml_is_loaded_and_checked(
    default_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "backtriage.protocol._default_data", None)
    protocol = _default.default_protocol()
    assert protocol == bt.load_protocol(_default.DEFAULT_TOML)
    # Not trusted: checked in full as it was loaded (the engine built, not only an answer).
    assert "engine" in protocol._cache
    assert protocol.check() == ()


def _same_crc32(data: bytes, target: int) -> bytes:
    """Return ``data`` with 64 characters of one comment line set to ``a`` or ``b`` so that its
    CRC32 is ``target`` (the CRC of equal-length inputs is affine in their bits)."""
    start = next(
        (i + 2 for i, line in _lines(data) if line.startswith(b"# ") and len(line) >= 66), None
    )
    assert start is not None, "default.toml needs one comment line of 66 characters or more"
    positions = range(start, start + 64)
    base = bytearray(data)
    for i in positions:
        base[i] = ord("a")
    base_crc = zlib.crc32(base)
    # One row per position: how flipping it from "a" to "b" changes the CRC.
    rows: list[tuple[int, int]] = []
    for n, i in enumerate(positions):
        flipped = bytearray(base)
        flipped[i] = ord("b")
        rows.append((zlib.crc32(flipped) ^ base_crc, 1 << n))
    chosen = _solve(rows, base_crc ^ target)
    assert chosen is not None, "no subset of these positions reaches the target CRC"
    for n, i in enumerate(positions):
        if chosen >> n & 1:
            base[i] = ord("b")
    return bytes(base)


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    for line in data.split(b"\n"):
        yield offset, line
        offset += len(line) + 1


def _solve(rows: list[tuple[int, int]], goal: int) -> int | None:
    """Gaussian elimination over GF(2): a subset (bitmask) of rows whose XOR is ``goal``."""
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (value, subset)
    for value, subset in rows:
        for bit in sorted(basis, reverse=True):
            if value >> bit & 1:
                value ^= basis[bit][0]
                subset ^= basis[bit][1]
        if value:
            basis[value.bit_length() - 1] = (value, subset)
    chosen = 0
    for bit in sorted(basis, reverse=True):
        if goal >> bit & 1:
            goal ^= basis[bit][0]
            chosen ^= basis[bit][1]
    return chosen if goal == 0 else None


# -- the generator writes any protocol as Python that rebuilds it ----------------------------


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_any_protocol_rendered_as_python_rebuilds_an_equal_protocol(protocol: Protocol) -> None:
    source = _generate.render(protocol, "any text")
    namespace: dict[str, object] = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    built = namespace["protocol"]
    assert callable(built)
    assert built() == protocol
    assert namespace["TOML_SHA256"] == hashlib.sha256(b"any text").hexdigest()


@given(st.text())
@example('say "no"')
@example('it\'s "both" \\ and\nmore\ttabs\r\x85\u2028')
def test_every_text_is_written_as_a_literal_of_itself(text: str) -> None:
    literal = _generate._string(text)
    assert ast.literal_eval(literal) == text
    assert "\n" not in literal


@attrs.frozen
class _Holder:
    """Kinds of value the shipped model does not use yet, which the generator still writes."""

    mapping: dict[str, int]
    proxy: MappingProxyType[str, str]
    items: tuple[str, ...] = attrs.field(factory=tuple)
    more: tuple[int, ...] = attrs.field(default=())


@pytest.mark.parametrize(
    "value",
    [
        _Holder({"a": 1}, MappingProxyType({"b": "c"})),
        _Holder({f"key_{i}": i for i in range(12)}, MappingProxyType({}), ("x",) * 30, (1,)),
    ],
    ids=["short", "long"],
)
def test_mappings_and_defaults_are_written_as_python_that_rebuilds_them(value: _Holder) -> None:
    names: dict[str, set[str]] = {}
    source = _generate._layout(value, 1, len("return "), 0, names)
    assert names == {__name__: {"_Holder"}, "types": {"MappingProxyType"}}
    rebuilt = eval(source, {"_Holder": _Holder, "MappingProxyType": MappingProxyType})
    assert rebuilt == value
    assert "items=" not in source or value.items  # a default is left out
    module = _generate.render(value, "")  # type: ignore[arg-type]
    assert "\nfrom types import MappingProxyType\n" in module


def test_a_value_the_generator_cannot_write_is_refused_by_name() -> None:
    @attrs.frozen
    class Odd:
        value: object

    with pytest.raises(TypeError, match="float"):
        _generate._flat(Odd(1.5), {})


def test_sha256_without_hashlib_is_sha256() -> None:
    for data in (b"", b"abc", shipped_text().encode("utf-8")):
        assert _default.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_sha256_falls_back_to_hashlib_where_the_built_in_module_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "_sha256", None)  # None: importing it raises ImportError
    monkeypatch.setitem(sys.modules, "_sha2", None)
    assert _default.sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


# -- the command ---------------------------------------------------------------------------------


def test_the_command_writes_the_module_and_then_finds_it_current(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "_default_data.py"
    monkeypatch.setattr(_generate, "DEFAULT_DATA", str(target))

    assert _generate.main(["--check"]) == 1
    assert _generate.COMMAND in capsys.readouterr().err
    assert _generate.main([]) == 0
    assert target.read_text(encoding="utf-8") == Path(_default_data.__file__).read_text("utf-8")
    assert _generate.main([]) == 0  # already current: left as it is
    assert _generate.main(["--check"]) == 0


def test_the_command_refuses_a_default_toml_with_problems(
    default_toml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module it writes is trusted unchecked: it is never written from a faulty document.
    monkeypatch.setattr(_generate, "DEFAULT_TOML", str(default_toml))
    text = default_toml.read_text(encoding="utf-8")
    default_toml.write_text(unknown_fact(text), encoding="utf-8")
    with pytest.raises(SystemExit, match="unknown-fact"):
        _generate.generate()
