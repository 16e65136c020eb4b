"""What the pipeline emits: handoffs, nurture events, dead letters, feedback."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

from schemas.inbound import Utm


class Stage(StrEnum):
    """Sales readiness of a handed-off lead."""

    MQL = "MQL"
    SQL = "SQL"


class Disposition(StrEnum):
    """Why a lead went back to marketing instead of sales."""

    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"
    DUPLICATE = "duplicate"


class ErrorCode(StrEnum):
    """Machine-readable reason a message became a dead letter."""

    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    SCHEMA_INVALID = "schema_invalid"
    PROCESSING_FAILED = "processing_failed"
    SINK_REFUSED = "sink_refused"


class FeedbackAction(StrEnum):
    """What sales did with a handoff."""

    CLAIMED = "claimed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONTACTED = "contacted"
    WON = "won"
    LOST = "lost"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def assemble(cls, **values: Any) -> Self:
        """Build an event from values that are already what validation would give, without validating.

        For events the pipeline puts together from parts it has checked itself (a
        validated submission, a decision in range, its own models): the result equals
        the validated model and serialises the same, at a fraction of the cost. Values
        from outside (payloads, files, tables) go through the model's validation.
        """
        defaults, required, factories = _shape(cls)
        if not required <= values.keys() or not values.keys() <= defaults.keys():
            missing, unknown = sorted(required - values.keys()), sorted(values.keys() - defaults.keys())
            raise TypeError(f"{cls.__name__}.assemble: missing {missing}, unknown {unknown}")
        data = {**defaults, **values}
        for name, factory in factories:
            if name not in values:
                data[name] = factory()
        return _instance(cls, data, set(values))

    def evolve(self, **changes: Any) -> Self:
        """Return ``model_copy(update=changes)``: a copy with checked values changed, not validated."""
        if not changes.keys() <= self.__dict__.keys():
            raise TypeError(
                f"{type(self).__name__}.evolve: unknown {sorted(changes.keys() - self.__dict__.keys())}"
            )
        return _instance(
            type(self), {**self.__dict__, **changes}, self.__pydantic_fields_set__ | changes.keys()
        )


_SHARED = (type(None), bool, int, float, str, bytes, StrEnum)
_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__  # frozen models: the way pydantic's own model_construct sets them


def _instance(cls: type[_M], data: dict[str, Any], fields_set: set[str]) -> _M:
    """A model instance holding ``data`` as its fields, set without validation."""
    event = cls.__new__(cls)
    _set(event, "__dict__", data)
    _set(event, "__pydantic_fields_set__", fields_set)
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event


_Shape = tuple[dict[str, Any], frozenset[str], tuple[tuple[str, Callable[[], Any]], ...]]
_SHAPES: dict[type[BaseModel], _Shape] = {}


def _shape(cls: type[BaseModel]) -> _Shape:
    """Each field's default in declaration order, the required fields, and the default factories."""
    shape = _SHAPES.get(cls)
    if shape is None:
        defaults: dict[str, Any] = {}
        required, factories = set(), []
        for name, info in cls.__pydantic_fields__.items():
            default = None if info.default is PydanticUndefined else info.default
            defaults[name] = default
            if info.default_factory is not None:
                factories.append((name, info.default_factory))
            elif info.is_required():
                required.add(name)
            elif not isinstance(default, _SHARED):
                # Validation gives every instance its own copy of a mutable default.
                factories.append((name, functools.partial(copy.deepcopy, default)))
        shape = _SHAPES[cls] = (defaults, frozenset(required), tuple(factories))  # type: ignore[arg-type]
    return shape


class Reason(_Event):
    """One rule's contribution to a decision."""

    rule: str
    points: int = 0
    detail: str = ""


class Account(_Event):
    """The company behind a lead, matched or derived."""

    name: str | None = None
    domain: str | None = None
    employees: int | None = None
    industry: str | None = None
    country: str | None = None
    matched: bool = False
    match_confidence: float | None = None


class Contact(_Event):
    """The person, normalised."""

    email: str
    full_name: str = ""
    given_name: str | None = None
    family_name: str | None = None
    phone: str | None = None
    job_title: str | None = None
    seniority: str | None = None
    department: str | None = None
    country: str | None = None
    region: str | None = None


class Source(_Event):
    """Where the lead came from."""

    form_id: str
    page_url: str | None = None
    referrer: str | None = None
    utm: Utm = Field(default_factory=Utm)


MESSAGE_MAX = 2000


class HandoffEvent(_Event):
    """A qualified lead handed to a sales queue."""

    schema_version: Literal[1] = 1
    handoff_id: str
    event_id: str
    lead_id: str
    account: Account
    queue: str
    owner: str | None
    stage: Stage
    score: int = Field(ge=0, le=100)
    fit: int = Field(ge=0, le=100)
    intent: int = Field(ge=0, le=100)
    reasons: list[Reason]
    rules_version: str
    contact: Contact
    source: Source
    submitted_at: AwareDatetime
    qualified_at: AwareDatetime
    sla_due_at: AwareDatetime
    # What the person wrote in the form, capped (the full text stays out of the queue).
    message: str | None = Field(default=None, max_length=MESSAGE_MAX)


class NurtureEvent(_Event):
    """A lead returned to marketing, with the reasons."""

    schema_version: Literal[1] = 1
    event_id: str
    lead_id: str
    disposition: Disposition
    reasons: list[Reason]
    score: int = Field(ge=0, le=100)
    fit: int = Field(ge=0, le=100)
    intent: int = Field(ge=0, le=100)
    rules_version: str
    contact: Contact
    source: Source
    submitted_at: AwareDatetime
    decided_at: AwareDatetime


class SourcePosition(_Event):
    """Where a dead-lettered message was read."""

    topic: str
    partition: int
    offset: int


class DeadLetter(_Event):
    """An input that could not be processed, kept whole for repair and replay."""

    schema_version: Literal[1] = 1
    error: ErrorCode
    detail: str
    fields: list[str] = Field(default_factory=list)
    event_id: str | None = None
    payload: str
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    source: SourcePosition
    failed_at: datetime
    # Set when a sink's target refused the event: which sink, and the status it answered.
    sink: str | None = None
    status: int | None = None


class Feedback(_Event):
    """What sales did with a handoff."""

    schema_version: Literal[1] = 1
    handoff_id: str
    action: FeedbackAction
    reason: str | None = None
    by: str | None = None
    at: AwareDatetime


class SlaAction(StrEnum):
    """What was done about a handoff that missed its response deadline."""

    NOTIFY = "notify"
    REASSIGN = "reassign"
    ESCALATE = "escalate"


class SlaBreach(_Event):
    """A handoff nobody acted on in time: what was due, when it was noticed, what was done."""

    schema_version: Literal[1] = 1
    handoff_id: str
    lead_id: str
    stage: Stage
    status: str
    due_at: AwareDatetime
    breached_at: AwareDatetime
    breach: int = Field(ge=1, description="1 for the first missed deadline of this handoff, 2 for the next …")
    action: SlaAction
    from_owner: str | None
    to_owner: str | None
    from_queue: str
    to_queue: str
    new_due_at: AwareDatetime | None = None


class Erasure(_Event):
    """A person's data was erased; systems holding copies should erase theirs.

    Carries the pseudonymous ``lead_id`` (a hash of the normalised email), never the email.
    """

    schema_version: Literal[1] = 1
    lead_id: str
    requested_at: AwareDatetime
    handoffs: int = Field(ge=0)
