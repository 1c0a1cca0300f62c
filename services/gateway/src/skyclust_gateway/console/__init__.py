"""The web console: static HTML, CSS and vanilla ES modules under `/console`, shipped
inside this package (no build step, no CDN). It speaks only to the public REST API and
the event stream, like any other client, so it has no routes of its own to protect:
every permission is the API's. Its pages are in `static/`, its CSP in `middleware`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PATH = "/console"


def install(app: FastAPI) -> None:
    """Serve the console's files under `/console/`; `/console` redirects there."""
    app.mount(PATH, StaticFiles(directory=STATIC, html=True), name="console")
