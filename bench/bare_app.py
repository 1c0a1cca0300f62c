"""The baseline for bench.read_path: a bare FastAPI app on the same server stack as the
gateway (uvicorn, uvloop, httptools) that answers GET /api/v1/aws/kubernetes/clusters
with the same envelope, held in memory, and nothing else: no auth, no bus, no database.

Run as `python -m bench.bare_app --port N --items FILE`, where FILE holds the `data` list
the real gateway answered, so both bodies are the same size and shape."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse


def build(items: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/{provider}/kubernetes/clusters")
    async def list_clusters(provider: str) -> JSONResponse:
        return JSONResponse(
            {
                "success": True,
                "data": items,
                "error": None,
                "message": None,
                "request_id": uuid.uuid4().hex,
                "timestamp": datetime.now(UTC).isoformat(),
            }
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--items", type=Path, required=True)
    args = parser.parse_args()
    items = json.loads(args.items.read_text())
    uvicorn.run(
        build(items),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
