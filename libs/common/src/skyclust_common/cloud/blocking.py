"""Cloud SDK calls that block (boto3, google-cloud-*, azure-mgmt-*), run off the event
loop, with the vendor's exceptions translated at this one boundary."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import ProviderError

T = TypeVar("T")
Translate = Callable[[Exception], ProviderError | None]


async def in_thread(fn: Callable[..., T], *args: Any, translate: Translate | None = None) -> T:
    """`fn(*args)` on the loop's default executor, which is bounded (the runtime gives it
    SKYCLUST_BLOCKING_THREADS threads), so a burst of slow cloud calls queues instead of
    growing threads without end. `translate` turns the vendor's exceptions into
    ProviderErrors and returns None for anything else, which leaves as it is: a bug stays
    a bug."""
    try:
        return await asyncio.to_thread(fn, *args)
    except ProviderError:
        raise
    except Exception as exc:
        translated = translate(exc) if translate is not None else None
        if translated is None:
            raise
        raise translated from None
