"""The shape the code keeps: SQL lives under adapters/, the domain does no I/O, and no
module reaches for another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "skyclust_network"


def imports(folder: str) -> list[tuple[str, str, list[str]]]:
    """(file, imported module, names) for every import under `folder`."""
    found: list[tuple[str, str, list[str]]] = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name, []) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [alias.name for alias in node.names]
                found.append((path.name, "." * node.level + (node.module or ""), names))
    return found


@pytest.mark.parametrize("folder", ["handlers", "domain", "entrypoints"])
def test_no_sqlalchemy_outside_adapters(folder: str):
    assert [(f, m) for f, m, _ in imports(folder) if m.split(".")[0] == "sqlalchemy"] == []


def test_the_domain_reaches_for_no_adapter_handler_or_sdk():
    banned = ("boto3", "botocore", "google", "azure", "sqlalchemy", "nats", "skyclust_common.db")
    found = [
        (f, m)
        for f, m, _ in imports("domain")
        if m.startswith(banned) or m.lstrip(".").startswith(("adapters", "handlers"))
    ]
    assert found == []


def test_no_module_imports_a_private_name_of_another():
    private = [
        (f, m, n)
        for f, m, names in imports(".")
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert private == []
