# Everything runs from here: `make synth` and `make test` need Go, Node and no AWS account.
# `make help` lists the targets.

STAGE  ?= dev
OUT    ?= cdk.out
# The stages, in promotion order, as infra/config defines them.
STAGES = $(shell go run ./cmd/stage -list)
CDK    := node_modules/.bin/cdk

# Keep synth and tests offline and quiet: no CLI telemetry, notices or version check,
# no probe of the EC2 instance-metadata endpoint for credentials, and no Node 20
# end-of-life banner from jsii (Node 22+ is what we document).
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# GitHub Actions sets GITHUB_REPOSITORY and the repository's immutable IDs on every
# run; set the three yourself to add the stage's delivery stack, the roles the
# workflow assumes, from your machine (gh api repos/OWNER/NAME --jq '.owner.id, .id').
CDK_FLAGS := --no-notices -c stage=$(STAGE) $(if $(GITHUB_REPOSITORY),-c githubRepository=$(GITHUB_REPOSITORY) \
	-c githubOwnerId=$(GITHUB_REPOSITORY_OWNER_ID) -c githubRepositoryId=$(GITHUB_REPOSITORY_ID))
# cdk deploy asks before it broadens IAM or security groups; the workflow, whose prod
# approval is a GitHub environment's reviewers, sets APPROVAL=never.
APPROVAL ?= broadening
# The workflow's pull-request diff passes --method=template: its role may only read.
DIFF_FLAGS ?=
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.10
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

GO_FILES = $(shell find . \( -name node_modules -o -name cdk.out -o -name .git \) -prune -o -name '*.go' -print)

.PHONY: help deps app synth synth-all cost test bootstrap delivery failover smoke rotate-origin-secret faults fuzz run-local stop-local catalog-import report-local services services-stop lint bench bench-service diff deploy destroy snapshot-update bench-synth clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

deps: $(CDK) go.sum ## install the pinned CDK CLI and download Go modules (done by every target)
	@go mod download

