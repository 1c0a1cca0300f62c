"""Paging and filters for the lists whose owning service answers them whole (clusters,
node groups, networks, credentials, API keys, budgets, channels, workspaces).

A route declares the filters that make sense for its items with `QueryReader(...)` and
answers with `paged(items, query)`:

- `limit` (1 to 100, 100 by default) items per page, in the service's order (oldest
  first for most); `data` stays the list of items.
- When more follow, `X-Next-Cursor` is an opaque cursor and `Link: <...>; rel="next"`
  the next page's address; send `cursor=` back with the same filters. A cursor is
  bound to its filters: with others, or altered, it is `400 INVALID_CURSOR`.
- Filters: `name` (part of the name, any case), `status` (one or several, by commas),
  `region`, `tag` (`key` or `key=value`), `credential_id`.

The lists are a workspace's own, tens to a few thousand items: the gateway pages and
filters what the service answered, so a page costs what the whole list costs.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, ValidationError, create_model

from .envelope import ok
from .errors import InvalidCursor

MAX_LIMIT = 100
_PAGE = {"limit", "cursor"}
FILTERS = ("name", "status", "region", "tag", "credential_id")


@dataclass(frozen=True)
class ListQuery:
    request: Request
    limit: int
    cursor: str | None
    filters: dict[str, str]

    def fingerprint(self) -> str:
        """What a cursor is bound to: every query parameter but the page's own (the
        route's other filters, applied by the service, included)."""
        params = sorted(
            (k, v) for k, v in self.request.query_params.multi_items() if k not in _PAGE
        )
        return hashlib.sha256(orjson.dumps(params)).hexdigest()[:16]


# Each filter: its type and constraints, and what the OpenAPI says of it.
_FIELDS: dict[str, Any] = {
    "limit": (
        int,
        Field(MAX_LIMIT, ge=1, le=MAX_LIMIT, description="items per page (at most 100)"),
    ),
    "cursor": (
        str | None,
        Field(None, max_length=512, description="the X-Next-Cursor of the previous page"),
    ),
    "name": (
        str | None,
        Field(None, min_length=1, max_length=100, description="part of the name, any case"),
    ),
    "status": (
        str | None,
        Field(
            None,
            min_length=1,
            max_length=200,
            pattern=r"^[A-Za-z_]+(,[A-Za-z_]+)*$",
            description="one status or several, separated by commas",
        ),
    ),
    "region": (
        str | None,
        Field(None, pattern=r"^[a-z][a-z0-9-]{1,63}$", description="the cloud's region"),
    ),
    "tag": (
        str | None,
        Field(None, min_length=1, max_length=400, description="key or key=value"),
    ),
    "credential_id": (
        str | None,
        Field(None, pattern=r"^[0-9a-fA-F-]{36}$", description="only those using this credential"),
    ),
}


class QueryReader:
    """A dependency reading `limit`, `cursor` and the given filters (and only those, so
    the OpenAPI shows what each list takes: `openapi.refine` adds them from `model`).

    It reads the query string itself rather than declaring each parameter to FastAPI,
    which validates every declared parameter on every request, given or not (about
    10 µs each on a cached read of 150 µs): a request with none of them costs nothing,
    and one with some is validated at once by `model`, with FastAPI's error shape."""

    def __init__(self, *filters: str) -> None:
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise ValueError(f"no such filter: {sorted(unknown)}")
        self.filters = filters
        self.names = ("limit", "cursor", *filters)
        self.model = create_model(
            "ListQuery_" + "_".join(filters),
            __config__=ConfigDict(extra="ignore"),
            **{name: _FIELDS[name] for name in self.names},
        )

    async def __call__(self, request: Request) -> ListQuery:
        params = request.query_params
        given = {name: params[name] for name in self.names if name in params}
        if not given:
            return ListQuery(request, MAX_LIMIT, None, {})
        try:
            values = self.model.model_validate(given)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            ) from None
        filters = {
            name: str(value)
            for name in self.filters
            if (value := getattr(values, name)) is not None
        }
        return ListQuery(request, values.limit, values.cursor, filters)

    def parameters(self) -> list[dict[str, Any]]:
        """The OpenAPI parameters of what it reads."""
        properties = self.model.model_json_schema()["properties"]
        documented = []
        for name in self.names:
            schema = {k: v for k, v in properties[name].items() if (k, v) != ("default", None)}
            documented.append(
                {
                    "description": schema["description"],
                    "in": "query",
                    "name": name,
                    "required": False,
                    "schema": schema,
                }
            )
        return documented


def _tags(item: dict[str, Any]) -> dict[str, Any]:
    tags = item.get("tags")
    return tags if isinstance(tags, dict) else {}


def _keeps(item: dict[str, Any], filters: dict[str, str]) -> bool:
    name = filters.get("name")
    if name is not None and name.lower() not in str(item.get("name", "")).lower():
        return False
    status = filters.get("status")
    if status is not None and str(item.get("status", "")).upper() not in {
        s.upper() for s in status.split(",")
    }:
        return False
    region = filters.get("region")
    if region is not None and item.get("region") != region:
        return False
    credential = filters.get("credential_id")
    if credential is not None and str(item.get("credential_id", "")).lower() != credential.lower():
        return False
    tag = filters.get("tag")
    if tag is not None:
        key, has_value, value = tag.partition("=")
        tags = _tags(item)
        if key not in tags or (has_value and str(tags[key]) != value):
            return False
    return True


def _encode(item: dict[str, Any], fingerprint: str) -> str:
    raw = orjson.dumps([str(item.get("id", "")), str(item.get("created_at", "")), fingerprint])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fingerprint: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last_id, created_at, bound = orjson.loads(raw)
    except (ValueError, TypeError):
        raise InvalidCursor() from None
    if bound != fingerprint or not isinstance(last_id, str) or not isinstance(created_at, str):
        raise InvalidCursor()
    return last_id, created_at


def _after(items: list[dict[str, Any]], last_id: str, created_at: str) -> list[dict[str, Any]]:
    """The items after the cursor's: after its position while it is still listed, else
    the ones created after it (or with a later id at the same time)."""
    for index, item in enumerate(items):
        if str(item.get("id", "")) == last_id:
            return items[index + 1 :]
    return [
        item
        for item in items
        if (str(item.get("created_at", "")), str(item.get("id", ""))) > (created_at, last_id)
    ]


def paged(
    items: list[dict[str, Any]], query: ListQuery, message: str | None = None
) -> JSONResponse:
    """One page of `items` after filtering, with the next page's cursor in
    `X-Next-Cursor` and `Link` when there is one."""
    kept = [item for item in items if _keeps(item, query.filters)]
    fingerprint = query.fingerprint()
    if query.cursor:
        kept = _after(kept, *_decode(query.cursor, fingerprint))
    page, more = kept[: query.limit], len(kept) > query.limit
    response = ok(page, message=message)
    if more and page:
        cursor = _encode(page[-1], fingerprint)
        params = {**dict(query.request.query_params), "cursor": cursor}
        url = f"{query.request.url.path}?{urlencode(params)}"
        response.headers["X-Next-Cursor"] = cursor
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


# The lists' query parameters, by what their items have.
ResourceList = Annotated[ListQuery, Depends(QueryReader(*FILTERS))]
StatusList = Annotated[ListQuery, Depends(QueryReader("name", "status"))]
NamedList = Annotated[ListQuery, Depends(QueryReader("name"))]
