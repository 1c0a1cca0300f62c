"""The contract registry: JSON Schema 2020-12 files under contracts/ are the source
of truth for every message. Messages are validated on publish and on receipt.

Three kinds: `events/` (event data), `commands/` (bus commands, answered by an event)
and `rpc/` (request/reply, with `$defs.request` and `$defs.reply`). Each rpc contract says
in `x-skyclust-kind` whether it is a `command` (it changes state) or a `query` (it only
reads).

Validation runs on jsonschema-rs, one validator compiled per contract (and per part of an
rpc) on first use, with formats (uuid, date-time, uri) checked. Only a message that
fails is looked at again, by the pure-Python validator, for the most relevant error.

Each contract names its owner once, in `x-skyclust-owner`: for an event the service that
publishes it, for a command the service that sends it, for an rpc the service that
answers it. The bus's NATS permissions (`nats_permissions`) and the consumers' check of
an event's `source` (`delivery`) are derived from it. Two exceptions, both explicit:
`x-skyclust-publishers` lists the other services that may publish an event the owner
collects from them (`AuditRecorded`: each service audits its own actions, identity keeps
the trail and checks who may audit what), and the owner `*` (`MessageDeadLettered`
only) is every service, each on its own subject `skyclust.dlq.<service>`.
`x-skyclust-caller-subject: true` on an rpc puts the caller's name in the request
subject (`skyclust.rpc.<owner>.<caller>.<Name>`), which only the caller's NATS user may
publish on: the answering service learns its caller from what NATS enforces."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from .errors import ContractViolation

_FILE = re.compile(r"^(?P<name>[A-Z][A-Za-z0-9]+)\.v(?P<version>[0-9]+)\.schema\.json$")
KINDS = ("events", "commands", "rpc")
RPC_KINDS = ("command", "query")
# The owner of a contract every service publishes, each on a subject of its own.
EVERY_SERVICE = "*"


@dataclass(frozen=True)
class Contract:
    kind: str
    name: str
    version: int
    path: Path
    schema: dict[str, Any]

    @property
    def rpc_kind(self) -> str | None:
        """`command` or `query` for an rpc contract, None for the other kinds."""
        return self.schema.get("x-skyclust-kind") if self.kind == "rpc" else None

    @property
    def owner(self) -> str:
        """The service that publishes (event), sends (command) or answers (rpc) it."""
        return str(self.schema["x-skyclust-owner"])

    @property
    def publishers(self) -> frozenset[str]:
        """Who may publish an event or send a command: its owner, and the services its
        `x-skyclust-publishers` names (`{"*"}`: every service, on its own subject)."""
        return frozenset({self.owner, *self.schema.get("x-skyclust-publishers", ())})

    @property
    def caller_subject(self) -> bool:
        """Whether the rpc's request subject carries the caller's name."""
        return self.kind == "rpc" and self.schema.get("x-skyclust-caller-subject") is True


def find_contracts_dir(start: Path | None = None) -> Path:
    env = os.environ.get("SKYCLUST_CONTRACTS_DIR")
    if env:
        return Path(env)
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "contracts"
        if (candidate / "events").is_dir():
            return candidate
    raise FileNotFoundError("contracts/ not found; set SKYCLUST_CONTRACTS_DIR")


class ContractRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._contracts: dict[tuple[str, int], Contract] = {}
        self._validators: dict[tuple[str, int, str | None], Any] = {}
        self._explainers: dict[tuple[str, int, str | None], Draft202012Validator] = {}
        for kind in KINDS:
            for path in sorted((root / kind).glob("*.json")):
                match = _FILE.match(path.name)
                if not match:
                    raise ValueError(f"contract file name not <Name>.v<N>.schema.json: {path}")
                key = (match["name"], int(match["version"]))
                if key in self._contracts:
                    raise ValueError(f"contract {key} defined twice")
                schema = json.loads(path.read_text())
                if kind == "rpc" and schema.get("x-skyclust-kind") not in RPC_KINDS:
                    raise ValueError(f"rpc contract without x-skyclust-kind command|query: {path}")
                owner = schema.get("x-skyclust-owner")
                if not isinstance(owner, str) or not owner:
                    raise ValueError(f"contract without x-skyclust-owner: {path}")
                self._contracts[key] = Contract(kind, key[0], key[1], path, schema)

    def __iter__(self) -> Iterator[Contract]:
        return iter(self._contracts.values())

    def get(self, name: str, version: int = 1) -> Contract:
        try:
            return self._contracts[(name, version)]
        except KeyError:
            raise ContractViolation(
                f"no contract for {name} v{version}", code="UNKNOWN_CONTRACT"
            ) from None

    def _schema(self, name: str, version: int, part: str | None) -> dict[str, Any]:
        schema = self.get(name, version).schema
        if part is not None:
            schema = {**schema, "$ref": f"#/$defs/{part}"}
            schema.pop("oneOf", None)
        return schema

    def _validator(self, name: str, version: int, part: str | None) -> Any:
        key = (name, version, part)
        validator = self._validators.get(key)
        if validator is None:
            validator = jsonschema_rs.validator_for(
                self._schema(name, version, part), validate_formats=True
            )
            self._validators[key] = validator
        return validator

    def _explainer(self, name: str, version: int, part: str | None) -> Draft202012Validator:
        key = (name, version, part)
        if key not in self._explainers:
            self._explainers[key] = Draft202012Validator(
                self._schema(name, version, part), format_checker=FormatChecker()
            )
        return self._explainers[key]

    def validate(self, name: str, data: Any, *, version: int = 1, part: str | None = None) -> None:
        """Validate `data` against a contract; `part` picks `request` or `reply` of an rpc."""
        if self._validator(name, version, part).is_valid(data):
            return
        where, reason = self._explain(name, version, part, data)
        raise ContractViolation(
            f"{name} v{version}{' ' + part if part else ''} invalid at {where}: {reason}",
            details={"contract": name, "version": version, "path": where},
        )

    def _explain(self, name: str, version: int, part: str | None, data: Any) -> tuple[str, str]:
        # jsonschema's own messages quote the offending value, which may be a secret:
        # only messages that name fields, never values, are passed on.
        error = best_match(self._explainer(name, version, part).iter_errors(data))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            reason = (
                error.message
                if error.validator in ("required", "additionalProperties")
                else f"failed the '{error.validator}' check"
            )
            return where, reason
        # A check only jsonschema-rs makes (a format the Python side has no checker for).
        first = next(iter(self._validator(name, version, part).iter_errors(data)))
        where = "/".join(str(p) for p in first.instance_path) or "(root)"
        kind = type(first.kind).__name__
        return where, f"failed the '{kind[:1].lower()}{kind[1:]}' check"


@lru_cache(maxsize=4)
def load_registry(root: Path | None = None) -> ContractRegistry:
    return ContractRegistry(root or find_contracts_dir())
