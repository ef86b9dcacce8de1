// Command ingest is evx's ingest function: SQS batches from the ingest queue, to which
// EventBridge delivers the S3 "Object Created" events of incoming/ in the uploads bucket (and
// the sweep function its resume messages). Each names a bag, which is validated, stored
// content-addressed and recorded as accepted or rejected; an accepted bundle's documents are
// locked with Object Lock retention (EVX_RETENTION_MODE, EVX_RETENTION_DAYS) and the bundle
// goes to the accepted-bundles queue. A large bag is ingested in chunks, each a message on the
// ingest queue itself (docs/volumes.md).
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
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
	mode, err := s3blob.ParseMode(os.Getenv("EVX_RETENTION_MODE"))
	if err != nil {
		log.Error("configuration", "err", "EVX_RETENTION_MODE: "+err.Error())
		os.Exit(1)
	}
	days, err := strconv.Atoi(os.Getenv("EVX_RETENTION_DAYS"))
	if err != nil || days < 1 || days > 36500 {
		log.Error("configuration", "err", "EVX_RETENTION_DAYS: want 1 to 36500 days")
		os.Exit(1)
	}
	// The bundle's states are the encoding detector's hint; OCR is not deployed (docs/extraction.md).
	cfg.Intake = pipeline.BagIntake(extract.RecordWith(extract.DefaultLimits(), extract.RecordOptions{States: pipeline.BundleStates}), bagit.Limits{})
	env, err := awsenv.Open(context.Background(), cfg, log, awsenv.WithS3())
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	fan, err := fanOutFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	if os.Getenv("EVX_INGEST_QUEUE") == "" {
		log.Error("configuration", "err", "EVX_INGEST_QUEUE: the ingest queue's SQS name is required")
		os.Exit(1)
	}
	h := &Handler{Service: env.Service, Uploads: env, State: env.State, Queue: env.Queue, Accepted: awsenv.AcceptedQueue,
		Retain: s3blob.NewRetainer(env.S3, cfg.Bucket, mode), RetainFor: time.Duration(days) * 24 * time.Hour,
		FanOut: &fan, Members: env.State, Requeue: env.Queue, IngestQueue: os.Getenv("EVX_INGEST_QUEUE"), Log: log}
	lambda.Start(h.Handle)
}
