# SkyClust — `make run` starts the whole platform, `make test` runs every test.
# Both install what they need (uv, then the locked workspace) on a fresh machine.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# uv from PATH or `python3 -m uv`, else installed by pip, else (an externally managed
# Python that refuses pip) into .skyclust/uv: tools/bin/uv.
UV := tools/bin/uv
STAMP := .venv/.skyclust-installed
LINT_PATHS := libs services tools clients tests bench conftest.py

.PHONY: install run compose-nats-config test test-unit test-integration test-e2e test-images images image-tools compose-env lint format bench clean

# The image test (marker `images`) needs buildah: left out of `make test` where it is missing;
# `make images` and `make test-images` install it (and debootstrap) with apt-get.
NO_BUILDAH := $(if $(shell command -v buildah 2>/dev/null),,1)
IMAGE_TOOLS := buildah debootstrap

$(STAMP): uv.lock pyproject.toml libs/common/pyproject.toml services/*/pyproject.toml tools/pyproject.toml clients/*/pyproject.toml
	$(UV) sync --all-packages --frozen --python python3
	@touch $@

install: $(STAMP)

run: install
	$(UV) run --frozen python -m skyclust_tools.launcher

# docker-compose.yml's NATS configuration: the per-service users, no anonymous access.
compose-nats-config: install
	$(UV) run --frozen python -m skyclust_tools.nats_compose

test: install
	$(UV) run --frozen pytest $(if $(NO_BUILDAH),-m "not images")

test-unit: install
	$(UV) run --frozen pytest -m "not integration and not e2e"

test-integration: install
	$(UV) run --frozen pytest -m "integration$(if $(NO_BUILDAH), and not images)"

test-e2e: install
	$(UV) run --frozen pytest -m e2e

image-tools:
	@for tool in $(IMAGE_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing with apt-get"; \
	  { apt-get install -y $$missing || { apt-get update && apt-get install -y $$missing; }; } \
	    || { echo "could not install$$missing: run apt-get install$$missing as root" >&2; exit 1; }; \
	fi

# docker-compose.yml's per-service env files (.skyclust/compose/*.env) from .skyclust/secrets.json;
# EMULATORS=1 also points the services at the local clouds of the profile `emulators`.
compose-env: install
	$(UV) run --frozen python -m skyclust_tools.compose_env $(if $(EMULATORS),--emulators)

# One OCI image per service, localhost/skyclust-<service>:$(TAG), and the local clouds'
# localhost/skyclust-emulators:$(TAG), in buildah's vfs storage.
TAG ?= dev
images: install image-tools
	$(UV) run --frozen python -m skyclust_tools.images --tag $(TAG)

test-images: install image-tools
	$(UV) run --frozen pytest -m images

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
