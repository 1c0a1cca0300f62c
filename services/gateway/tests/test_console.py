"""The web console as the gateway serves it: its page and modules under `/console`, with
a CSP that lets the page run its own scripts and nothing inline or foreign, and every
module the page imports present in the package (no build step could have missed one)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from skyclust_gateway.app import create_app
from skyclust_gateway.console import STATIC
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


@pytest.fixture
async def gw() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


async def test_the_console_page_is_served_with_a_csp_of_its_own_scripts_only(gw) -> None:
    page = await gw.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/app.js"></script>' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"


async def test_a_bare_console_path_redirects_to_the_page(gw) -> None:
    moved = await gw.get("/console")
    assert moved.status_code in (301, 307)
    assert moved.headers["location"].endswith("/console/")


async def test_modules_are_served_as_javascript(gw) -> None:
    module = await gw.get("/console/js/app.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    missing = await gw.get("/console/js/nothing.js")
    assert missing.status_code == 404


async def test_the_api_keeps_its_own_stricter_csp(gw) -> None:
    api = await gw.get("/api/v1/auth/me")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


IMPORT = re.compile(r'from "\./([a-z-]+\.js)"')


def test_every_module_imported_is_shipped_and_nothing_is_inline_or_remote() -> None:
    modules = sorted((STATIC / "js").glob("*.js"))
    assert {m.name for m in modules} >= {"app.js", "api.js", "stream.js", "wizard.js"}
    for module in modules:
        for name in IMPORT.findall(module.read_text()):
            assert (STATIC / "js" / name).is_file(), f"{module.name} imports missing {name}"
    for page in [*modules, STATIC / "index.html", STATIC / "console.css"]:
        # The SVG namespace is a name, not a host anything is fetched from.
        text = page.read_text().replace('"http://www.w3.org/2000/svg"', "")
        assert "http://" not in text and "https://" not in text, f"{page.name} names a host"
        assert "innerHTML" not in text, f"{page.name} parses text as HTML"
    index = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)", index) == [], "inline script in index.html"
    assert " style=" not in index
