"""The code base's shape rules, checked on every run: files small enough to read, domains
that do no I/O, and no module reaching into another's private names. (No SQL outside
adapters/ is ruff's TID251, configured in pyproject.toml.)"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
# The cloud emulators mirror large provider REST surfaces, and generated code is
# rewritten by its generator; neither is read as the project's own code.
EXEMPT = ("tools/src/skyclust_tools/emulators/",)
GENERATED_MARK = "generated from"


def _python_files() -> Iterator[Path]:
    for top in ("libs", "services", "tools", "clients", "tests", "bench"):
        base = ROOT / top
        if not base.exists():
            continue
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if ".venv" in parts or "versions" in parts:
                continue
            yield path


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _generated(text: str) -> bool:
    return GENERATED_MARK in text[:400].lower()


def test_no_file_over_the_line_limit() -> None:
    long = []
    for path in _python_files():
        rel = _rel(path)
        if rel.startswith(EXEMPT):
            continue
        text = path.read_text()
        if _generated(text):
            continue
        lines = text.count("\n")
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines} lines")
    assert long == [], f"files over {MAX_LINES} lines:\n" + "\n".join(long)


# What a service's domain may import besides the standard library and itself: the error
# tree, the event envelope, and libraries that compute without I/O (pydantic, pure
# cryptography, email syntax checked with deliverability off, the numerical libraries
# cost's forecast fits with). No storage, no network,
# no cloud SDK, no handler or adapter. (SQL is kept under adapters/ by ruff's TID251.)
DOMAIN_MAY_IMPORT = (
    "skyclust_common.errors",
    "skyclust_common.envelope",
    "pydantic",
    "cryptography",
    "email_validator",
    "numpy",
    "scipy.stats",
)


def test_a_domain_does_no_io() -> None:
    offenders = []
    for path in _python_files():
        rel = _rel(path)
        if not (rel.startswith("services/") and "/src/" in rel and "/domain/" in rel):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:  # the domain itself
                    continue
                modules = ["." * node.level + (node.module or "")]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or module.startswith(DOMAIN_MAY_IMPORT):
                    continue
                offenders.append(f"{rel}:{node.lineno} imports {module}")
    assert offenders == [], "a domain does no I/O:\n" + "\n".join(offenders)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_file(path: Path, node: ast.ImportFrom, name: str | None) -> Path | None:
    """The file of the module `from <node.module> import <name>` names, when the
    import is relative and that module is one of ours; else None."""
    if node.level == 0:
        return None
    base = path.parent
    for _ in range(node.level - 1):
        base = base.parent
    parts = (node.module.split(".") if node.module else []) + ([name] if name else [])
    target = base.joinpath(*parts)
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_no_module_uses_another_modules_private_names() -> None:
    offenders = []
    for path in _python_files():
        rel = _rel(path)
        if "/src/" not in rel:
            continue
        tree = ast.parse(path.read_text())
        module_aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                for alias in node.names:
                    module = _module_file(path, node, alias.name)
                    if module is not None:
                        # A package may import its own underscored (internal) modules.
                        if _private(alias.name) and module.parent != path.parent:
                            offenders.append(f"{rel}:{node.lineno} imports {alias.name}")
                        module_aliases.add(alias.asname or alias.name)
                    elif _private(alias.name):
                        offenders.append(f"{rel}:{node.lineno} imports {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if any(_private(part) for part in alias.name.split(".")):
                        offenders.append(f"{rel}:{node.lineno} imports {alias.name}")
                    module_aliases.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases
                and _private(node.attr)
            ):
                offenders.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert offenders == [], "private names used across modules:\n" + "\n".join(offenders)
