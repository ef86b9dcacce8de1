# evx: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /usr/bin/env bash
GO ?= go
BIN := bin
# Tools and emulators are cached outside the checkout so a fresh clone reuses them.
EVX_CACHE ?= $(HOME)/.cache/evx
export EVX_CACHE

.PHONY: all demo test unit vet integration chromium bench bench-aws build evx lint cfn-lint fuzz clean corpus pdftotext tools mutation corpus-identifiers generate generate-check

all: evx

evx:
	$(GO) build -o $(BIN)/evx ./cmd/evx

## demo: run the embedded pipeline on a sample bundle (DEMO_ARGS=--serve keeps its pages served until Ctrl-C)
demo: evx
	./infra/demo.sh $(DEMO_ARGS)

## test: vet, generated files current, unit tests with the race detector, integration tests against emulators
test: tools vet generate-check unit cfn-lint integration

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

unit:
	$(GO) test -race -count=1 ./...

integration: chromium
	./infra/integration.sh

# The reference tools the generators and tests run (Debian packages), installed only when missing:
# qpdf (encrypted PDF fixtures), poppler-utils (pdftotext, pdftoppm), exiftool, pandoc, catdoc
# (catdoc, xls2csv) and tesseract (OCR).
TOOLS := qpdf:qpdf pdftotext:poppler-utils pdftoppm:poppler-utils exiftool:libimage-exiftool-perl \
	pandoc:pandoc catdoc:catdoc xls2csv:catdoc tesseract:tesseract-ocr
tools:
	@missing=$$(for t in $(TOOLS); do command -v $${t%%:*} >/dev/null || echo $${t#*:}; done | sort -u); \
	if [ -n "$$missing" ]; then echo "tools: installing $$missing"; apt-get update -qq && apt-get install -y -qq $$missing; fi

# Headless Chromium (Debian's chromium) runs the browser tests; installed only when missing.
chromium:
	@command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium; }

## generate: rewrite every generated file (go generate ./...: tables, test data, sample evidence, template)
generate:
	$(GO) generate ./...

## generate-check: fail when a checked-in generated file is stale (it is regenerated in place)
generate-check:
	./infra/generate-check.sh

## bench: speed and memory figures, printed as ratios against references measured in the same run
bench: pdftotext
	./infra/bench.sh

## bench-aws: the Lambda bootstraps' sizes (at most 16 MiB) and INIT under aws-lambda-rie (no AWS call at init)
bench-aws:
	./infra/bench-aws.sh

## corpus: text extraction measured against pdftotext on a folder of PDFs (CORPUS=dir), and
## every other format against its reference tool (iconv, pandoc, catdoc, exiftool; LibreOffice
## when installed), per format: files read, word agreement, time per MB, peak memory
CORPUS ?= $(firstword $(wildcard ../shared/corpus/pdf ../../shared/corpus/pdf) ../shared/corpus/pdf)
MAILCORPUS ?= $(firstword $(wildcard /usr/lib/python3*/test/test_email/data))
corpus: pdftotext corpus-identifiers
	$(GO) test -count=1 -run '^TestCorpus$$' -v ./shared/extract -corpus $(abspath $(CORPUS))
	@set -o pipefail; $(GO) test -count=1 -timeout 30m -run '^TestFormatCorpus$$' -v ./shared/extract -formatcorpus \
		| sed '/^per file:/,/^time:/{/^per file:/d;/^time:/!d}'
	$(if $(MAILCORPUS),@set -o pipefail; $(GO) test -count=1 -run '^TestMailCorpus$$' -v ./shared/extract -mailcorpus $(MAILCORPUS) | grep -E 'mail:|^(ok|FAIL|---)',@echo "no MAILCORPUS (Python's test_email/data: Debian's libpython3.11-testsuite): e-mail corpus left out")

## corpus-identifiers: precision and recall of shared/identify on its generated corpus
## (IDCORPUS_DOCS documents; IDCORPUS_OUT=dir also writes them with their truth)
IDCORPUS_DOCS ?= 2000
corpus-identifiers:
	@set -o pipefail; $(GO) test -count=1 -run '^TestCorpusIdentifiers$$' -v ./shared/identify \
		-identify.corpus-docs $(IDCORPUS_DOCS) $(if $(IDCORPUS_OUT),-identify.corpus-out $(abspath $(IDCORPUS_OUT))) \
		| sed -n '/identifier corpus:/,/goals:/p;/^--- FAIL/p;/below the goals/p'

# pdftotext (poppler-utils) is the reference for corpus and bench; installed only when missing.
pdftotext:
	@command -v pdftotext >/dev/null || { apt-get update && apt-get install -y poppler-utils; }

## build: Lambda bootstrap zips for provided.al2023 / arm64
build:
	./infra/build-lambdas.sh

## lint: go vet and cfn-lint over template.yaml and its SAM expansion
lint: vet cfn-lint

# cfn-lint is optional on a developer machine: without it the template is not linted, and says so.
cfn-lint:
	@if command -v cfn-lint >/dev/null 2>&1; then \
		echo "cfn-lint template.yaml"; cfn-lint template.yaml && \
		mkdir -p build && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} python3 infra/samtemplate/expand.py template.yaml >build/template.expanded.json && \
		echo "cfn-lint build/template.expanded.json (as aws-sam-translator expands it)" && cfn-lint build/template.expanded.json; \
	else \
		echo "cfn-lint not installed: template.yaml not linted (pip install cfn-lint)"; \
	fi

## fuzz: a short run of every fuzz target (FUZZTIME per target)
FUZZTIME ?= 10s
fuzz:
	./infra/fuzz.sh $(FUZZTIME)

## mutation: mutation score of custody, bagit and pipeline (receipt, route); slow, not in test
mutation:
	./infra/mutation.sh $(PACKAGES)

clean:
	rm -rf $(BIN) build
