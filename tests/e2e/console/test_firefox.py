"""The web console in Firefox: Debian's firefox-esr, headless, driven over WebDriver BiDi
by puppeteer-core (`firefox/console.mjs`, run here with Node), against the e2e platform.
Playwright cannot drive a stock Firefox, and its own Firefox build cannot be fetched
everywhere, so this test does not use it.

The set-up installs what is missing, as the Chromium one does: firefox-esr (and Node with
npm) with `apt-get`, and the locked puppeteer-core with `npm ci --ignore-scripts` into
`firefox/node_modules` (ignored by git), which downloads no browser. Where that cannot
be done the test fails and says how; it is never skipped."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..test_cluster_lifecycle import add_credential

# Over the suite's 300 s: this test may be the one that starts the platform (up to 240 s
# on a loaded machine), installs firefox-esr and puppeteer-core, then runs the script.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FIREFOX = Path("/usr/bin/firefox-esr")
DRIVER = Path(__file__).resolve().parent / "firefox"
LOCK = DRIVER / "package-lock.json"
# Written after a good `npm ci`: the lockfile's digest, so a changed lock installs again.
STAMP = DRIVER / "node_modules" / ".skyclust-lock-sha256"
PASSWORD = "correct-horse-9"
READY_SECONDS = 120
# Firefox's start, the sign-in and the wizard on a loaded 2-core machine, then READY.
SCRIPT_SECONDS = READY_SECONDS + 240


def _apt(*args: str) -> bool:
    done = subprocess.run(["apt-get", *args], capture_output=True, text=True, timeout=900)
    return done.returncode == 0


def apt_install(binary: Path, *packages: str) -> Path:
    """`binary`, installed from `packages` with apt-get when it is not there yet."""
    if binary.exists():
        return binary
    wanted = " ".join(packages)
    if shutil.which("apt-get") is None:
        pytest.fail(f"{binary} is missing and there is no apt-get to install {wanted} with")
    installed = _apt("install", "-y", *packages)
    if not installed:
        installed = _apt("update") and _apt("install", "-y", *packages)
    if not installed:
        pytest.fail(f"could not install {wanted}: run `apt-get install -y {wanted}` as root")
    assert binary.exists(), f"apt-get installed {wanted} but {binary} is missing"
    return binary


def node() -> str:
    found = shutil.which("node")
    if found is None:
        apt_install(Path("/usr/bin/node"), "nodejs", "npm")
        found = "/usr/bin/node"
    major = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
    # puppeteer-core 24 (package.json's engines): Node 18 or newer.
    assert int(major.stdout.strip().lstrip("v").split(".")[0]) >= 18, major.stdout
    return found


def install_puppeteer() -> None:
    """`npm ci` of firefox/package-lock.json, unless that lock is what is installed.
    --ignore-scripts: no package may fetch a browser (puppeteer-core has no install
    script of its own; this keeps a dependency from adding one)."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        apt_install(Path("/usr/bin/npm"), "npm")
        npm = "/usr/bin/npm"
    done = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=DRIVER,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(
            f"`npm ci` in {DRIVER} failed (is the npm registry reachable?):\n"
            f"{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    STAMP.write_text(digest)


@pytest.fixture(scope="module")
def firefox() -> Path:
    return apt_install(FIREFOX, "firefox-esr")


@pytest.fixture(scope="module")
def driver() -> str:
    executable = node()
    install_puppeteer()
    return executable


def drive_console(
    driver: str, firefox: Path, base: str, email: str, screenshots: Path
) -> dict[str, Any]:
    """Runs console.mjs and returns the JSON line it printed, failing with all it said
    when it printed none or reported a failed step."""
    env = {
        **os.environ,
        "SKYCLUST_GATEWAY_URL": base,
        "SKYCLUST_CONSOLE_EMAIL": email,
        "SKYCLUST_CONSOLE_PASSWORD": PASSWORD,
        "SKYCLUST_SCREENSHOTS": str(screenshots),
        "SKYCLUST_READY_SECONDS": str(READY_SECONDS),
        "FIREFOX": str(firefox),
    }
    done = subprocess.run(
        [driver, str(DRIVER / "console.mjs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"console.mjs printed no result (exit {done.returncode}):\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert result["ok"] and done.returncode == 0, json.dumps(result, indent=2) + done.stderr
    return result


def test_firefox_signs_in_creates_a_cluster_in_the_wizard_and_sees_it_ready_live(
    platform: Any,
    local_aws_credential: dict[str, Any],
    firefox: Path,
    driver: str,
    artifacts: Path,
) -> None:
    api = platform.api()
    account = api.signup(PASSWORD)
    add_credential(api, {**local_aws_credential, "name": "firefox-aws"})

    # Written only when a step fails: one left by an earlier run would mislead.
    (artifacts / "firefox-failed.png").unlink(missing_ok=True)
    seen = drive_console(driver, firefox, platform.gateway_url, account["email"], artifacts)

    assert seen["browser"].startswith("firefox/"), seen["browser"]
    assert "Firefox/" in seen["userAgent"], seen["userAgent"]
    assert seen["whoami"] == f"{account['email']} · admin"
    assert seen["estimate"].startswith("$"), seen["estimate"]
    # Shown as it moved, not loaded READY: the page saw a status before READY, and the
    # timeline (filled by the EventSource alone) has the saga's events, newest first.
    assert seen["statuses"][-1] == "READY" and len(seen["statuses"]) >= 2, seen["statuses"]
    events = seen["events"]
    assert events[-1] == "ClusterRequested", events
    assert {"ClusterProvisioning", "ClusterReady"} <= set(events), events
    assert seen["sameDocument"] is True, "the page was reloaded"
    assert seen["live"] == "live"
    assert seen["listed"] == seen["name"]
    assert seen["pageErrors"] == [], seen["pageErrors"]

    cluster = api.get(f"/api/v1/aws/kubernetes/clusters/{seen['clusterId']}")
    assert cluster.status_code == 200, cluster.text
    data = cluster.json()["data"]
    assert (data["name"], data["status"]) == (seen["name"], "READY")
    groups = api.get(f"/api/v1/aws/kubernetes/clusters/{seen['clusterId']}/node-groups")
    assert groups.status_code == 200, groups.text
    assert [(g["name"], g["status"]) for g in groups.json()["data"]] == [("workers", "READY")]

    for name in ("firefox-clusters", "firefox-wizard-review", "firefox-cluster-detail"):
        shot = Path(seen["screenshots"][name])
        assert shot.parent == artifacts, shot
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
