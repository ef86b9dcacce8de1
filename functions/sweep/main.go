// Command sweep is evx's sweeper: every 15 minutes it puts the uploads left received back on
// the ingest queue and reports those it cannot finish; when a counterpart's notice-age alarm
// goes off, it moves the notices about to expire unread to that counterpart's dead-letter
// queue. It links the DynamoDB and SQS clients only, signs nothing and writes no custody.
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler())
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	aw, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	state := dynamostate.New(dynamodb.NewFromConfig(aw), cfg.Table)
	q := newQueues(sqs.NewFromConfig(aw))
	h := &Handler{Pending: state.Pending, Queue: q, IngestQueue: cfg.IngestQueue, Grace: cfg.Grace, Window: 30 * time.Minute,
		Clock: time.Now, AlarmPrefix: cfg.AlarmPrefix, Metrics: os.Stdout, Log: log,
		Notices: &Mover{Queues: q, Prefix: cfg.QueuePrefix, MaxAge: cfg.NoticeMaxAge, Clock: time.Now, MaxRounds: 100}}
	lambda.Start(h.Handle)
}

// sweepConfig is what the sweeper reads from its environment.
type sweepConfig struct {
	Table        string        // EVX_DELIVERIES_TABLE
	IngestQueue  string        // EVX_INGEST_QUEUE: SQS name of the ingest queue
	QueuePrefix  string        // EVX_QUEUE_PREFIX
	AlarmPrefix  string        // EVX_NOTICE_ALARM_PREFIX
	NoticeMaxAge time.Duration // EVX_NOTICE_MAX_AGE_DAYS, default 10
	Grace        time.Duration // EVX_SWEEP_GRACE (a Go duration), default 2h
}

// ConfigError is a missing or malformed environment variable.
type ConfigError struct{ Var, Value, Want string }

func (e *ConfigError) Error() string {
	return "configuration: " + e.Var + "=" + strconv.Quote(e.Value) + ": want " + e.Want
}

func configFromEnv(getenv func(string) string) (sweepConfig, error) {
	c := sweepConfig{Table: getenv("EVX_DELIVERIES_TABLE"), IngestQueue: getenv("EVX_INGEST_QUEUE"), QueuePrefix: getenv("EVX_QUEUE_PREFIX"),
		AlarmPrefix: getenv("EVX_NOTICE_ALARM_PREFIX"), NoticeMaxAge: 10 * 24 * time.Hour, Grace: 2 * time.Hour}
	if c.Table == "" {
		return c, &ConfigError{Var: "EVX_DELIVERIES_TABLE", Want: "the deliveries table"}
	}
	if c.IngestQueue == "" {
		return c, &ConfigError{Var: "EVX_INGEST_QUEUE", Want: "the SQS name of the ingest queue"}
	}
	if v := getenv("EVX_NOTICE_MAX_AGE_DAYS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > 13 {
			return c, &ConfigError{Var: "EVX_NOTICE_MAX_AGE_DAYS", Value: v, Want: "1 to 13 days (SQS keeps a message 14 at most)"}
		}
		c.NoticeMaxAge = time.Duration(d) * 24 * time.Hour
	}
	if v := getenv("EVX_SWEEP_GRACE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, &ConfigError{Var: "EVX_SWEEP_GRACE", Value: v, Want: "a duration such as 2h"}
		}
		c.Grace = d
	}
	return c, nil
}
