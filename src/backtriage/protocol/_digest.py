"""The content hash of a protocol: what a review sheet and a sign-off record are signed for."""

from __future__ import annotations

import json

from backtriage._convert import SCHEMA_VERSION, converter
from backtriage.errors import InvalidAnswerError
from backtriage.protocol._model import Protocol

__all__ = ["compute_hash", "protocol_hash"]


def compute_hash(protocol: Protocol) -> str:
    """Return the SHA-256 of ``protocol``'s canonical JSON, computed now (see protocol_hash)."""
    import hashlib  # loads OpenSSL: only when a hash is first needed

    data = {"schema_version": SCHEMA_VERSION, **converter.unstructure(protocol, Protocol)}
    text = json.dumps(
        data, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def protocol_hash(protocol: Protocol) -> str:
    """Return the SHA-256 of ``protocol``'s canonical JSON, as 64 hexadecimal digits.

    The canonical JSON is what :func:`~backtriage.to_json` writes, with the keys sorted and no
    spaces: two protocols have the same hash exactly when they decide and explain the same.
    A signed review sheet and a sign-off record name it, so that the protocol in use can be
    matched to what was signed.
    """
    if not isinstance(protocol, Protocol):
        raise InvalidAnswerError("protocol", protocol, "a Protocol")
    return compute_hash(protocol)
