"""Whether a stream's login session is still live, asked of identity sparingly."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

SessionCheck = Callable[[str], Awaitable[bool]]


class SessionCache:
    """Whether a session is still live, asked of identity at most once per `ttl` per
    session. If identity cannot answer, the last answer stands; with none, the error
    goes to the caller (the stream is refused rather than opened unchecked)."""

    def __init__(
        self,
        ask: SessionCheck,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self.ttl = ttl
        self._clock = clock
        self._answers: dict[str, tuple[bool, float]] = {}

    async def __call__(self, session_id: str) -> bool:
        now = self._clock()
        cached = self._answers.get(session_id)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            live = await self._ask(session_id)
        except Exception:
            if cached is not None:
                return cached[0]
            raise
        if len(self._answers) > 50000:
            self._answers = {k: v for k, v in self._answers.items() if now - v[1] < self.ttl}
        self._answers[session_id] = (live, now)
        return live
