"""The shape of the package: storage stays under adapters/, the domain does no I/O, and
no module reaches into another's private names."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ALLOWED = {"skyclust_common.errors"}
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "skyclust_provisioning"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each import in the file."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), [a.name for a in node.names]))
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["handlers", "domain", "entrypoints"])
def test_no_sqlalchemy_outside_adapters(folder):
    for path in _modules(folder):
        modules = [m for m, _ in _imports(path)]
        assert not [m for m in modules if m.split(".")[0] == "sqlalchemy"], path


def test_the_domain_imports_only_itself_the_error_tree_and_the_standard_library():
    for path in _modules("domain"):
        for module, _ in _imports(path):
            inside = module.startswith(".") and not module.startswith("..")
            allowed = module.split(".")[0] in sys.stdlib_module_names or module in ALLOWED
            assert inside or allowed, (path, module)


def test_no_module_imports_a_private_name_of_another():
    for path in PACKAGE.rglob("*.py"):
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, (path, module, private)


def test_no_module_uses_a_private_name_of_an_imported_module():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                raise AssertionError(f"{path}: {node.value.id}.{node.attr}")


def test_no_file_over_500_lines():
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 500, path
