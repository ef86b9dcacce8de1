// Command route is evx's route function: SQS batches from the accepted-bundles queue; each
// accepted bundle is consigned to its counterparts' queues, failing messages one by one.
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
	h := &Handler{Service: env.Service, State: env.State, Log: log}
	lambda.Start(h.Handle)
}
