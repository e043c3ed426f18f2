"""Names a package offers that are imported on first use (a module ``__getattr__``, PEP 562).

A package lists what it offers lazily, each name with the module that defines it
(``"backtriage._plan"``, or ``"backtriage.tables._columns:RESULT_COLUMNS"`` where the name
there differs), and sets ``__getattr__ = lazy_getattr(__name__, names)``. Each lookup imports
the module (once; later it is a dictionary lookup) and reads the name from it anew, so that a
name patched in its module is the one the package gives.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """Return the ``__getattr__`` of ``package`` that imports each of ``names`` on first use."""

    def lookup(name: str) -> object:
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = where.partition(":")
        return getattr(importlib.import_module(module), attribute or name)

    return lookup
