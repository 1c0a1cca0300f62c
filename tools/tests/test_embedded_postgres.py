"""Where pgserver has no wheel (Python 3.13, Linux arm64) it is not installed, and the
embedded PostgreSQL says what to do instead of failing with an import error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from skyclust_tools.embedded import EmbeddedError, PostgresServer

pytestmark = pytest.mark.unit


def test_without_pgserver_it_names_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pgserver", None)  # `import pgserver` fails
    with pytest.raises(EmbeddedError) as refused:
        PostgresServer(tmp_path / "pg").start()
    message = str(refused.value)
    assert "SKYCLUST_DATABASE_URL" in message
    assert "3.11 and 3.12" in message and "x86_64" in message


def test_the_dependency_is_limited_to_where_it_has_wheels() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    (line,) = [line for line in pyproject.splitlines() if '"pgserver' in line]
    assert "python_version < '3.13'" in line and "platform_machine == 'x86_64'" in line
