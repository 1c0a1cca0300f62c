"""Cloud SDK calls that block (boto3, google-cloud-*, azure-mgmt-*), run off the event
loop, with the vendor's exceptions translated at this one boundary, and counted there:

- `skyclust_cloud_api_calls_total{provider,operation,outcome}`: outcome `ok`, `error`
  or `throttled` (the cloud's PROVIDER_THROTTLED), so calls, errors and throttles are
  one counter;
- `skyclust_cloud_api_call_duration_seconds{provider,operation}`.

A call is counted only when its caller names the provider; the operation is the
function's name without its leading underscore unless given."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

from ..errors import ProviderError

T = TypeVar("T")
Translate = Callable[[Exception], ProviderError | None]

THROTTLED = "PROVIDER_THROTTLED"

CLOUD_CALLS = Counter(
    "skyclust_cloud_api_calls_total",
    "Cloud API calls by provider and operation; outcome ok, error or throttled",
    ["provider", "operation", "outcome"],
)
CLOUD_CALL_SECONDS = Histogram(
    "skyclust_cloud_api_call_duration_seconds",
    "Cloud API calls, from the call to its answer or error",
    ["provider", "operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


async def in_thread(
    fn: Callable[..., T],
    *args: Any,
    translate: Translate | None = None,
    provider: str = "",
    operation: str = "",
    throttled: Callable[[Exception], bool] | None = None,
) -> T:
    """`fn(*args)` on the loop's default executor, which is bounded (the runtime gives it
    SKYCLUST_BLOCKING_THREADS threads), so a burst of slow cloud calls queues instead of
    growing threads without end. `translate` turns the vendor's exceptions into
    ProviderErrors and returns None for anything else, which leaves as it is: a bug stays
    a bug. With `provider`, the call is counted and timed (see `counted`)."""
    if not provider:
        return await _call(fn, args, translate)
    with counted(provider, operation or getattr(fn, "__name__", "call").lstrip("_"), throttled):
        return await _call(fn, args, translate)


@contextmanager
def counted(
    provider: str, operation: str, throttled: Callable[[Exception], bool] | None = None
) -> Iterator[None]:
    """Counts and times the cloud call made inside, for code that calls an SDK itself
    (already on a worker thread). A ProviderError coded PROVIDER_THROTTLED is a throttle,
    and so is any error `throttled` says is one (for callers that keep the vendor's
    exceptions); any other exception is an error."""
    outcome = "error"
    started = time.perf_counter()
    try:
        yield
        outcome = "ok"
    except ProviderError as exc:
        if exc.code == THROTTLED:
            outcome = "throttled"
        raise
    except Exception as exc:
        if throttled is not None and throttled(exc):
            outcome = "throttled"
        raise
    finally:
        CLOUD_CALLS.labels(provider, operation, outcome).inc()
        CLOUD_CALL_SECONDS.labels(provider, operation).observe(time.perf_counter() - started)


async def _call(fn: Callable[..., T], args: tuple[Any, ...], translate: Translate | None) -> T:
    try:
        return await asyncio.to_thread(fn, *args)
    except ProviderError:
        raise
    except Exception as exc:
        translated = translate(exc) if translate is not None else None
        if translated is None:
            raise
        raise translated from None
