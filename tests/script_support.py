"""Load one of the repository's scripts (an example, a benchmark module) as a module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_script(relative: str) -> ModuleType:
    """Import ``ROOT / relative`` under its file's stem, registered in ``sys.modules``.

    Registered, because dataclasses and pickling (Dask's and Spark's workers) look a module
    up by its name.
    """
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
