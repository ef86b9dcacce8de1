// Package e2e holds the end-to-end test of evx on AWS: the real function bootstraps under
// aws-lambda-rie against moto_server (build tag integration, run by infra/integration.sh).
package e2e
