"""docs/architecture.md is true of the code: its layer list, and the files it names.

The layer list is read from the document itself, so that the document and the code cannot drift
apart: every module of ``src/backtriage`` has its place in the list, every name in the list
exists, and no import, at module level or inside a function, points down the list.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "backtriage"
DOC = ROOT / "docs" / "architecture.md"

Layer = tuple[str, ...]
"""The paths (relative to ``src/backtriage``) that make one layer; a path ending in ``/`` is a
folder and holds every module under it."""


def layer_block(text: str) -> list[str]:
    """Return the lines of the fenced block that follows the heading ``## Layers``."""
    section = text.split("## Layers", 1)[1]
    block = section.split("```\n", 2)[1]
    return block.splitlines()


def read_layers(lines: list[str]) -> list[Layer]:
    """Return the layers of the list, top first.

    A line indented by two spaces names a layer (its paths before the description, separated
    by commas); a folder followed by lines indented by four spaces is only the prefix of those,
    each of which is a layer; deeper lines continue a description.
    """
    if not lines or lines[0] != "src/backtriage/":
        raise AssertionError("the layer list starts with src/backtriage/")
    entries: list[tuple[int, Layer]] = []
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent not in (2, 4):
            continue
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        entries.append((indent, tuple(name.strip() for name in names.split(","))))
    layers: list[Layer] = []
    prefix = ""
    for number, (indent, names) in enumerate(entries):
        if indent == 2:
            followed = number + 1 < len(entries) and entries[number + 1][0] == 4
            if followed:
                if len(names) != 1 or not names[0].endswith("/"):
                    raise AssertionError(f"{names}: only one folder can hold a sub-list")
                prefix = names[0]
                continue
            prefix = ""
            layers.append(names)
        else:
            if not prefix:
                raise AssertionError(f"{names}: a sub-list entry with no folder above it")
            layers.append(tuple(prefix + name for name in names))
    return layers


def modules() -> dict[str, Path]:
    """Return every module of the package by dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Yield the backtriage modules ``path`` imports anywhere: at module level, in a function,
    or under ``TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from backtriage.protocol import _engine`` imports a module, not a name.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def place(name: str, path: Path, layers: list[Layer]) -> int:
    """Return the index of the layer of a module: the one that names its file, else the one
    whose folder holds it most closely."""
    relative = path.relative_to(PACKAGE).as_posix()
    best: tuple[int, int] | None = None  # (length of the match, layer)
    for index, layer in enumerate(layers):
        for entry in layer:
            if entry == relative or (entry.endswith("/") and relative.startswith(entry)):
                if best is not None and best[0] == len(entry):
                    raise AssertionError(f"{name} is listed twice: {layers[best[1]]}, {layer}")
                if best is None or len(entry) > best[0]:
                    best = (len(entry), index)
    if best is None:
        raise AssertionError(f"{name} ({relative}) has no place in docs/architecture.md's layers")
    return best[1]


LAYERS = read_layers(layer_block(DOC.read_text(encoding="utf-8")))
MODULES = modules()


def test_every_name_in_the_layer_list_exists() -> None:
    missing = [entry for layer in LAYERS for entry in layer if not (PACKAGE / entry).exists()]
    assert missing == []


def test_every_module_has_its_place_in_the_layer_list() -> None:
    for name, path in MODULES.items():
        place(name, path, LAYERS)  # raises for a module the list does not place


def test_no_module_imports_a_layer_below_its_own() -> None:
    where = {name: place(name, path, LAYERS) for name, path in MODULES.items()}
    downward = [
        f"{name} ({', '.join(LAYERS[where[name]])}) imports {target} "
        f"({', '.join(LAYERS[where[target]])})"
        for name, path in sorted(MODULES.items())
        for target in imported(name, path, MODULES)
        if where[target] > where[name]
    ]
    assert downward == []


def test_the_import_graph_has_no_cycle_counting_imports_inside_functions() -> None:
    graph = {name: set(imported(name, path, MODULES)) for name, path in MODULES.items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_the_layer_check_sees_an_import_that_points_down() -> None:
    # The ODI scorer imports the errors: a list with the errors below the instruments is wrong.
    layers = read_layers(["src/backtriage/", "  instruments/", "  errors.py, _ordered.py"])
    odi, errors = MODULES["backtriage.instruments.odi"], MODULES["backtriage.errors"]
    assert "backtriage.errors" in set(imported("backtriage.instruments.odi", odi, MODULES))
    assert place("backtriage.errors", errors, layers) > place(
        "backtriage.instruments.odi", odi, layers
    )


def test_the_layer_check_sees_a_module_the_list_forgets() -> None:
    layers = read_layers(["src/backtriage/", "  errors.py, _version.py, _ordered.py"])
    with pytest.raises(AssertionError, match="has no place"):
        place("backtriage.assessment", MODULES["backtriage.assessment"], layers)


def test_the_import_reader_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text(
        "def later():\n    from backtriage.protocol import _engine\n    import backtriage.errors\n",
        encoding="utf-8",
    )
    found = set(imported("backtriage.late", module, MODULES))
    assert found == {"backtriage.protocol._engine", "backtriage.errors"}


def test_every_source_file_the_document_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[\w.]+/)*\w+\.py)`", text))
    assert named, "the pattern finds the files the document names"
    missing = sorted(
        name
        for name in named
        if not any((base / name).exists() for base in (PACKAGE, ROOT, PACKAGE / "protocol"))
    )
    assert missing == []


UNCLEAR_NAMES = re.compile(r"self\.[a-z]\b|\b_e\(|\btwins?\b|\bkept\(")
"""A one-letter attribute (``self.o``), an alias of ``html.escape`` (``_e``), and "twin" or
"kept" for what is cached: names a reader cannot guess."""


def test_the_code_uses_names_a_reader_can_guess() -> None:
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    unclear = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UNCLEAR_NAMES.search(line)
    ]
    assert unclear == []


@pytest.mark.parametrize("line", ["x = self.o.positions", "return _e(text)", "kept(protocol)"])
def test_the_name_check_sees_each_unclear_name(line: str) -> None:
    assert UNCLEAR_NAMES.search(line)
