"""The docs keep up with the code: every stable error code the services can raise is in
the error table of docs/api.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r'\bcode(?:=| = )"([A-Z][A-Z_]+)"')


def raised_codes() -> set[str]:
    found: set[str] = set()
    for folder in ("services", "libs"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            found |= set(CODE.findall(path.read_text()))
    return found


def test_every_error_code_is_documented():
    codes = raised_codes()
    assert len(codes) > 30
    documented = set(re.findall(r"`([A-Z][A-Z_]+)`", (ROOT / "docs" / "api.md").read_text()))
    assert sorted(codes - documented) == []
