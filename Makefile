# rxbridge: `make run` brings the system up locally, `make test` checks everything.
# Both start what they need (Postgres, RabbitMQ) and install the system packages they use.

SHELL := /bin/bash
CARGO ?= cargo
ADMIN_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
DATABASE_NAME ?= rxbridge
export RXBRIDGE_ADMIN_DATABASE_URL ?= $(ADMIN_DATABASE_URL)

.PHONY: run test deps services system-packages lint unit clean-test-dbs build

## run: start Postgres and RabbitMQ, create the database and roles, migrate, serve all services
run: deps
	$(CARGO) build --bin rxbridge
	./target/debug/rxbridge db init --admin-url "$(ADMIN_DATABASE_URL)" --database "$(DATABASE_NAME)"
	./target/debug/rxbridge migrate --target all
	./target/debug/rxbridge serve --target all

## test: formatting, lints and every test against the real Postgres and RabbitMQ
test: deps clean-test-dbs lint unit

deps: system-packages services

## services: start Postgres and RabbitMQ when they are down
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@(exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null || rabbitmq-server -detached
	@for i in $$(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
	@rabbitmqctl await_startup >/dev/null 2>&1 || true

## system-packages: Debian packages the build and OCR need (installed once)
system-packages:
	@if [ -f services/shared/ocr/install-deps.sh ]; then bash services/shared/ocr/install-deps.sh; fi

clean-test-dbs:
	@psql "$(ADMIN_DATABASE_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'rxbridge\_test\_%'" \
	  | while read -r db; do psql "$(ADMIN_DATABASE_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; done

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

build:
	$(CARGO) build --workspace
