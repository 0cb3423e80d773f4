# Hookflow's two commands: `make run` and `make test`. Every target sets up
# what it needs itself (PostgreSQL and the Temporal dev server under .data/).
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/hookflow/hookflow.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_SOURCES := $(shell find . -name '*.go' -not -path './.data/*' -not -path './bench/*') go.mod go.sum $(wildcard migrations/sql/*.sql)

# Development settings for `make run`; override any HOOKFLOW_* on the command line.
# Hookflow defaults to production; these targets run it with the development
# JWT key, on loopback, so they say development.
export HOOKFLOW_ENV ?= development
export HOOKFLOW_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hookflow?sslmode=disable
export HOOKFLOW_TEMPORAL_ADDRESS ?= 127.0.0.1:7233
DATA_DIR := $(or $(HOOKFLOW_DATA_DIR),.data)
HTTP_PORT := $(lastword $(subst :, ,$(or $(HOOKFLOW_HTTP_ADDR),127.0.0.1:8080)))
UI_PORT := $(or $(HOOKFLOW_TEMPORAL_UI_PORT),8233)
BASE := http://localhost:$(HTTP_PORT)
SERVER_FLAG := $(if $(filter 8080,$(HTTP_PORT)),,--server $(BASE) )

.PHONY: run serve-dev stop services test lint bench build clean docs-check prod-up prod-down prod-status test-prod bench-prod

build: bin/hookflow

bin/hookflow: $(GO_SOURCES)
	@echo "building bin/hookflow"
	@go build -ldflags "$(LDFLAGS)" -o $@ ./cmd/hookflow

# The Temporal CLI (its dev server) takes minutes to build, so it is built once
# per machine into the user's cache, where every clone finds it; bin/temporal
# links to it.
TEMPORAL_VERSION := v1.5.1
TEMPORAL_CLI := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hookflow/temporal-$(TEMPORAL_VERSION)/temporal

$(TEMPORAL_CLI):
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) into $(@D) (once per machine, about 2 minutes)..."
	@mkdir -p $(@D) && GOBIN=$(@D) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

bin/temporal: $(TEMPORAL_CLI)
	@mkdir -p bin && ln -sfn $(TEMPORAL_CLI) $@

services: bin/temporal
	scripts/services.sh up

# A second `make run` says that one already runs and touches nothing.
run:
	@scripts/hookflow.sh running; rc=$$?; \
	  if [ $$rc -eq 1 ]; then $(MAKE) --no-print-directory serve-dev; elif [ $$rc -ne 0 ]; then exit $$rc; fi

serve-dev: services bin/hookflow
	@echo "migrating the database"
	@bin/hookflow migrate
	@echo
	@echo "Temporal UI:  http://localhost:$(UI_PORT)"
	@echo "API:          $(BASE)  (health: curl -s $(BASE)/healthcheck; metrics: curl -s $(BASE)/metrics)"
	@echo "Try it: register a webhook on the built-in test receiver, publish an event (the CLI mints its tokens"
	@echo "with the development key, so say development; Hookflow defaults to production):"
	@echo "  export HOOKFLOW_ENV=development"
	@echo "  bin/hookflow webhooks create $(SERVER_FLAG)--url $(BASE)/api/webhook-processors/success-response --events all"
	@echo "  bin/hookflow publish $(SERVER_FLAG)--event-type shift.created --facility P-1 --data '{\"shiftId\":\"s-1\"}'"
	@echo "Read the log with a token of the same integrator (demo, facilities P-1,P-2):"
	@echo "  export TOKEN=$$(bin/hookflow token --roles integrator,publisher --client-id demo --facilities P-1,P-2 --ttl 12h)"
	@echo "  curl -s $(BASE)/api/v2/public/webhooks/logs -H \"Authorization: Bearer \$$TOKEN\""
	@echo "Then open http://localhost:$(UI_PORT) and filter: DeliveryStatus = \"succeeded\""
	@echo "\`make stop\` (from another terminal) stops Hookflow and the services."
	@echo
	@mkdir -p $(DATA_DIR) && echo $$$$ > $(DATA_DIR)/hookflow.pid && \
	  HOOKFLOW_ALLOW_INSECURE_URLS=true HOOKFLOW_ALLOW_PRIVATE_TARGETS=true exec bin/hookflow serve

stop:
	@scripts/hookflow.sh stop
	@scripts/services.sh down

# Tests run against the same local services, each package in a database of its own.
test: services
	@echo "running every package's tests with the race detector (a few minutes; each package prints when done)"
	HOOKFLOW_TEST_DATABASE_URL="$(HOOKFLOW_DATABASE_URL)" \
	HOOKFLOW_TEST_TEMPORAL_ADDRESS="$(HOOKFLOW_TEMPORAL_ADDRESS)" \
	go test -race -count=1 -timeout 20m ./...; rc=$$?; \
	  echo; echo "PostgreSQL and the Temporal dev server are left running (the next make run/test/bench reuses them); \`make stop\` stops them."; \
	  exit $$rc

# The production shape (issue 22): the Temporal server built from its module
# (once per machine, into the user's cache) on PostgreSQL of its own, behind
# mutual TLS, and Hookflow as one api and two worker processes; state under
# .data/prod. It never touches the dev services of `make run`.
prod-up: bin/temporal bin/hookflow
	scripts/prod-stack.sh up

prod-down:
	scripts/prod-stack.sh down

prod-status:
	scripts/prod-stack.sh status

# The end-to-end suite on that stack (e2e/prodstack), then the stack stopped,
# whatever the suite said.
test-prod: prod-up
	@eval "$$(scripts/prod-stack.sh env)"; go test -count=1 -timeout 15m -v ./e2e/prodstack/; rc=$$?; \
	  scripts/prod-stack.sh down; exit $$rc

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	@# bench/ is a module of its own (its plotting dependencies stay out of the product's go.mod).
	cd bench && go vet ./... && go run $(STATICCHECK) ./...
	@# The test recipe's promise to say the services stay up (no services needed).
	scripts/check-make-test.sh

# The micro-benchmarks of the hot pure functions, then the end-to-end
# benchmark on the same local services as `make run`. BENCH_FLAGS passes flags, e.g.
# make bench BENCH_FLAGS="-n 5000 -concurrency 32 -rate 200 -duration 60s".
# bench/ is a module of its own; its binary runs from the root, where it finds
# bin/hookflow, bin/temporal, scripts/services.sh and writes bench/results.
BENCH_FLAGS ?=
bench: services bin/hookflow
	go test -run '^$$' -bench . -benchmem ./signing ./egress ./storage .
	cd bench && go build -o ../bin/bench .
	@# The exports of the prod stack, read only by -stack prod (make prod-up first).
	eval "$$(scripts/prod-stack.sh env)"; bin/bench $(BENCH_FLAGS)

# The engine floor, the burst and the paced run on the dev server, then on
# the production-shaped stack (make prod-up), one after the other; the paced
# rate is PACED_RATE events/s on both (half the slower floor is the fair one).
PACED_RATE ?= 50
bench-prod: services prod-up bin/hookflow
	cd bench && go build -o ../bin/bench .
	bin/bench -only floor,burst,paced -rate $(PACED_RATE) $(BENCH_FLAGS)
	eval "$$(scripts/prod-stack.sh env)"; bin/bench -stack prod -only floor,burst,paced -rate $(PACED_RATE) $(BENCH_FLAGS)

# /docs in headless Chromium (installed when missing): the rendered page must
# show the endpoints and load nothing from elsewhere; writes docs/docs-page.png.
# DOCS_URL=http://host:port/docs checks a running server instead.
DOCS_URL ?=
docs-check: services bin/hookflow
	scripts/docs-check.sh $(DOCS_URL)

clean:
	rm -rf bin/hookflow bin/bench
