# StarMiner: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STACK := deploy/local/stack.sh
JEST := npx jest
STARMINER_RUN ?= /tmp/starminer-run
export STARMINER_RUN

##@ Setup

.PHONY: install
install: node_modules/.package-lock.json ## Install npm dependencies and the local stack's components (Kubernetes build, Kafka jars), cached by version
	bash $(STACK) install

# npm ci whenever the lock file is newer than the installed tree (or nothing is installed).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

.PHONY: gen
gen: ## Regenerate all generated code (ts-proto types, contract ABIs and bindings)
	npm run gen:proto
	npm run gen -w @starminer/contracts

.PHONY: build
build: node_modules/.package-lock.json ## Compile every workspace (tsc -b)
	npm run build

.PHONY: lint
lint: ## Type-check everything (tests included), ESLint, Prettier and buf lint
	npm run --silent typecheck
	npx eslint .
	npx prettier --check .
	npx buf lint proto
	$(MAKE) --no-print-directory breaking

# The protos' wire compatibility against an earlier commit (default: the previous one).
# A change that breaks readers belongs in a new versioned package (v2) beside the old one.
BUF_AGAINST ?= HEAD~1
.PHONY: breaking
breaking: ## buf breaking: fail if the protos broke compatibility with $(BUF_AGAINST)
	@if git cat-file -e "$(BUF_AGAINST):proto/buf.yaml" 2>/dev/null; then \
	  npx buf breaking proto --against '.git#ref=$(BUF_AGAINST),subdir=proto' && echo "protos compatible with $(BUF_AGAINST)"; \
	else echo "no protos at $(BUF_AGAINST): nothing to compare"; fi

.PHONY: verify
verify: gen ## Regenerate (fail if the generated code in git is stale), then type-check, lint and check formatting
	@if [ -n "$$(git status --porcelain -- libs/proto/src/gen libs/chain/src/gen)" ]; then \
	  echo "error: generated code is stale; run 'make gen' and commit the result:"; \
	  git status --porcelain -- libs/proto/src/gen libs/chain/src/gen; exit 1; fi
	@echo "generated code is up to date"
	$(MAKE) --no-print-directory lint

##@ Local stack

.PHONY: up
up: node_modules/.package-lock.json ## Start Postgres, Kafka, anvil and one Kubernetes control plane per region with kwok GPU nodes
	bash $(STACK) up

.PHONY: down
down: ## Stop the local stack (data is kept; `make clean` removes it)
	bash $(STACK) down

.PHONY: status
status: ## Show which parts of the local stack are running
	bash $(STACK) status

.PHONY: clean
clean: ## Stop the local stack and remove its data; remove build output
	bash $(STACK) clean
	rm -rf dist libs/*/dist services/*/dist contracts/dist *.tsbuildinfo

.PHONY: demo
demo: up build ## Start the stack and the services, deploy the contracts and run the demo scenario
	npx tsx scripts/demo.ts

##@ Tests

.PHONY: test
test: up build ## Run every test tier (unit, integration, e2e) against the local stack
	$(JEST) --selectProjects unit integration e2e --json --outputFile=$(STARMINER_RUN)/test-results.json

.PHONY: test-unit
test-unit: ## Unit tests of pure logic (no stack needed)
	$(JEST) --selectProjects unit

.PHONY: test-int
test-int: up build ## Integration tests against the real components of the local stack
	$(JEST) --selectProjects integration

.PHONY: test-e2e
test-e2e: up build ## Whole-system tests
	$(JEST) --selectProjects e2e --passWithNoTests

.PHONY: bench
bench: up build ## Run the benchmarks in bench/ (prints figures, writes bench/results/*.json)
	bash bench/run-all.sh

##@ Help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)
