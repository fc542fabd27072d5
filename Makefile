# numbers-demo: the two commands a person needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: help venv demo images bench cluster-up cluster-down cluster-kubeconfig cluster-demo \
	kind-up kind-deploy kind-demo kind-down test lint scan pins clean

help:
	@echo "make demo   build the images and play the Services chapter on Docker, measured"
	@echo "make test   set up $(VENV) with pinned dependencies and run every test"
	@echo "make bench  throughput ratios, latency, the chapter's events, resources (docs/benchmarks.md)"
	@echo "make images build numbers-demo/{numbers-api,web,probe,sleep}:$(VERSION)"
	@echo "make cluster-up | cluster-demo | cluster-down   a real single-node cluster here (cluster/)"
	@echo "make -s cluster-kubeconfig   the path of that cluster's admin kubeconfig"
	@echo "make kind-up | kind-deploy | kind-demo | kind-down   the chapter on a kind cluster"
	@echo "make lint   ruff over the code and tests"
	@echo "make scan   checkov, hadolint, pip-audit and ruff (scripts/scan.sh; installs .venv-scan)"
	@echo "make pins   re-pin requirements.txt files from requirements.in (needs pip-tools)"

PACKAGES := runtime services/numbers-api services/web probe

# The virtualenv is rebuilt whenever the pins or a package's metadata change; the four
# packages are installed editable, so the code in this checkout is what runs.
$(STAMP): requirements-dev.txt requirements-build.txt $(addsuffix /pyproject.toml,$(PACKAGES)) \
		services/numbers-api/requirements.txt services/web/requirements.txt probe/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt -r requirements-build.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))
	@touch $@

venv: $(STAMP)

images:
	scripts/build-images.sh $(VERSION)

demo: $(STAMP) images
	$(BIN)/python -m scenario docker --version $(VERSION) --report demo-report.json

# A benchmark, not a test: it prints each goal as met or missed and never fails on speed.
bench: $(STAMP) images
	bench/setup.sh
	$(BIN)/python -m bench --version $(VERSION)

# The project's own single-node cluster on this host (root, Debian): see cluster/README.md.
cluster-up:
	cluster/cluster.sh up

cluster-down:
	cluster/cluster.sh down

cluster-kubeconfig:
	@cluster/cluster.sh kubeconfig

cluster-demo: $(STAMP) cluster-up
	PATH="$$(cluster/cluster.sh bin):$$PATH" $(BIN)/python -m scenario kubernetes \
	  --kubeconfig "$$(cluster/cluster.sh kubeconfig)" --report demo-report.json

kind-up:
	scripts/kind.sh up

kind-deploy:
	scripts/kind.sh deploy

kind-demo: $(STAMP)
	scripts/kind.sh demo

kind-down:
	scripts/kind.sh down

# The cluster tests run against TEST_KUBECONFIG / TEST_KUBE_CONTEXT, or the project's own
# cluster, which scripts/with-cluster.sh brings up when neither is set.
test: $(STAMP)
	$(BIN)/ruff check .
	scripts/with-cluster.sh $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# The test suite runs this too (tests/integration/test_scanners.py), so CI fails on a finding.
scan:
	scripts/scan.sh

pins:
	@command -v pip-compile >/dev/null || { echo "pins: install pip-tools first (pip install pip-tools)"; exit 1; }
	for d in services/numbers-api services/web probe; do \
	  (cd $$d && pip-compile -q --generate-hashes --strip-extras --no-header -o requirements.txt requirements.in); done
	pip-compile -q --generate-hashes --strip-extras --no-header -o requirements-dev.txt requirements-dev.in
	pip-compile -q --generate-hashes --strip-extras --no-header -o requirements-scan.txt requirements-scan.in
	pip-compile -q --generate-hashes --strip-extras --no-header --allow-unsafe -o requirements-build.txt requirements-build.in

clean:
	rm -rf $(VENV) .venv-scan .pytest_cache .ruff_cache
