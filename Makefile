# pipegen — see README.md. `make demo` and `make test` are the quick start.
GO        ?= go
GOPATH    := $(shell $(GO) env GOPATH)
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PIPEGEN   := bin/pipegen

# A real S3 server for the integration tests, built from source through the Go module proxy
# (no Docker, no downloads of binaries). Installed once per machine into a versioned folder.
VERSITYGW_VERSION := v1.8.0
VERSITYGW         := $(GOPATH)/pipegen-tools/versitygw-$(VERSITYGW_VERSION)/versitygw
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test test-deps test-short demo lint bench fuzz clean FORCE
all: build

build: $(PIPEGEN)
$(PIPEGEN): FORCE
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/pipegen

$(VERSITYGW):
	GOBIN=$(dir $@) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# Every test, S3 ones included: each test package that needs S3 starts versitygw itself on a
# free loopback port and stops it afterwards. PIPEGEN_REQUIRE_S3 turns "skip" into "fail".
test: $(VERSITYGW) test-deps
	PIPEGEN_VERSITYGW=$(VERSITYGW) PIPEGEN_REQUIRE_S3=1 PIPEGEN_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 25m ./...

# The references tests compare with, from Debian's packages, installed once per machine:
# Jinja2 (templates), a JDK with Jackson (how Front50 reads an object), Chromium (web pages).
# Needs root (CI is root); elsewhere it says what is missing and the tests that need it skip.
test-deps:
	@missing=""; \
	/usr/bin/python3 -c 'import jinja2, yaml' 2>/dev/null || missing="$$missing python3-jinja2 python3-yaml"; \
	{ command -v javac >/dev/null && [ -f /usr/share/java/jackson-databind.jar ]; } || missing="$$missing default-jdk-headless libjackson2-databind-java"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "test-deps: installing$$missing"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; } >/tmp/pipegen-test-deps.log 2>&1 \
	    || { echo "test-deps: could not install$$missing (see /tmp/pipegen-test-deps.log)"; [ "$$CI" != true ] || exit 1; }; \
	fi

# Fast unit tests only; S3 tests skip when versitygw is not installed.
test-short:
	$(GO) test -short ./...

# The worked example (services/ and templates/ in this repo) synced to a fresh embedded store
# (.pipegen/front50, emptied first so the plan shows every pipeline), then diffed again: the
# second plan is clean and diff --exit-code exits 0.
demo: build
	@rm -rf .pipegen/front50
	@echo "== pipegen validate"; $(PIPEGEN) validate
	@echo; echo "== pipegen sync   (the plan, then the writes, into .pipegen/front50)"; $(PIPEGEN) sync
	@echo; echo "== what Front50 would read"; find .pipegen/front50 -type f -name '*.json' | sort
	@echo; echo "== pipegen diff --exit-code   (after sync: nothing to do, exit 0)"; $(PIPEGEN) diff --exit-code

# The end-to-end benchmark (issues 5 and 16): synthetic repos of 1008 and 10008 pipelines
# against versitygw on loopback and in the embedded store, the seed's algorithm at 1008; prints
# the tables and writes them to docs/bench-results.md. Then the Go micro-benchmarks of the hot
# paths. BENCHFLAGS adds options, e.g. BENCHFLAGS='-heapprofile /tmp/heap'.
# The seed's Python baseline needs Debian's jinja2, yaml, boto3 and deepdiff for /usr/bin/python3;
# without them (no root, no apt) the table says it was skipped.
bench: $(VERSITYGW) build
	@/usr/bin/python3 -c 'import jinja2, yaml, boto3, deepdiff' 2>/dev/null || (apt-get update -q && apt-get install -y -q python3-jinja2 python3-yaml python3-boto3 python3-deepdiff) >/dev/null 2>&1 || echo "bench: Python baseline will be skipped"
	PIPEGEN_VERSITYGW=$(VERSITYGW) $(GO) run ./cmd/pipegen-bench -pipegen $(PIPEGEN) -out docs/bench-results.md $(BENCHFLAGS)
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/... ./internal/cache

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	rm -rf bin .pipegen
