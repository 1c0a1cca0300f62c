"""OpenAPI fuzzing of the gateway with schemathesis: generated requests (valid and
invalid) for every operation, authenticated as the admin of a throwaway workspace.
No response may be a 5xx, and every response must match the documented status codes,
content types and schemas."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
# The stream never ends, logout would end the fuzzer's own session, and OIDC redirects
# to providers that are not configured here.
EXCLUDE = r"/events/stream$|/auth/logout$|/auth/oidc/"


def test_gateway_conforms_to_its_openapi(platform, tmp_path: Path) -> None:
    api = platform.api()
    api.signup()
    schemathesis = Path(sys.executable).parent / "schemathesis"
    done = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{platform.gateway_url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "8",
            "--seed",
            "20261121",
            "--phases",
            "examples,coverage,fuzzing",
            "--exclude-path-regex",
            EXCLUDE,
            "--header",
            f"Authorization: Bearer {api.token}",
            "--request-timeout",
            "15",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=400,
    )
    output = done.stdout + done.stderr
    # The failures come before the warnings, which can be long enough to push them out;
    # the services' own account of a 5xx (its exception) follows them.
    assert done.returncode == 0, output.split(" WARNINGS ")[0][-8000:] + _errors(platform)
    summary = re.search(r"(\d+) generated, (\d+) passed", output)
    assert summary is not None, output[-3000:]
    generated, passed = (int(n) for n in summary.groups())
    assert generated >= 300 and passed == generated


def _errors(platform) -> str:
    """The error lines and tracebacks of every service's log, the last 60 of each."""
    kept = []
    for name, text in sorted(platform.logs().items()):
        lines = [
            line
            for line in text.splitlines()
            if "ERROR" in line or "Traceback" in line or line.startswith(("  File", "    "))
        ]
        if lines:
            kept.append(f"--- {name}\n" + "\n".join(lines[-60:]))
    return "\n\nservice logs:\n" + "\n".join(kept)
