"""The AsyncAPI 3.0 document of the public NATS API (docs/nats-api.md)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Depends

from skyclust_common.contracts import load_registry

from ..permissions import public
from ..public_api.asyncapi import document

router = APIRouter(tags=["nats"])


@cache
def _document() -> dict[str, Any]:
    return document(load_registry())


@router.get("/asyncapi.json", dependencies=[Depends(public)])
async def asyncapi() -> dict[str, Any]:
    """Every public NATS subject: commands, their outcomes, reads and events."""
    return _document()
