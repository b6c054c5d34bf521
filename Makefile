# rxbridge: `make run` brings the system up locally, `make test` checks everything.
# Both start what they need (Postgres, RabbitMQ) and install the system packages they use.

SHELL := /bin/bash
CARGO ?= cargo
ADMIN_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
DATABASE_NAME ?= rxbridge
export RXBRIDGE_ADMIN_DATABASE_URL ?= $(ADMIN_DATABASE_URL)

.PHONY: run test deps services system-packages lint deny unit clean-test-dbs build x12-check python-tools

## run: start Postgres and RabbitMQ, create the database and roles, migrate, serve all services
run: deps
	$(CARGO) build --bin rxbridge
	./target/debug/rxbridge db init --admin-url "$(ADMIN_DATABASE_URL)" --database "$(DATABASE_NAME)"
	./target/debug/rxbridge migrate --target all
	@echo "make run: callers are not authenticated, listeners are plaintext and documents are not encrypted: local development only"
	AUTH_INSECURE_DEV_HEADERS=true TLS_INSECURE_PLAINTEXT=true DOCUMENT_PLAINTEXT=true ./target/debug/rxbridge serve --target all

## test: formatting, lints and every test against the real Postgres and RabbitMQ
test: deps clean-test-dbs lint deny x12-check deploy-check release-build unit

deps: system-packages services

## services: start Postgres and RabbitMQ when they are down (or RabbitMQ hangs), and clear
## the quorum queues earlier test runs left behind
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@if ! timeout 30 rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; then \
	  echo "rabbitmq is down or not answering: (re)starting it"; \
	  timeout 30 rabbitmqctl stop >/dev/null 2>&1 || pkill -9 -u rabbitmq beam.smp || true; \
	  sleep 2; rabbitmq-server -detached; \
	fi
	@timeout 120 rabbitmqctl await_startup >/dev/null
	@timeout 60 rabbitmqctl eval 'L = [Q || Q <- rabbit_amqqueue:list(<<"/">>), binary:match(element(4, amqqueue:get_name(Q)), <<"test-">>) =:= {0,5}], [rabbit_amqqueue:delete(Q, false, false, <<"rxbridge-tests">>) || Q <- L], length(L).' \
	  | xargs -I{} echo "rabbitmq: removed {} queues left by earlier test runs" || true

## system-packages: Debian packages the build and OCR need (installed once)
system-packages:
	@if [ -f services/shared/ocr/install-deps.sh ]; then bash services/shared/ocr/install-deps.sh; fi

clean-test-dbs:
	@psql "$(ADMIN_DATABASE_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'rxbridge\_test\_%'" \
	  | while read -r db; do psql "$(ADMIN_DATABASE_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; done

## deny: licenses (no GPL/AGPL in the binary), banned crates and sources, by cargo-deny
## (installed once). Advisories need GitHub, which this machine cannot reach.
CARGO_DENY_VERSION := 0.20.2
deny:
	@command -v cargo-deny >/dev/null || $(CARGO) install --locked cargo-deny --version $(CARGO_DENY_VERSION)
	$(CARGO) deny --config .ci/deny.toml check licenses bans sources

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## unit: every test of the workspace, one process per test; nextest's summary is the last line
unit:
	$(CARGO) nextest run --workspace --no-fail-fast

.PHONY: soak
## soak: the fault suite at its large size (2,000 prescriptions per fault, 10 s outages); prints
## one figure line per fault
soak: deps clean-test-dbs
	RXBRIDGE_SOAK=1 $(CARGO) nextest run -p rxbridge --test faults --no-capture

build:
	$(CARGO) build --workspace

## python-tools: an independent X12 validator (pyx12) in a project-local virtual environment
VENV := .venv
python-tools: $(VENV)/.installed
$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check pyx12==4.0.0
	touch $@

