# SkyClust — `make run` starts the whole platform, `make test` runs every test.
# Both install what they need (uv, then the locked workspace) on a fresh machine.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
STAMP := .venv/.skyclust-installed
LINT_PATHS := libs services tools clients tests bench conftest.py

.PHONY: install run compose-nats-config test test-unit test-integration test-e2e lint format bench clean

$(STAMP): uv.lock pyproject.toml libs/common/pyproject.toml services/*/pyproject.toml tools/pyproject.toml clients/*/pyproject.toml
	@python3 -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen --python python3
	@touch $@

install: $(STAMP)

run: install
	$(UV) run --frozen python -m skyclust_tools.launcher

# docker-compose.yml's NATS configuration: the per-service users, no anonymous access.
compose-nats-config: install
	$(UV) run --frozen python -m skyclust_tools.nats_compose

test: install
	$(UV) run --frozen pytest

test-unit: install
	$(UV) run --frozen pytest -m "not integration and not e2e"

test-integration: install
	$(UV) run --frozen pytest -m integration

test-e2e: install
	$(UV) run --frozen pytest -m e2e

lint: install
	$(UV) run --frozen python -m skyclust_tools.gen_messages --check
	$(UV) run --frozen python -m skyclust_tools.gen_error_catalog --check
	$(UV) run --frozen ruff check $(LINT_PATHS)
	$(UV) run --frozen ruff format --check $(LINT_PATHS)
	$(UV) run --frozen mypy $(LINT_PATHS)

format: install
	$(UV) run --frozen ruff check --fix $(LINT_PATHS)
	$(UV) run --frozen ruff format $(LINT_PATHS)

bench: install
	$(UV) run --frozen python -m bench

clean:
	rm -rf .venv .skyclust .mypy_cache .ruff_cache
