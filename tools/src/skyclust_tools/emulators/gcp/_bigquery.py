"""Enough of BigQuery's jobs API (``jobs.insert``, ``jobs.get``, ``jobs.query``,
``jobs.getQueryResults``) for ``bigquery.Client.query(sql).result()`` over the standard
billing export table ``<project>.<dataset>.gcp_billing_export_v1_<ACCOUNT>``.

SQL is not implemented in general: `_sql.parse` recognises one documented query shape
(see tools/EMULATORS.md) and anything else is a BigQuery-shaped ``invalidQuery`` error.
One export row is one day of one billed meter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .._core import JSON, Fault, Router, rfc3339
from ._auth import authenticate, authorize
from ._common import GoogleError, json_response
from ._sql import Query, QueryError, parse, run

if TYPE_CHECKING:
    from ._app import GcpEmulator

SERVICE = "bigquery.googleapis.com"
LOCATION = "US"
PAGE_SIZE = 10000


@dataclass
class _Job:
    resource: JSON
    query: Query
    rows: list[list[Any]]


def _invalid(message: str) -> GoogleError:
    return GoogleError(400, message, reason="invalidQuery")


def _encode(value: Any, field: JSON, int64_timestamps: bool) -> Any:
    if value is None:
        return None
    kind = field["type"]
    if field.get("mode") == "REPEATED":
        item = {**field, "mode": "NULLABLE"}
        return [{"v": _encode(v, item, int64_timestamps)} for v in value]
    if kind == "RECORD":
        return {
            "f": [
                {"v": _encode(v, f, int64_timestamps)}
                for v, f in zip(value, field["fields"], strict=True)
            ]
        }
    if kind == "TIMESTAMP":
        return str(round(value * 1e6)) if int64_timestamps else f"{value:.6f}"
    if kind == "DATE":
        return value.isoformat()
    if kind == "FLOAT":
        return repr(float(value))
    return str(value)


class BigQuery:
    def __init__(self, emu: GcpEmulator) -> None:
        self.emu = emu
        self.jobs: dict[tuple[str, str], _Job] = {}

    def reset(self) -> None:
        self.jobs.clear()

    def _run(self, project: str, job_id: str, config: JSON) -> _Job:
        if (project, job_id) in self.jobs:
            raise GoogleError(
                409, f"Already Exists: Job {project}:{LOCATION}.{job_id}", reason="duplicate"
            )
        if config.get("useLegacySql", True) is not False:
            raise _invalid("The emulator runs GoogleSQL only: set useLegacySql to false.")
        try:
            query = parse(
                str(config.get("query") or ""),
                config.get("queryParameters") or [],
                self.emu.clock.now(),
            )
            self.emu.ledger.observe(self.emu.meters())
            rows = run(query, self.emu.ledger, self.emu.clock.now())
        except QueryError as exc:
            raise _invalid(str(exc)) from exc
        if query.account != _account_id():
            raise GoogleError(
                404,
                f"Not found: Table {query.table_project}:{query.dataset}.{query.table} was not "
                f"found in location {LOCATION}",
                reason="notFound",
            )
        now = rfc3339(self.emu.clock.now())
        millis = str(int(self.emu.clock.now() * 1000))
        resource: JSON = {
            "kind": "bigquery#job",
            "id": f"{project}:{LOCATION}.{job_id}",
            "selfLink": f"/bigquery/v2/projects/{project}/jobs/{job_id}?location={LOCATION}",
            "jobReference": {"projectId": project, "jobId": job_id, "location": LOCATION},
            "configuration": {"query": config, "jobType": "QUERY"},
            "status": {"state": "DONE"},
            "statistics": {
                "creationTime": millis,
                "startTime": millis,
                "endTime": millis,
                "totalBytesProcessed": "0",
                "query": {"totalBytesProcessed": "0", "cacheHit": False, "statementType": "SELECT"},
            },
            "user_email": "emulator",
            "principal_subject": "emulator",
            "_created": now,
        }
        job = _Job(resource, query, rows)
        self.jobs[(project, job_id)] = job
        return job

    def _results(self, project: str, job: _Job, request: Request, max_results: Any) -> JSON:
        int64 = request.query_params.get("formatOptions.useInt64Timestamp") == "true"
        size = PAGE_SIZE if max_results is None else int(max_results)
        token = request.query_params.get("pageToken") or "0"
        start = int(request.query_params.get("startIndex") or token)
        page = job.rows[start : start + size]
        fields = job.query.schema()
        body: JSON = {
            "kind": "bigquery#getQueryResultsResponse",
            "etag": uuid.uuid4().hex,
            "schema": {"fields": fields},
            "jobReference": job.resource["jobReference"],
            "totalRows": str(len(job.rows)),
            "jobComplete": True,
            "totalBytesProcessed": "0",
            "cacheHit": False,
        }
        if size:
            body["rows"] = [
                {"f": [{"v": _encode(v, f, int64)} for v, f in zip(row, fields, strict=True)]}
                for row in page
            ]
        if size and start + size < len(job.rows):
            body["pageToken"] = str(start + size)
        return body

    def _job(self, project: str, job_id: str) -> _Job:
        job = self.jobs.get((project, job_id))
        if job is None:
            raise GoogleError(
                404, f"Not found: Job {project}:{LOCATION}.{job_id}", reason="notFound"
            )
        return job

    def register(self, router: Router) -> None:
        base = "/bigquery/v2/projects/{project}"

        def allowed(request: Request, project: str, permission: str) -> None:
            authorize(authenticate(self.emu, request), project, SERVICE, permission)

        async def insert(request: Request, params: dict[str, str], fault: Fault | None) -> Response:
            allowed(request, params["project"], "bigquery.jobs.create")
            body = await request.json()
            reference = body.get("jobReference") or {}
            job_id = str(reference.get("jobId") or uuid.uuid4())
            config = (body.get("configuration") or {}).get("query")
            if not isinstance(config, dict):
                raise GoogleError(400, "Only query jobs are supported by the emulator.")
            job = self._run(params["project"], job_id, config)
            return json_response(job.resource)

        async def get(request: Request, params: dict[str, str], fault: Fault | None) -> Response:
            allowed(request, params["project"], "bigquery.jobs.get")
            return json_response(self._job(params["project"], params["job"]).resource)

        async def results(
            request: Request, params: dict[str, str], fault: Fault | None
        ) -> Response:
            allowed(request, params["project"], "bigquery.jobs.get")
            job = self._job(params["project"], params["job"])
            wanted = request.query_params.get("maxResults")
            return json_response(self._results(params["project"], job, request, wanted))

        async def query(request: Request, params: dict[str, str], fault: Fault | None) -> Response:
            allowed(request, params["project"], "bigquery.jobs.create")
            body = await request.json()
            config = {k: v for k, v in body.items() if k not in ("maxResults", "requestId")}
            job = self._run(params["project"], f"job_{uuid.uuid4().hex}", config)
            return json_response(
                self._results(params["project"], job, request, body.get("maxResults"))
            )

        router.add(["POST"], f"{base}/jobs", insert)
        router.add(["GET"], f"{base}/jobs/{{job}}", get)
        router.add(["GET"], f"{base}/queries/{{job}}", results)
        router.add(["POST"], f"{base}/queries", query)


def _account_id() -> str:
    from ._billing import BILLING_ACCOUNT

    return BILLING_ACCOUNT.replace("-", "_")


def export_table(project: str, dataset: str = "billing_export") -> str:
    """The export table's full name, as a query's FROM clause names it."""
    return f"{project}.{dataset}.gcp_billing_export_v1_{_account_id()}"


__all__ = ["BigQuery", "export_table"]
