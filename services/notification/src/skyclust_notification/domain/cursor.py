"""Keyset cursors for the inbox: the (created_at, id) of the last row of a page, so a
page never shifts when new notifications arrive meanwhile."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from .errors import InvalidNotificationCursor

Position = tuple[datetime, uuid.UUID]


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, _, row_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        created_at = datetime.fromisoformat(when)
        if created_at.tzinfo is None:
            raise ValueError("naive time")
        return created_at, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidNotificationCursor() from None