## x12-check: every 837P the tests generate must pass pyx12's x12valid with no errors
X12_OUT := $(CURDIR)/target/x12-check
x12-check: python-tools
	rm -rf $(X12_OUT) && mkdir -p $(X12_OUT)
	DUMP_837_DIR=$(X12_OUT) $(CARGO) test -q -p claims-domain --test build837 >/dev/null
	DUMP_837_DIR=$(X12_OUT) DUMP_ANSWERS_DIR=$(X12_OUT)/answers $(CARGO) test -q -p rx-claims --test claims_flow >/dev/null
	@# x12valid exits 1 even when every file passes, so judge by its per-file verdicts.
	cd $(X12_OUT) && ../../$(VENV)/bin/x12valid *.x12 > x12valid.log 2>&1 || true
	@total=$$(ls $(X12_OUT)/*.x12 | wc -l); ok=$$(grep -c ': OK$$' $(X12_OUT)/x12valid.log || true); \
	  echo "x12valid: $$ok of $$total generated 837P files pass"; \
	  if [ "$$total" -eq 0 ] || [ "$$ok" -ne "$$total" ]; then grep -v ': OK$$' $(X12_OUT)/x12valid.log | head -40; exit 1; fi

# ---------------------------------------------------------------------------------------------
# Deployment checks (deploy/): offline, no cluster and no Docker needed.

DEPLOY_VENV ?= .venv-deploy
DEPLOY_OUT ?= target/deploy
# Kubernetes versions whose schemas (shipped inside kubernetes-validate) every object must pass.
DEPLOY_K8S_VERSIONS ?= 1.30.0 1.33.0 1.37.0
# Custom resources: no schema in kubernetes-validate; services/rxbridge/tests/deploy_manifests.rs
# checks what they point at (Deployments, Services, ports, Secrets, roles).
DEPLOY_CRD_KINDS ?= GRPCRoute ScaledObject TriggerAuthentication ServiceMonitor Cluster ScheduledBackup RabbitmqCluster

.PHONY: deploy-check deploy-tools deploy-render release-build

## deploy-check: yamllint, hadolint, render both overlays and validate every object against the schemas
deploy-check: deploy-tools deploy-render
	$(DEPLOY_VENV)/bin/yamllint --strict -c deploy/.yamllint deploy
	$(DEPLOY_VENV)/bin/hadolint --failure-threshold info deploy/Dockerfile
	@set -uo pipefail; for v in $(DEPLOY_K8S_VERSIONS); do \
	  log=$(DEPLOY_OUT)/validate-$$v.log; \
	  $(DEPLOY_VENV)/bin/kubernetes-validate --strict --quiet -k $$v \
	    $(DEPLOY_OUT)/dev.yaml $(DEPLOY_OUT)/prod.yaml $(DEPLOY_OUT)/examples.yaml > $$log 2>&1; rc=$$?; \
	  grep -v "Couldn't find schema" $$log; \
	  if [ $$rc -ne 0 ]; then echo "deploy-check: kubernetes $$v schemas refuse the manifests" >&2; exit 1; fi; \
	  skipped=$$(grep -o "schema for kind [A-Za-z]*" $$log | awk '{print $$4}' | sort -u | tr '\n' ' '); \
	  unknown=$$(printf '%s\n' $$skipped | grep -vxF -f <(printf '%s\n' $(DEPLOY_CRD_KINDS)) || true); \
	  if [ -n "$$unknown" ]; then echo "deploy-check: no schema for unexpected kinds: $$unknown" >&2; exit 1; fi; \
	  echo "kubernetes $$v: every object valid (--strict); custom resources skipped: $$skipped"; \
	done
	@echo "deploy-check: ok"

deploy-render:
	@command -v kubectl >/dev/null || { echo "deploy-check: kubectl is needed (kubectl kustomize)" >&2; exit 1; }
	@mkdir -p $(DEPLOY_OUT)
	kubectl kustomize deploy/k8s/overlays/dev > $(DEPLOY_OUT)/dev.yaml
	kubectl kustomize deploy/k8s/overlays/prod > $(DEPLOY_OUT)/prod.yaml
	kubectl kustomize deploy/k8s/examples > $(DEPLOY_OUT)/examples.yaml

deploy-tools: $(DEPLOY_VENV)/.installed

$(DEPLOY_VENV)/.installed: deploy/requirements.txt
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install --quiet --disable-pip-version-check -r deploy/requirements.txt
	touch $@

## release-build: the release binary exactly as deploy/Dockerfile builds it (Docker is not
## available here), and a smoke run of it
release-build:
	$(CARGO) build --release --locked -p rxbridge
	./target/release/rxbridge --version
	./target/release/rxbridge config show --target all >/dev/null

# ---------------------------------------------------------------------------------------------
# Benchmarks, not part of `make test`: criterion, the Python peers on the same input files, a
# load run against the services started as separate processes, and the machine's ceilings, in
# one command. The table goes to target/bench/report.md and to stdout.

.PHONY: bench bench-tools

BENCH_VENV ?= .venv-bench
BENCH_OUT ?= $(CURDIR)/target/bench
BENCH_BIN = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/release
BENCH_CRITERION_ARGS ?= --warm-up-time 1 --measurement-time 2 --sample-size 10
BENCH_PACKAGES ?= -p rx-bench -p rx-hl7v2 -p intake-domain -p benefits-domain -p claims-domain -p rx-ocr
PAYER_LATENCY_MS ?= 20

## bench: every figure of issue #8 in one table (about 5 minutes of measuring on 2 cores, after the release build)
bench: system-packages bench-tools
	@# `make services` also clears test queues: only call it when a server is down, so the
	@# integration tests of someone else running on this machine keep their queues
	@pg_isready -h 127.0.0.1 -p 5432 -q && timeout 30 rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1 \
	  || $(MAKE) --no-print-directory services
	$(CARGO) build --release --locked -p rxbridge -p rx-bench
	rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	$(BENCH_BIN)/rx-bench inputs --out $(BENCH_OUT)/inputs
	CRITERION_HOME=$(BENCH_OUT)/criterion RX_BENCH_INPUTS=$(BENCH_OUT)/inputs \
	  $(CARGO) bench --locked $(BENCH_PACKAGES) --bench '*' -- $(BENCH_CRITERION_ARGS)
	$(BENCH_VENV)/bin/python services/bench/peers/run_peers.py \
	  --manifest $(BENCH_OUT)/inputs/manifest.json --out $(BENCH_OUT)/peers.jsonl
	PAYER_LATENCY_MS=$(PAYER_LATENCY_MS) ADMIN_DATABASE_URL="$(ADMIN_DATABASE_URL)" \
	  bash services/bench/load.sh $(BENCH_BIN)/rxbridge $(BENCH_BIN)/rx-bench $(BENCH_OUT)/load \
	  || echo "bench: the load run failed; the report has no load rows" >&2
	$(BENCH_BIN)/rx-bench report --criterion $(BENCH_OUT)/criterion --peers $(BENCH_OUT)/peers.jsonl \
	  --loadtest $(BENCH_OUT)/load/loadtest.json --loadtest-burst $(BENCH_OUT)/load/loadtest-burst.json --loadtest-paced $(BENCH_OUT)/load/loadtest-paced.json --ceilings $(BENCH_OUT)/load/ceilings.json \
	  --startup $(BENCH_OUT)/load/startup.tsv --payer-latency-ms $(PAYER_LATENCY_MS) \
	  --out $(BENCH_OUT)/report.md \
	  --machine "$$(date -u '+%Y-%m-%d %H:%M UTC'), $$(nproc) cores ($$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared"

## bench-tools: the peers (pyx12, python-hl7, hl7apy) in a project-local virtual environment
bench-tools: $(BENCH_VENV)/.installed
$(BENCH_VENV)/.installed: services/bench/peers/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r services/bench/peers/requirements.txt
	touch $@
