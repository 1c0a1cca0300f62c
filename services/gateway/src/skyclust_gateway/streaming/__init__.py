"""The live event stream, fanned out in memory: the hub (`hub`), the events and
connections it hands them to (`events`), session checks (`sessions`) and the SSE
response (`response`)."""

from .events import Connection, Event, decode, valid_name, valid_resource
from .hub import EVENTS_STREAM, EVENTS_SUBJECTS, StreamHub
from .response import EventStreamResponse
from .sessions import SessionCache, SessionCheck

__all__ = [
    "EVENTS_STREAM",
    "EVENTS_SUBJECTS",
    "Connection",
    "Event",
    "EventStreamResponse",
    "SessionCache",
    "SessionCheck",
    "StreamHub",
    "decode",
    "valid_name",
    "valid_resource",
]
