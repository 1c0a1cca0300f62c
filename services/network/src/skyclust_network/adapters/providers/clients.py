"""SDK clients by credential: built once, under a lock, and shared by the worker threads
that run a provider's calls."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ClientCache(Generic[T]):
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._clients: dict[tuple[str, str], T] = {}
        self._lock = threading.Lock()

    def get(self, credential: Any, scope: str, build: Callable[[], T]) -> T:
        """The client of `credential` (a JSON-able value) for `scope` (a region, or "");
        `build` makes it the first time. Past `limit` clients the cache starts over."""
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True).encode()).hexdigest()
        with self._lock:
            client = self._clients.get((digest, scope))
            if client is None:
                client = build()
                if len(self._clients) >= self._limit:
                    self._clients.clear()
                self._clients[(digest, scope)] = client
            return client
