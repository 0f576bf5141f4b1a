# logcap: build, test, lint, bench. `make help` lists the targets.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GO      ?= go
BIN     ?= bin/logcap

# Docker integration and end-to-end soak tests run inside `make test`; the
# whole suite stays well under 20 minutes on two cores.
TEST_TIMEOUT ?= 30m

.PHONY: all build test test-short lint fmt bench gate clean help

all: lint build test

help:
	@echo "build       static logcap binary in $(BIN) (CGO_ENABLED=0)"
	@echo "test        every test, with -race, Docker tests included"
	@echo "test-short  unit tests only (-short), no Docker needed"
	@echo "lint        gofmt check, go vet, go mod tidy check"
	@echo "bench       benchmarks (throughput, profile diff, spawn)"
	@echo "gate        the CI gate: a compressed soak, see scripts/gate.sh"

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/logcap

test:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short:
	$(GO) test -race -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout $(TEST_TIMEOUT) ./...

gate: build
	LOGCAP=$(BIN) scripts/gate.sh

clean:
	rm -rf bin
