# Targets for developers and CI. Run `make help` for the list.

GO ?= go
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CURDIR)/bin/golangci-lint-$(GOLANGCI_LINT_VERSION)
BENCH ?= .
BENCHFLAGS ?= -benchmem -count=6
BENCHOUT ?= bench.txt
FLEET_SOURCES ?= 10000
# api-diff: the revision to compare the work tree with (ALL=1 lists compatible
# changes too), the packages whose Go
# API it compares, and the pinned tools, built into ./bin on first use (never
# tool directives in go.mod: docs/regenerating.md says why).
BASE ?= HEAD~1
API_DIFF_PKGS ?= gen gen/ssiapi ssi
OASDIFF_VERSION := v1.39.0
OASDIFF := $(CURDIR)/bin/oasdiff-$(OASDIFF_VERSION)
APIDIFF_VERSION := v0.0.0-20261113113407-e3970619a1a4
APIDIFF := $(CURDIR)/bin/apidiff-$(APIDIFF_VERSION)

.DEFAULT_GOAL := help
.PHONY: help generate check-generated api-diff api-diff-tools api-diff-test test lint tidy-check consumer-check vet bench bench-smoke bench-vc fleet demo ci

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## Regenerate gen/, gen/ssiapi/, api/ and api/ssiapi/ from the specs in spec/ with the oapi-codegen pinned in go.mod.
	$(GO) generate ./...

# What generation writes: the *.gen.go files (gen/, api/ and their packages);
# new untracked files count only there.
GENERATED := '*.gen.go'
GENERATED_DIRS := gen api

check-generated: generate ## Regenerate, then fail, printing the diff, if the committed *.gen.go differ or generation left new files in gen/ or api/.
	@git --no-pager diff --exit-code --stat --patch -- $(GENERATED) || { \
		echo "check-generated: the generated code above differs from the spec: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED_DIRS) $(GENERATED)); \
	if [ -n "$$untracked" ]; then echo "check-generated: generation left new files:"; echo "$$untracked"; exit 1; fi

$(OASDIFF):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install github.com/oasdiff/oasdiff@$(OASDIFF_VERSION)
	mv bin/oasdiff $(OASDIFF)

$(APIDIFF):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install golang.org/x/exp/cmd/apidiff@$(APIDIFF_VERSION)
	mv bin/apidiff $(APIDIFF)

api-diff-tools: $(OASDIFF) $(APIDIFF) ## Build the pinned oasdiff and apidiff into ./bin (the first time takes a minute or two).

api-diff: api-diff-tools ## Print the specs' breaking changes (oasdiff) and the incompatible changes of gen, gen/ssiapi and ssi (apidiff) from BASE (default HEAD~1) to the work tree; ALL=1: every change.
	@OASDIFF=$(OASDIFF) APIDIFF=$(APIDIFF) ALL=$(ALL) .ci/api-diff '$(BASE)' $(API_DIFF_PKGS)

api-diff-test: ## Run internal/maketest's TestAPIDiff, which builds the pinned tools: a breaking change in a copy of the checkout is reported.
	ENTITYAUTH_API_DIFF_TEST=1 $(GO) test -count=1 -run '^TestAPIDiff$$' ./internal/maketest

test: ## Run every test under the race detector.
	$(GO) test -race ./...

vet: ## Run go vet.
	$(GO) vet ./...

$(GOLANGCI_LINT):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv bin/golangci-lint $(GOLANGCI_LINT)

lint: $(GOLANGCI_LINT) ## Run the pinned golangci-lint, built into ./bin.
	$(GOLANGCI_LINT) run ./...

tidy-check: ## Fail if go.mod or go.sum is not tidy.
	$(GO) mod tidy -diff

consumer-check: ## Fail if a module importing entityauth, entityauthtest, gen and ssi gets build tools, json-gold, too many indirect requirements, or kin-openapi or go-redis in its go.sum; and one importing vc more than 8.
	.ci/consumer-check

bench: SHELL := bash
bench: ## Run the benchmarks (-benchmem -count=6) into bench.txt, which benchstat reads.
	set -o pipefail; $(GO) test -run '^$$' -bench '$(BENCH)' $(BENCHFLAGS) ./... | tee $(BENCHOUT)

bench-vc: ## Package vc's BenchmarkVerifyCredential beside the JS reference (node, bench/jsref), alternating; prints the ratio.
	bench/vc-ratio.sh

bench-smoke: ## Run every benchmark 100 times, to check that they still work.
	$(GO) test -run '^$$' -bench . -benchtime=100x ./...

fleet: ## Simulate 10,000 token sources; write docs/fleet.csv and docs/fleet.svg.
	$(GO) test -run '^TestFleet$$' -count=1 -v -fleet.sources=$(FLEET_SOURCES) -fleet.csv=$(CURDIR)/docs/fleet.csv .
	$(GO) run ./internal/fleetchart -in docs/fleet.csv -out docs/fleet.svg

demo: ## Run the demo against an in-process fake server.
	$(GO) run ./cmd/entityauth demo

ci: check-generated tidy-check consumer-check vet lint api-diff-test bench-smoke test ## Everything CI runs; the tests last.
