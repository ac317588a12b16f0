# portwatch: build, run and test.
SHELL   := /bin/bash
GO      ?= go
BIN     ?= bin/portwatch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
ARGS    ?= -a -o
GO_MODULE := github.com/portwatch/portwatch
# Every fuzz target as package:function:budget. `make test` runs each for its
# budget of executions (a few seconds here; a count, not a duration, because
# go1.26's fuzzer can fail spuriously when a -fuzztime duration expires);
# `make fuzz` runs each for FUZZTIME.
FUZZTIME     ?= 2m
FUZZ_TARGETS := collector:FuzzParseProcNet:30000x collector:FuzzParseSockDiag:50000x \
                collector:FuzzParseSocketLink:50000x collector:FuzzParseNetnsLink:30000x collector:FuzzDecodeInternals:30000x collector:FuzzParseDestroyAck:20000x collector:FuzzDecodeEStats:20000x \
                services:FuzzParseServicesFile:30000x \
                render:FuzzReadJSON:5000x render:FuzzSanitize:30000x \
                render:FuzzTableStream:3000x render:FuzzSort:20000x \
                render:FuzzEventJSON:30000x render:FuzzEventText:30000x render:FuzzWatchFrame:3000x \
                services:FuzzParseMatchesReference:30000x \
                audit:FuzzParseRules:20000x audit:FuzzParseBaseline:20000x \
                process:FuzzParseStat:20000x process:FuzzParseCgroup:20000x process:FuzzParseStatus:20000x \
                process:FuzzUnitAndContainer:20000x process:FuzzParseAuxv:20000x \
                collector:FuzzDecodeTCPTable:20000x collector:FuzzDecodeUDPTable:20000x \
                collector:FuzzDecodeDarwinPcblist:20000x collector:FuzzDecodeFreeBSDPcblist:20000x \
                collector:FuzzDecodeFreeBSDXfile:20000x collector:FuzzDecodeFreeBSDProcNames:20000x \
                containers:FuzzParseDockerConfig:20000x containers:FuzzParseStorageContainers:20000x \
                containers:FuzzParsePodmanForwards:20000x containers:FuzzParseDockerProxyArgs:20000x containers:FuzzParseContainerdSpec:20000x containers:FuzzParseConmonArgs:20000x containers:FuzzParsePastaArgs:20000x internal/sqlitefile:FuzzTable:20000x \
                counters:FuzzParseSNMP:30000x counters:FuzzParseSNMP6:30000x internal/rtnl:FuzzParseMessages:30000x netif:FuzzDecodeLink:30000x routes:FuzzDecodeRoute:30000x \
                counters:FuzzDecodeDarwinStats:20000x counters:FuzzDecodeFreeBSDStats:20000x netif:FuzzDecodeBSDInterfaces:20000x routes:FuzzDecodeBSDRoutes:20000x

# Every platform portwatch is built for: `make cross` builds and vets each.
# openbsd/amd64 stands for the platforms without a collector: the binary
# must still build there and say at run time that it is not supported.
CROSS_TARGETS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 freebsd/amd64 windows/amd64 openbsd/amd64

.PHONY: build run test unit lint fuzz fuzz-short generate clean bench cross test-windows

# portwatch, and portwatch-exporter beside it: the same command built with
# the Prometheus client (-tags exporter), which portwatch serve runs.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/portwatch
	CGO_ENABLED=0 $(GO) build -trimpath -tags exporter -ldflags "$(LDFLAGS)" -o $(dir $(BIN))portwatch-exporter ./cmd/portwatch

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

# One package at a time: the live tests compare portwatch with ss on the
# machine's real socket table, which the bench's tiny run would otherwise
# be changing at the same moment. The packages that run goroutines (the
# owner walk and its cache, the live view, the change tracker) run under
# the race detector (which needs cgo: gcc).
RACE_PKGS := ./collector ./cmd/portwatch ./watch
unit:
	$(GO) test -count=1 -p 1 $$($(GO) list ./... | grep -v -x -e '$(GO_MODULE)/collector' -e '$(GO_MODULE)/cmd/portwatch' -e '$(GO_MODULE)/watch')
	CGO_ENABLED=1 $(GO) test -race -count=1 -p 1 $(RACE_PKGS)

fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  IFS=: read -r pkg fn budget <<< "$$t"; \
	  echo "fuzz $$pkg $$fn ($$budget)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $$budget ./$$pkg/; \
	done

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  IFS=: read -r pkg fn budget <<< "$$t"; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

cross:
	@set -e; for t in $(CROSS_TARGETS); do \
	  os=$${t%/*}; arch=$${t#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  echo "cross $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) vet ./...; \
	  GOOS=$$os GOARCH=$$arch $(GO) vet -tags exporter ./cmd/portwatch; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
	    -o bin/cross/$$os-$$arch/portwatch$$ext ./cmd/portwatch; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -tags exporter -ldflags "$(LDFLAGS)" \
	    -o bin/cross/$$os-$$arch/portwatch-exporter$$ext ./cmd/portwatch; \
	done

# The Windows build tested under Wine on this Linux machine: installs wine64
# and mingw-w64 when missing, makes a Wine prefix in bin/windows, runs the
# collector tests and portwatch.exe under wine64 (.ci/windows/test-windows.sh).
test-windows:
	GO="$(GO)" ./.ci/windows/test-windows.sh

generate:
	$(GO) generate ./...

# Compare portwatch with ss, netstat and lsof on a large socket load on
# loopback (run as root; results in bench/results/latest.md), e.g.
# make bench BENCH_ARGS="-sizes 2000,20000 -rounds 3".
BENCH_ARGS ?=
bench:
	$(GO) run ./bench $(BENCH_ARGS)

clean:
	rm -rf bin