# The app's first build in a clone, before cdk synth runs it (cdk.json builds it on
# every synth): on a new machine it compiles the CDK's Go bindings, minutes with
# nothing on the screen, so say so first.
app: deps
	@if [ ! -x bin/app ]; then \
	  echo "First build of the app in this clone: if Go's build cache does not hold the AWS CDK's Go module yet, compiling it takes about 7 minutes on 2 cores, once; later builds take a second."; \
	  go build -o bin/app .; fi

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# AWS's CloudFormation validator checks the templates after cdk synth, each only
# until it passes (scripts/synth.sh says why); cdk deploy and cdk diff keep the
# CDK's own validation.
synth: deps app ## synthesize STAGE (default dev) into OUT (default cdk.out), templates validated: make synth STAGE=prod
	CDK_CLI=$(CDK) bash scripts/synth.sh $(OUT) $(CDK_FLAGS)
	@echo "$(STAGE): templates in $(OUT)/" && ls $(OUT)/*.template.json

synth-all: deps ## synthesize every stage into cdk.out/STAGE
	@for s in $(STAGES); do $(MAKE) --no-print-directory synth STAGE=$$s OUT=cdk.out/$$s || exit 1; done

cost: synth-all ## estimate each stage's monthly cost from the synthesized templates and internal/cost/prices.json
	@go run ./cmd/cost -out cdk.out
	@printf '\nThe README table ("What it costs to run"):\n\n'
	@go run ./cmd/cost -out cdk.out -markdown

test: deps ## every test: unit, integration (local PostgreSQL + replica, Redis, goaws), templates
	bash scripts/test.sh

faults: deps ## the fault suite alone (also part of make test): frozen cache, replica and primary, SNS down, rotated password, poison outbox row, a message stuck on a lock, bad input
	FAULTS=only bash scripts/test.sh

fuzz: ## run every Go fuzz test for FUZZTIME each (default 1m); crashes land in testdata/fuzz: commit them
	FUZZTIME=$${FUZZTIME:-1m} bash scripts/fuzz.sh

lint: ## gofmt, go vet, staticcheck, go.mod/go.sum tidy, and actionlint on the GitHub workflows
	@unformatted=$$(gofmt -l $(GO_FILES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	@go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	go run $(ACTIONLINT) -shellcheck= .github/workflows/*.yml

run-local: ## run the service on loopback against local PostgreSQL + replica, Redis and goaws
	bash scripts/run-local.sh

stop-local: ## stop what run-local started
	bash scripts/stop-local.sh

# Without STAGE it loads into the local run; STAGE names a deployed stage, loaded
# with your AWS credentials through its import bucket and function.
catalog-import: deps ## load FILE=products.csv (sku,name,price_cents,stock) into the local run (make run-local first), or with STAGE=… into that deployed stage (AWS credentials; a production stage needs CONFIRM=STAGE)
	@if [ "$(origin STAGE)" = "command line" ] || [ "$(origin STAGE)" = "environment" ]; then \
	  $(MAKE) --no-print-directory production-confirmed STAGE=$(STAGE) CONFIRM=$(CONFIRM) MAKECMDGOALS=catalog-import && \
	  $(MAKE) --no-print-directory aws-credentials MAKECMDGOALS="catalog-import STAGE=$(STAGE)" && \
	  go run ./cmd/catalog-import -stage $(STAGE) -file "$(FILE)"; \
	else \
	  [ -f .services/env ] || { echo "catalog-import: no local run: make run-local first, or give STAGE= for a deployed stage"; exit 1; }; \
	  . ./.services/env && go run ./cmd/catalog-import -file "$(FILE)"; \
	fi

report-local: deps ## the daily report's own code over the local run's replica (make run-local first); DATE=YYYY-MM-DD, default today
	@[ -f .services/env ] || { echo "report-local: no local run: make run-local first"; exit 1; }
	@. ./.services/env && go run ./lambdas/dailyreport local $(if $(DATE),-date $(DATE))

services: ## start the local services for go test by hand (. .services/env; stop with services-stop)
	bash scripts/services.sh start

services-stop: ## stop the local services
	bash scripts/services.sh stop

snapshot-update: deps ## rewrite the golden templates in test/snapshots (say why in the commit)
	go test -count=1 ./test -run 'TestSnapshots' -update
	@git status --short test/snapshots

diff: deps aws-credentials ## cdk diff of STAGE against the account in your AWS credentials
	@echo "cdk diff of every stack of stage $(STAGE)"
	$(CDK) diff $(CDK_FLAGS) --all $(DIFF_FLAGS)

deploy: deps aws-credentials production-confirmed ## cdk deploy of STAGE (a production stage needs CONFIRM=STAGE and an alarm subscriber)
	@echo "cdk deploy of every stack of stage $(STAGE)"
	$(CDK) deploy $(CDK_FLAGS) -c deploy=true --all --require-approval $(APPROVAL)

# A URL without STAGE is any running shop, the local run included: its limits are
# unknown, so the checks of the WAF, API Gateway and the API's own URL (API_URL=)
# are skipped. STAGE reads the stage's limits from its config, and the URLs not
# given from its stacks' outputs, with AWS credentials.
smoke: deps ## bounded checks of STAGE as deployed, or of URL=<base> (API_URL=<API's own URL>): prints a table, fails on a FAIL
	@if [ -n "$(URL)" ] && [ "$(origin STAGE)" = file ]; then \
	  go run ./cmd/smoke -url "$(URL)" $(if $(API_URL),-api-url "$(API_URL)"); \
	else \
	  $(MAKE) --no-print-directory production-confirmed STAGE=$(STAGE) CONFIRM=$(CONFIRM) MAKECMDGOALS=smoke && \
	  { { [ -n "$(URL)" ] && [ -n "$(API_URL)" ]; } || $(MAKE) --no-print-directory aws-credentials MAKECMDGOALS="smoke STAGE=$(STAGE)"; } && \
	  go run ./cmd/smoke -stage $(STAGE) $(if $(URL),-url "$(URL)") $(if $(API_URL),-api-url "$(API_URL)"); \
	fi

bootstrap: deps aws-credentials ## cdk bootstrap of STAGE's own qualifier in its region(s) and us-east-1 (once per stage and account; REGION= or AWS_REGION)
	@region=$$(go run ./cmd/stage -stage $(STAGE) -field region); region=$${region:-$${REGION:-$$AWS_REGION}}; \
	if [ -z "$$region" ]; then echo "error: make bootstrap needs the stage's region: REGION=eu-west-1 (or AWS_REGION)"; exit 1; fi; \
	secondary=$$(go run ./cmd/stage -stage $(STAGE) -field secondaryRegion) || exit 1; \
	qualifier=$$(go run ./cmd/stage -stage $(STAGE) -field bootstrapQualifier) || exit 1; \
	account=$$(aws sts get-caller-identity --query Account --output text) || exit 1; \
	envs=$$(for r in $$region $$secondary us-east-1; do echo "aws://$$account/$$r"; done | sort -u); \
	echo "bootstrap $$qualifier in" $$envs; \
	$(CDK) bootstrap --no-notices --qualifier "$$qualifier" --toolkit-stack-name "CDKToolkit-$$qualifier" \
	  --cloudformation-execution-policies "arn:aws:iam::aws:policy/AdministratorAccess" $$envs

failover: deps ## start STAGE's failover plan into TO, its standby region (CONFIRM=STAGE); DRY_RUN=1 prints the plan's steps, offline
	@if [ -n "$(DRY_RUN)" ]; then \
	  $(MAKE) --no-print-directory synth STAGE=$(STAGE) OUT=$(OUT) >/dev/null 2>&1 || { echo "error: make synth STAGE=$(STAGE) failed: run it to see why"; exit 1; }; \
	  go run ./cmd/failover -stage $(STAGE) -to "$(TO)" -dry-run -out $(OUT); \
	else \
	  $(MAKE) --no-print-directory aws-credentials production-confirmed STAGE=$(STAGE) CONFIRM=$(CONFIRM) && go run ./cmd/failover -stage $(STAGE) -to "$(TO)"; \
	fi

delivery: deps aws-credentials production-confirmed ## deploy only STAGE's delivery stack, the roles GitHub Actions assumes (first-time setup, once per stage)
	@if [ -z "$(GITHUB_REPOSITORY)" ] || [ -z "$(GITHUB_REPOSITORY_OWNER_ID)" ] || [ -z "$(GITHUB_REPOSITORY_ID)" ]; then \
	  echo "error: make delivery needs GITHUB_REPOSITORY=owner/name, GITHUB_REPOSITORY_OWNER_ID and GITHUB_REPOSITORY_ID"; \
	  echo "       (gh api repos/OWNER/NAME --jq '.owner.id, .id' prints the two IDs)"; exit 1; fi
	$(CDK) deploy $(CDK_FLAGS) --exclusively '*-delivery' --require-approval $(APPROVAL)

rotate-origin-secret: deps aws-credentials production-confirmed ## new value for CloudFront's X-Origin-Verify header, no request refused (a production stage needs CONFIRM=STAGE)
	CDK_CLI=$(CDK) STAGE=$(STAGE) bash scripts/rotate-origin-secret.sh

destroy: deps aws-credentials production-confirmed ## cdk destroy of STAGE (a production stage needs CONFIRM=STAGE; retained data stays)
	@echo "cdk destroy of every stack of stage $(STAGE)"
	$(CDK) destroy $(CDK_FLAGS) --all

bench: ## per-message cost of each Lambda handler (go test -bench), against the local services
	bash scripts/services.sh stop >/dev/null
	bash scripts/services.sh start
	. .services/env && go test -run '^$$' -bench . -benchmem -count=1 ./lambdas/...; status=$$?; bash scripts/services.sh stop; exit $$status

bench-service: ## read throughput, latency, cache hit ratio and DB load, cache on and off (loopback)
	bash bench/service.sh

bench-synth: deps ## time a warm synth of each stage next to an empty Go CDK app, and a warm make test
	bash bench/synth.sh $(STAGES)

clean: ## remove synthesized output
	rm -rf cdk.out

.PHONY: aws-credentials production-confirmed
aws-credentials:
	@if [ -z "$$AWS_ACCESS_KEY_ID$$AWS_PROFILE$$AWS_WEB_IDENTITY_TOKEN_FILE$$AWS_CONTAINER_CREDENTIALS_FULL_URI$$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" ] \
	  && [ ! -f "$${AWS_SHARED_CREDENTIALS_FILE:-$$HOME/.aws/credentials}" ] && [ ! -f "$${AWS_CONFIG_FILE:-$$HOME/.aws/config}" ]; then \
	  echo "error: no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/config, ...)."; \
	  echo "       $(MAKECMDGOALS) needs an AWS account: configure credentials, then run 'cdk bootstrap' once per account and region."; \
	  echo "       make synth and make test need none."; \
	  exit 1; fi

# A stage with production: true in its config asks for its own name back.
production-confirmed:
	@production=$$(go run ./cmd/stage -stage $(STAGE) -field production) || exit 1; \
	if [ "$$production" = true ] && [ "$(CONFIRM)" != "$(STAGE)" ]; then \
	  echo "error: $(MAKECMDGOALS) of $(STAGE), a production stage, needs CONFIRM=$(STAGE): make $(MAKECMDGOALS) STAGE=$(STAGE) CONFIRM=$(STAGE)"; exit 1; fi
