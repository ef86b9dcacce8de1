# The one place that says how a Lambda bootstrap is built, included by every
# functions/<fn>/Makefile (SAM's BuildMethod: makefile wants one Makefile per CodeUri; each sets
# FUNCTION and names its build-<LogicalId> target). functions/internal/lambdatest reads
# LAMBDA_GOFLAGS from here too, so the tests build what is deployed.
#
# Tags: lambda.norpc drops aws-lambda-go's net/rpc mode (provided.al2023 never uses it);
# evx.nophone leaves libphonenumber's metadata out of shared/identify (about 10 MiB, which
# the functions never use: shared/identify/phone_nocheck.go), so each bootstrap stays under
# 16 MiB (infra/build-lambdas.sh fails over it).
#
# SAM runs the target in the function's folder with ARTIFACTS_DIR set; the build runs from the
# module root so the shared packages are in reach; counterparts.yaml goes beside bootstrap.
LAMBDA_GOENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_GOFLAGS := -tags lambda.norpc,evx.nophone -trimpath -ldflags '-s -w'
LAMBDA_ROOT := ../..

.PHONY: lambda-binary lambda-bootstrap
# lambda-binary: bootstrap alone (the sweeper reads no counterpart directory).
lambda-binary:
	cd $(LAMBDA_ROOT) && $(LAMBDA_GOENV) go build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(FUNCTION)

lambda-bootstrap: lambda-binary
	cp $(LAMBDA_ROOT)/infra/counterparts.yaml $(ARTIFACTS_DIR)/counterparts.yaml
