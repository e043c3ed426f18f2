"""Review a protocol before it is used: exact queries, a safety diff and the review sheet."""

from backtriage.review._report import diff_document, diff_text
from backtriage.review._sheet import protocol_hash, review_sheet
from backtriage.review._stub import (
    Change,
    ProtocolDiff,
    Trigger,
    diff,
    when_cautioned,
    when_urgency,
    when_withheld,
)

__all__ = [
    "Change",
    "ProtocolDiff",
    "Trigger",
    "diff",
    "diff_document",
    "diff_text",
    "protocol_hash",
    "review_sheet",
    "when_cautioned",
    "when_urgency",
    "when_withheld",
]
