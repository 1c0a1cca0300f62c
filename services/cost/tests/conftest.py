from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def workspace() -> uuid.UUID:
    return uuid.uuid4()
