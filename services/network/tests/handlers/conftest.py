from __future__ import annotations

from typing import Any

import pytest

from .resources import World


@pytest.fixture
def world(sessions: Any) -> World:
    return World(sessions)
