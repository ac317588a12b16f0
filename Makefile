# portwatch: build, run and test.
GO      ?= go
BIN     ?= bin/portwatch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
ARGS    ?= -a -o
# Seconds each fuzz target runs: briefly in `make test`, longer in `make fuzz`.
FUZZTIME      ?= 3s
FUZZTIME_LONG ?= 2m
FUZZ_TARGETS  := collector:FuzzParseProcNet collector:FuzzParseSockDiag \
                 services:FuzzParseServicesFile render:FuzzReadJSON

.PHONY: build run test unit lint fuzz fuzz-short generate clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/portwatch

run: build
	./$(BIN) $(ARGS)

# The whole suite: formatting, vet, unit/live/golden tests, a few seconds of
# every fuzz target. Live tests need root for the unprivileged-user test and
# `ss` (iproute2) for the differential test.
test: lint unit fuzz-short

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	 if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME_LONG=$(FUZZTIME)

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t#*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME_LONG))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME_LONG) ./$$pkg/; \
	done

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
