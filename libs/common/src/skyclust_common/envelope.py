"""CloudEvents 1.0 structured JSON envelope with SkyClust's extensions."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .observability import current_traceparent

TYPE_PREFIX = "io.skyclust."
_TYPE = re.compile(r"^io\.skyclust\.(?P<name>[A-Z][A-Za-z0-9]+)\.v(?P<version>[0-9]+)$")


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(pattern=_TYPE.pattern)
    time: datetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    workspaceid: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    actorid: str | None = None
    traceparent: str | None = None

    @property
    def name(self) -> str:
        match = _TYPE.match(self.type)
        assert match is not None  # guaranteed by the field pattern
        return match["name"]

    @property
    def version(self) -> int:
        match = _TYPE.match(self.type)
        assert match is not None
        return int(match["version"])

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def new_event(
    name: str,
    data: dict[str, Any],
    *,
    source: str,
    subject: str | None = None,
    workspace_id: str | None = None,
    version: int = 1,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    actor_id: str | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"skyclust/{source}",
        type=f"{TYPE_PREFIX}{name}.v{version}",
        time=datetime.now(UTC),
        subject=subject,
        data=data,
        workspaceid=workspace_id,
        correlationid=correlation_id,
        causationid=causation_id,
        actorid=actor_id,
        traceparent=traceparent or current_traceparent(),
    )


def command_subject(service: str, name: str) -> str:
    """Where commands for `service` go (the work-queue stream)."""
    return f"skyclust.cmd.{service}.{name}"


def event_subject(event: CloudEvent) -> str:
    """skyclust.evt.<workspace_id>.<EventName>; events of no workspace go under `system`."""
    return f"skyclust.evt.{event.workspaceid or 'system'}.{event.name}"
