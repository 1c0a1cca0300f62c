"""The local mail server of `make run`: an SMTP server (aiosmtpd) on 127.0.0.1 that
keeps every mail it is given as a `.eml` file in one folder, so a new user can open what
SkyClust sent (verification links included) without a mail account."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode()
        (self.folder / name).write_bytes(raw)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Keep(self.folder), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))
