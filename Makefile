# CYPHER — developer entry points. `make dev` runs the stack, `make test` runs every check.
SHELL := /bin/bash
# uv from PATH, else installed from PyPI into ~/.local/bin on first use.
UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
PY_SRC := libs/runtime/src libs/testkit/src libs/fakes/src gateway/src $(wildcard services/*/src)
PY_TESTS := $(wildcard libs/*/tests services/*/tests gateway/tests) deploy/tests tests-e2e tests_fuzz bench scripts

.PHONY: help fuzz install protos infra-dev infra-test images smoke-images dev migrate lint typecheck buf-lint check test test-unit bench chaos clean

help:
	@echo "make dev    - install, generate, migrate and run the whole stack locally"
	@echo "make test   - lint, type-check, buf lint, unit, integration and e2e tests"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"
	@echo "make fuzz   - the API fuzzer, longer than in CI, with a random (printed) seed"
	@echo "make chaos  - kill -9 of broker, database and each service under load (own servers)"

$(HOME)/.local/bin/uv:
	bash scripts/bootstrap_uv.sh

install: | $(UV)
	$(UV) sync --frozen
	npm ci --no-audit --no-fund --silent

protos:
	$(UV) run --frozen bash scripts/gen_protos.sh

# The typed API client the e2e tests use, generated from the gateway's OpenAPI document.
client: protos
	UV=$(UV) bash scripts/gen_client.sh

# Find or bring up PostgreSQL and RabbitMQ (env vars, local servers, a container engine,
# Debian packages — in that order); one line each says which (scripts/infra.py).
infra-dev:
	python3 scripts/infra.py --for dev

infra-test:
	python3 scripts/infra.py --for test

dev: install protos infra-dev
	$(UV) run --frozen python scripts/dev.py

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: protos client
	$(UV) run --frozen mypy $(PY_SRC) $(PY_TESTS)

buf-lint:
	cd protos && npx --no-install buf lint

check: lint typecheck buf-lint

test: install protos check infra-test
	UV=$(UV) ./scripts/run_tests.sh

# The seven images from deploy/Dockerfile (podman; CYPHER_ENGINE=docker works too), then
# each run as Kubernetes runs it against throwaway databases (scripts/images.sh).
images:
	bash scripts/images.sh build

smoke-images: install infra-test
	UV=$(UV) bash scripts/images.sh smoke

bench: install protos
	@set -e; for b in bench/bench_*.py; do echo "=== $$b"; $(UV) run --frozen python $$b; done

# Fault suite on a stack of its own (own PostgreSQL cluster and RabbitMQ node on spare
# ports, removed at the end): kill -9 of the broker, the postmaster and each service under
# load, a partition orders↔inventory; exact convergence checks (chaos/README.md).
chaos: install protos
	$(UV) run --frozen python chaos/run.py $(SCENARIOS)

# The fuzzer (tests_fuzz) for longer than CI: more examples per operation and a random seed,
# printed first; replay a run with CYPHER_FUZZ_SEED=<seed> make fuzz.
FUZZ_EXAMPLES ?= 60
fuzz: install protos infra-test
	@seed=$${CYPHER_FUZZ_SEED:-$$(python3 -c 'import random; print(random.randrange(2**31))')}; \
	echo "fuzz seed: $$seed (replay: CYPHER_FUZZ_SEED=$$seed make fuzz)"; \
	CYPHER_FUZZ_SEED=$$seed CYPHER_FUZZ_MAX_EXAMPLES=$(FUZZ_EXAMPLES) CYPHER_FUZZ_TIMEOUT=0 CYPHER_FUZZ_BOUNDARIES=1 \
	  $(UV) run --frozen pytest tests_fuzz -q -rs -p no:randomly

clean:
	rm -rf .run tests-e2e/.logs tests_fuzz/.logs tests-e2e/generated libs/contracts/src/cypher
