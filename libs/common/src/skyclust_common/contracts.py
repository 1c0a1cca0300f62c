"""The contract registry: JSON Schema 2020-12 files under contracts/ are the source
of truth for every message. Messages are validated on publish and on receipt."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from .errors import ContractViolation

_FILE = re.compile(r"^(?P<name>[A-Z][A-Za-z0-9]+)\.v(?P<version>[0-9]+)\.schema\.json$")
KINDS = ("events", "commands", "queries")


@dataclass(frozen=True)
class Contract:
    kind: str
    name: str
    version: int
    path: Path
    schema: dict[str, Any]


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
        self._validators: dict[tuple[str, int, str | None], Draft202012Validator] = {}
        for kind in KINDS:
            for path in sorted((root / kind).glob("*.json")):
                match = _FILE.match(path.name)
                if not match:
                    raise ValueError(f"contract file name not <Name>.v<N>.schema.json: {path}")
                key = (match["name"], int(match["version"]))
                if key in self._contracts:
                    raise ValueError(f"contract {key} defined twice")
                schema = json.loads(path.read_text())
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

    def _validator(self, name: str, version: int, part: str | None) -> Draft202012Validator:
        key = (name, version, part)
        if key not in self._validators:
            schema = self.get(name, version).schema
            if part is not None:
                schema = {**schema, "$ref": f"#/$defs/{part}"}
                schema.pop("oneOf", None)
            self._validators[key] = Draft202012Validator(schema, format_checker=FormatChecker())
        return self._validators[key]

    def validate(self, name: str, data: Any, *, version: int = 1, part: str | None = None) -> None:
        """Validate `data` against a contract; `part` picks `request` or `reply` of a query."""
        validator = self._validator(name, version, part)
        error = best_match(validator.iter_errors(data))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            # jsonschema's own messages quote the offending value, which may be a secret:
            # only messages that name fields, never values, are passed on.
            reason = (
                error.message
                if error.validator in ("required", "additionalProperties")
                else f"failed the '{error.validator}' check"
            )
            raise ContractViolation(
                f"{name} v{version}{' ' + part if part else ''} invalid at {where}: {reason}",
                details={"contract": name, "version": version, "path": where},
            )


@lru_cache(maxsize=4)
def load_registry(root: Path | None = None) -> ContractRegistry:
    return ContractRegistry(root or find_contracts_dir())
