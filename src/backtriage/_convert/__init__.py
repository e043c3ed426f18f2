"""The converter and its hooks: every value backtriage reads or writes as plain data.

Importing this package registers the hooks of the protocol document and of the assessment,
score and sign-off documents on the one converter. It knows nothing of ``Plan``, which
:mod:`backtriage.serialize` registers, and imports none of its users.
"""

from backtriage._convert import _documents as _documents
from backtriage._convert import _protocol as _protocol
from backtriage._convert import _sign_off as _sign_off
from backtriage._convert._core import (
    MISSING,
    READABLE_SCHEMA_VERSIONS,
    SCHEMA_VERSION,
    StructureValueError,
    check_schema_version,
    converter,
    invalid,
    structure_errors,
    without_schema_version,
)

__all__ = [
    "MISSING",
    "READABLE_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "StructureValueError",
    "check_schema_version",
    "converter",
    "invalid",
    "structure_errors",
    "without_schema_version",
]
