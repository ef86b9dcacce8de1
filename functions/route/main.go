// Command route is evx's route function: SQS batches from the accepted-bundles queue; each
// accepted bundle is consigned to its counterparts' queues, failing messages one by one. It
// never ingests, so it links neither bag validation nor text extraction, and never reads or
// writes objects, so it is opened without awsenv.WithS3 and links no S3 client.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler())
	cfg, err := awsenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	env, err := awsenv.Open(context.Background(), cfg, log)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	h := &Handler{Service: env.Service, State: env.State, Log: log}
	lambda.Start(h.Handle)
}
