# The one place that says how a Lambda bootstrap is built, included by every
# functions/<fn>/Makefile (SAM's BuildMethod: makefile wants one Makefile per CodeUri; each sets
# FUNCTION and names its build-<LogicalId> target). functions/internal/lambdatest reads
# LAMBDA_GOFLAGS from here too, so the tests build what is deployed.
#
# SAM runs the target in the function's folder with ARTIFACTS_DIR set; the build runs from the
# module root so the shared packages are in reach; counterparts.yaml goes beside bootstrap.
LAMBDA_GOENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'
LAMBDA_ROOT := ../..

.PHONY: lambda-bootstrap
lambda-bootstrap:
	cd $(LAMBDA_ROOT) && $(LAMBDA_GOENV) go build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(FUNCTION)
	cp $(LAMBDA_ROOT)/infra/counterparts.yaml $(ARTIFACTS_DIR)/counterparts.yaml
