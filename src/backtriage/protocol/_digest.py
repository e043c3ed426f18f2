"""The content hash of a protocol: what a review sheet is signed for and a plan records."""

from __future__ import annotations

from backtriage.errors import InvalidAnswerError
from backtriage.protocol._model import DIGEST, Protocol, cached

__all__ = ["compute_hash", "protocol_hash"]


def compute_hash(protocol: Protocol) -> str:
    """Return the SHA-256 of ``protocol``'s canonical JSON, computed now (see protocol_hash)."""
    # Imported when a hash is first needed: a plan of the shipped protocol records the hash
    # it was generated with, so a first plan loads neither the converter nor OpenSSL.
    import hashlib
    import json

    from backtriage._convert import SCHEMA_VERSION, converter

    data = {"schema_version": SCHEMA_VERSION, **converter.unstructure(protocol, Protocol)}
    text = json.dumps(
        data, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def protocol_hash(protocol: Protocol) -> str:
    """Return the SHA-256 of ``protocol``'s canonical JSON, as 64 hexadecimal digits.

    The canonical JSON is what :func:`~backtriage.to_json` writes, with the keys sorted and no
    spaces: two protocols have the same hash exactly when they decide and explain the same.
    A signed review sheet names it, and every plan records it, so that the protocol in use can
    be matched to the sheet. Computed once per protocol and kept with it.
    """
    if not isinstance(protocol, Protocol):
        raise InvalidAnswerError("protocol", protocol, "a Protocol")
    found = protocol._cache.get(DIGEST)
    if type(found) is str:  # every plan records it: worked out once per protocol
        return found
    return cached(protocol, DIGEST, str, compute_hash)
