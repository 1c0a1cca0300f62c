"""A short-lived cache of the answers to a few hot reads (the cluster list and one cluster),
per workspace, kept correct by the events the gateway already follows for its streams.

A read through the whole stack costs a NATS round trip and a database query in the owning
service; a dashboard polling the cluster list asks the same question many times a second.
The cache answers from memory while nothing in the workspace has changed:

- Every event of a workspace (the stream hub sees all of them, in order) and every other
  call this gateway relays for it (a create, a scale, a delete) moves the workspace's
  generation on, which drops its entries.
- Requests asking the same question while its read is on its way share that read.
- An answer is stored only if the generation is still the one seen when the read was
  sent: a read that raced a change is served once and not kept.
- Entries live `ttl` seconds at most, which bounds what a missed event could leave
  behind (a NATS reconnect or a reset of the hub's ordered consumer). A reconnect clears
  everything at once, and without a live hub the cache is not used at all.

So a client that saw an event on its stream, or made a change through this gateway,
reads what followed it. A change made through another gateway is seen here once its
event arrives, within milliseconds, and within `ttl` in any case.

A request with `Cache-Control: no-cache` is answered by the owning service. Only
successful answers are kept; the caller's permission is checked before every read,
cached or not, and the workspace is part of every key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

import orjson

Fetch = Callable[[], Awaitable[dict[str, Any]]]

# Set for a request that sent `Cache-Control: no-cache`: its reads go to the service.
fresh_read_var: ContextVar[bool] = ContextVar("fresh_read", default=False)


class ReadCache:
    def __init__(
        self,
        reads: Mapping[str, frozenset[str]],
        *,
        ttl: float = 1.0,
        max_entries: int = 10_000,
        live: Callable[[], bool] = lambda: True,
        reconnects: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # service -> the names of its reads that may be cached
        self.reads = reads
        self.ttl = ttl
        self.max_entries = max_entries
        self.live = live
        self.reconnects = reconnects
        self.clock = clock
        self.generations: dict[str, int] = {}
        self.entries: dict[tuple[str, str, bytes], tuple[int, float, dict[str, Any]]] = {}
        self._reconnects_seen = reconnects()
        self.flights: dict[tuple[tuple[str, str, bytes], int], asyncio.Future[dict[str, Any]]] = {}
        self.hits = 0
        self.misses = 0
        self.joined = 0

    def cacheable(self, service: str, name: str) -> bool:
        return self.ttl > 0 and name in self.reads.get(service, frozenset())

    def changed(self, workspace: str) -> None:
        """Something in the workspace changed: its cached answers are no longer good."""
        self.generations[workspace] = self.generations.get(workspace, 0) + 1

    async def read(
        self, service: str, name: str, data: dict[str, Any], fetch: Fetch
    ) -> dict[str, Any]:
        workspace = data.get("workspace_id")
        if not isinstance(workspace, str) or fresh_read_var.get() or not self._usable():
            return await fetch()
        key = (service, name, orjson.dumps(data, option=orjson.OPT_SORT_KEYS))
        generation = self.generations.get(workspace, 0)
        now = self.clock()
        entry = self.entries.get(key)
        if entry is not None and entry[0] == generation and entry[1] > now:
            self.hits += 1
            return entry[2]
        # One fetch per question at a time: when an answer expires under load, the
        # requests that find it gone wait for the one read already on its way instead of
        # each sending their own (what made the p99 of 32 connections 14x bare's).
        flight = self.flights.get((key, generation))
        if flight is None:
            self.misses += 1
            flight = asyncio.ensure_future(self._fetch(key, workspace, generation, fetch))
            self.flights[(key, generation)] = flight
            flight.add_done_callback(lambda _: self.flights.pop((key, generation), None))
        else:
            self.joined += 1
        # Shielded: a caller that goes away does not cancel the read the others wait for.
        return await asyncio.shield(flight)

    async def _fetch(
        self, key: tuple[str, str, bytes], workspace: str, generation: int, fetch: Fetch
    ) -> dict[str, Any]:
        result = await fetch()
        if self.generations.get(workspace, 0) == generation and self._usable():
            now = self.clock()
            if len(self.entries) >= self.max_entries:
                self._evict(now)
            self.entries[key] = (generation, now + self.ttl, result)
        return result

    def _usable(self) -> bool:
        if not self.live():
            self.entries.clear()
            return False
        reconnects = self.reconnects()
        if reconnects != self._reconnects_seen:
            # Events may have been missed while NATS was away.
            self._reconnects_seen = reconnects
            self.entries.clear()
        return True

    def _evict(self, now: float) -> None:
        expired = [key for key, (_, until, _) in self.entries.items() if until <= now]
        for key in expired:
            del self.entries[key]
        while len(self.entries) >= self.max_entries:
            del self.entries[next(iter(self.entries))]
