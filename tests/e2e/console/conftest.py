"""The console in a real browser: Debian's Chromium, headless, driven by Playwright,
against the e2e platform (the same launcher as `make run`).

Chromium is installed here when it is missing (as the Makefile installs buildah):
`apt-get install -y chromium`, after an `apt-get update` if the first try fails, so a
fresh clone's `make test` has it. Screenshots of each page go to
`.skyclust/test-artifacts/console/` (ignored by git)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / ".skyclust" / "test-artifacts" / "console"


def _apt(*args: str) -> bool:
    done = subprocess.run(["apt-get", *args], capture_output=True, text=True, timeout=900)
    return done.returncode == 0


def install_chromium() -> Path:
    """Debian's Chromium, installed with apt-get when it is not there yet."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        pytest.fail("Chromium is missing and there is no apt-get to install it with")
    installed = _apt("install", "-y", "chromium")
    if not installed:
        installed = _apt("update") and _apt("install", "-y", "chromium")
    if not installed:
        pytest.fail("could not install Chromium: run `apt-get install -y chromium` as root")
    assert CHROMIUM.exists(), "apt-get installed chromium but /usr/bin/chromium is missing"
    return CHROMIUM


# Per module: Playwright's sync API runs an event loop on this thread while it is open,
# which the async tests of later modules must not find there.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = install_chromium()
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root, where Chromium's sandbox will not start.
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Screens:
    """Saves a page's screenshot as a test artefact, named after what it shows."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, page: Page, name: str) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def screens(artifacts: Path) -> Screens:
    return Screens(artifacts)
