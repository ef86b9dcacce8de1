// Command ingest is evx's ingest function: S3 "Object Created" events for incoming/ arrive
// through EventBridge; each names a bag, which is validated, stored content-addressed and
// recorded as accepted or rejected; accepted bundles go to the accepted-bundles queue.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler())
	cfg, err := awsenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	cfg.Intake = pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{})
	env, err := awsenv.Open(context.Background(), cfg, log)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	h := &Handler{Service: env.Service, Uploads: env, State: env.State, Queue: env.Queue, Accepted: awsenv.AcceptedQueue, Log: log}
	lambda.Start(h.Handle)
}
