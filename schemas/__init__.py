"""Event contracts of the pipeline: pydantic v2 models, no I/O."""

from schemas.inbound import MAX_MESSAGE_BYTES, Activity, Consent, LeadSubmitted, Utm
from schemas.outbound import (
    Account,
    Contact,
    DeadLetter,
    Disposition,
    ErrorCode,
    Feedback,
    FeedbackAction,
    HandoffEvent,
    NurtureEvent,
    Reason,
    Source,
    SourcePosition,
    Stage,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Account",
    "Activity",
    "Consent",
    "Contact",
    "DeadLetter",
    "Disposition",
    "ErrorCode",
    "Feedback",
    "FeedbackAction",
    "HandoffEvent",
    "LeadSubmitted",
    "NurtureEvent",
    "Reason",
    "Source",
    "SourcePosition",
    "Stage",
    "Utm",
]
