// Command audit is evx's scheduled audit function: daily, a fixity check of the bundles
// received in the last EVX_FIXITY_DAYS days (default 30), fanned out as work items on the
// queue EVX_FIXITY_QUEUE names (its messages come back here), and expiry; hourly, expiry
// alone. Documents are compared with S3's stored SHA-256 checksums, and each read in full
// once in EVX_FIXITY_FULL_READ_DAYS days (default 30).
// Every run but the checkpoint task also sweeps the request clocks (DeadlineMissed,
// PeriodEnded, reminders; docs/requests.md). Every run first records the agencies' key changes
// the log does not hold yet (docs/aws.md). The daily run and {"task":"dispose"} dispose of
// the documents of bundles whose disposal legal staff authorised (docs/requests.md).
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/evx-project/evx/functions/internal/published"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/request"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler())
	cfg, err := awsenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	days := 30
	if v := os.Getenv("EVX_FIXITY_DAYS"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 {
			log.Error("configuration", "err", "EVX_FIXITY_DAYS: want a whole number of days, at least 1")
			os.Exit(1)
		}
	}
	// The full-read sample's period: every document read in full once in so many days.
	if v := os.Getenv("EVX_FIXITY_FULL_READ_DAYS"); v != "" {
		if cfg.FullReadDays, err = strconv.Atoi(v); err != nil || cfg.FullReadDays < 1 {
			log.Error("configuration", "err", "EVX_FIXITY_FULL_READ_DAYS: want a whole number of days, at least 1")
			os.Exit(1)
		}
	}
	// The disposer: the audit function alone deletes documents, those of bundles whose disposal
	// is authorised (template.yaml allows its role alone to delete in the evidence bucket).
	opts := []awsenv.Option{awsenv.WithS3(), awsenv.WithHeadsRecorded(), awsenv.WithDisposer()}
	if v := os.Getenv("EVX_RETENTION_MODE"); v != "" { // template.yaml sets it: preservation periods lock
		mode, err := s3blob.ParseMode(v)
		if err != nil {
			log.Error("configuration", "err", "EVX_RETENTION_MODE: "+err.Error())
			os.Exit(1)
		}
		opts = append(opts, awsenv.WithRetainer(mode))
	}
	if cfg.IndexTable != "" { // the identifier index (template.yaml sets it)
		opts = append(opts, awsenv.WithMatcher())
	}
	env, err := awsenv.Open(context.Background(), cfg, log, opts...)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	h := &Handler{Service: env.Service, Recent: env.State.Uploads, Window: time.Duration(days) * 24 * time.Hour,
		Clock: time.Now, Metrics: os.Stdout, Log: log, Requests: env.Requests, Agencies: env.Directory.Counterparts(), Dispose: true,
		Publish: func(ctx context.Context, cp []byte) error { return published.Put(ctx, env.S3, cfg.Bucket, cp) }}
	if env.Matcher != nil {
		h.Index = env.Matcher
	}
	h.Reconcile = func(ctx context.Context) (int, error) { return request.Reconcile(ctx, env.Ledger, env.State) }
	if env.Search != nil {
		h.Reindex = env.Service.Reindex
	}
	h.Integrate = env.Ledger.Integrate
	// The fixity queue (template.yaml's FixityQueue): the daily pass fans out to it, and its
	// messages come back to this function, one work item an invocation.
	if url := os.Getenv("EVX_FIXITY_QUEUE"); url != "" {
		h.Enqueue, h.Tally = enqueuer(env.SQS, url), env.State
	}
	if v := os.Getenv("EVX_FIXITY_ITEM_BUNDLES"); v != "" { // DefaultItemBundles unless set
		if h.ItemBundles, err = strconv.Atoi(v); err != nil || h.ItemBundles < 1 || h.ItemBundles > MaxItemBundles {
			log.Error("configuration", "err", "EVX_FIXITY_ITEM_BUNDLES: want a whole number from 1 to 1000")
			os.Exit(1)
		}
	}
	lambda.Start(h.Handle)
}
