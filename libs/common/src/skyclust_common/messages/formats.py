"""The string formats the contracts use (uuid, date-time, uri) as field types.

A value on the wire is checked by the same jsonschema-rs format checker that validates
the message against its contract, so a model accepts exactly the strings the schema
does: pydantic's own UUID and datetime parsers are laxer (a UUID without hyphens, a
datetime from a number). Then it is parsed: a `Uuid` field holds a `uuid.UUID`, a
`DateTime` an aware `datetime`; a `Uri` stays the string it was, unnormalised."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import jsonschema_rs
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StrictStr


def _checker(name: str) -> Callable[[Any], bool]:
    validator = jsonschema_rs.validator_for(
        {"type": "string", "format": name}, validate_formats=True
    )
    return validator.is_valid


_is_uuid = _checker("uuid")
_is_date_time = _checker("date-time")
_is_uri = _checker("uri")


def _uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and _is_uuid(value):
        return uuid.UUID(value)
    raise ValueError("not a UUID in its hyphenated form")


def _date_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _is_date_time(value):
        return value
    raise ValueError("not an RFC 3339 date-time")


def _uri(value: str) -> str:
    if not _is_uri(value):
        raise ValueError("not an absolute URI")
    return value


Uuid = Annotated[uuid.UUID, BeforeValidator(_uuid)]
DateTime = Annotated[AwareDatetime, BeforeValidator(_date_time)]
Uri = Annotated[StrictStr, AfterValidator(_uri)]
