# Targets for developers and CI. Run `make help` for the list.

GO ?= go
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CURDIR)/bin/golangci-lint-$(GOLANGCI_LINT_VERSION)
BENCH ?= .
BENCHFLAGS ?= -benchmem -count=6

.DEFAULT_GOAL := help
.PHONY: help generate check-generated test lint tidy-check vet bench demo ci

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## Regenerate gen/ and api/ from spec/openapi.yaml.
	$(GO) generate ./...

check-generated: generate ## Regenerate, then fail if the committed code differs or new files appear.
	@git diff --exit-code -- . || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard); \
	if [ -n "$$untracked" ]; then echo "untracked files after generation:"; echo "$$untracked"; exit 1; fi

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

bench: ## Run the benchmarks in a form that benchstat reads.
	$(GO) test -run '^$$' -bench '$(BENCH)' $(BENCHFLAGS) ./...

demo: ## Run the demo against an in-process fake server.
	$(GO) run ./cmd/entityauth demo

ci: check-generated tidy-check vet lint test ## Everything CI runs.
