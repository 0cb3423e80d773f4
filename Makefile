# Hookflow's two commands: `make run` and `make test`. Every target sets up
# what it needs itself (PostgreSQL and the Temporal dev server under .data/).
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/hookflow/hookflow.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_SOURCES := $(shell find . -name '*.go' -not -path './.data/*') go.mod go.sum $(wildcard migrations/sql/*.sql)

# Development settings for `make run`; override any HOOKFLOW_* on the command line.
export HOOKFLOW_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hookflow?sslmode=disable
export HOOKFLOW_TEMPORAL_ADDRESS ?= 127.0.0.1:7233

.PHONY: run stop services test lint bench build clean

build: bin/hookflow

bin/hookflow: $(GO_SOURCES)
	go build -ldflags "$(LDFLAGS)" -o $@ ./cmd/hookflow

bin/temporal:
	GOBIN=$(CURDIR)/bin go install github.com/temporalio/cli/cmd/temporal@v1.5.1

services: bin/temporal
	scripts/services.sh up

run: services bin/hookflow
	bin/hookflow migrate
	@echo
	@echo "Temporal UI:  http://localhost:8233"
	@echo "API:          http://localhost:8080  (health: curl -s localhost:8080/healthcheck)"
	@echo "Integrator token (facilities P-1,P-2, 12h):"
	@echo "  export TOKEN=$$(bin/hookflow token --roles integrator,publisher --client-id demo --facilities P-1,P-2 --ttl 12h)"
	@echo "Try: register a webhook on the built-in test receiver, publish an event, read the log:"
	@echo "  curl -s -X POST localhost:8080/api/v2/public/webhooks/facility -H \"Authorization: Bearer \$$TOKEN\" \\"
	@echo "    -H 'Content-Type: application/json' -d '{\"url\":\"http://localhost:8080/api/webhook-processors/success-response\",\"events\":[\"all\"]}'"
	@echo "  curl -s -X POST localhost:8080/api/v2/events -H \"Authorization: Bearer \$$TOKEN\" \\"
	@echo "    -H 'Content-Type: application/json' -d '{\"eventType\":\"shift.created\",\"facilityId\":\"P-1\",\"data\":{\"shiftId\":\"s-1\"}}'"
	@echo "  curl -s localhost:8080/api/v2/public/webhooks/logs -H \"Authorization: Bearer \$$TOKEN\""
	@echo "Then open http://localhost:8233 and filter: DeliveryStatus = \"succeeded\""
	@echo
	HOOKFLOW_ALLOW_INSECURE_URLS=true HOOKFLOW_ALLOW_PRIVATE_TARGETS=true exec bin/hookflow serve

stop:
	scripts/services.sh down

# Tests run against the same local services, each package in a database of its own.
test: services
	HOOKFLOW_TEST_DATABASE_URL="$(HOOKFLOW_DATABASE_URL)" \
	HOOKFLOW_TEST_TEMPORAL_ADDRESS="$(HOOKFLOW_TEMPORAL_ADDRESS)" \
	go test -race -count=1 -timeout 20m ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

# End-to-end benchmark on the same local services as `make run`, then the
# micro-benchmarks of the hot pure functions. BENCH_FLAGS passes flags, e.g.
# make bench BENCH_FLAGS="-n 5000 -concurrency 32 -rate 200 -duration 60s".
BENCH_FLAGS ?=
bench: services bin/hookflow
	go test -run '^$$' -bench . -benchmem ./signing ./egress ./storage .
	go run ./bench $(BENCH_FLAGS)

clean:
	rm -rf bin/hookflow
