// Package awsenv wires evx's pipeline over its AWS backends, for the Lambda functions and
// for evx in AWS mode: the AWS counterpart of local.OpenNode.
//
// FromEnv reads the configuration once from the environment template.yaml sets; Open builds
// the SDK clients a function calls (DynamoDB, SQS and KMS always, S3 with WithS3) from the
// SDK's standard configuration (config.LoadDefaultConfig: AWS_REGION, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_S3, ..., the shared config files, so the same binary talks to AWS or to an
// emulator) and the pipeline.Service over them. Given the signing key's
// public key (EVX_SIGNING_PUBLIC_KEY), Open makes no network call, so a function's cold start
// does not wait on KMS; without it Open fetches the public key from KMS, and a missing key or
// permission fails Open rather than the first invocation.
package awsenv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/evx-project/evx/shared/backend/aws/dynamoindex"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/backend/aws/dynamosearch"
	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
	"github.com/evx-project/evx/shared/backend/aws/kmsmac"
	"github.com/evx-project/evx/shared/backend/aws/kmssign"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/backend/aws/s3heads"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// DefaultOrigin names the custody log of an AWS deployment in its checkpoints.
const DefaultOrigin = "evx.aws/custody"

// AcceptedQueue is the logical name of the queue between ingest and route (SQS name
// <prefix>evx-accepted.fifo).
const AcceptedQueue = "evx-accepted"

// Config is what the functions read from their environment.
type Config struct {
	Bucket string // EVX_BUCKET: the evidence bucket
	// UploadsBucket is where bags are uploaded (EVX_UPLOADS_BUCKET): no Object Lock, expiring.
	// Empty: the evidence bucket (a deployment of one bucket).
	UploadsBucket string
	CustodyTable  string // EVX_CUSTODY_TABLE
	LogTable      string // EVX_LOG_TABLE
	// PendingTable (EVX_PENDING_TABLE) holds the log's pending leaves: set, the ledger is
	// sequenced (dynamoledger.NewSequenced, as template.yaml deploys it with SequencedLog); empty, each append
	// writes the log head in its own transaction (dynamoledger.New).
	PendingTable    string
	DeliveriesTable string // EVX_DELIVERIES_TABLE: uploads, deliveries, receipts, submissions (dynamostate)
	SentTable       string // EVX_SENT_TABLE: sent dedup ids (sqsqueue.WithSentTable)
	QueuePrefix     string // EVX_QUEUE_PREFIX
	// FullReadDays is the fixity sample's period (pipeline.Config.FullReadDays): the audit
	// function sets it from EVX_FIXITY_FULL_READ_DAYS. 0: pipeline.DefaultFullReadDays.
	FullReadDays int
	SigningKey   string // EVX_SIGNING_KEY: id, ARN or alias of the KMS signing key
	// RetiredSigningKey (EVX_RETIRED_SIGNING_KEY) names the KMS key a rotation retires, when
	// EVX_SIGNING_KEY names its successor: Open records the rotation (RecordRotation).
	RetiredSigningKey string
	// SigningPublicKey is the signing key's public key, PKIX DER (EVX_SIGNING_PUBLIC_KEY, in
	// base64 as `aws kms get-public-key` prints it); nil: fetched from KMS by Open.
	SigningPublicKey []byte
	// Directory is the counterpart directory file: EVX_DIRECTORY, else counterparts.yaml
	// beside the bootstrap ($LAMBDA_TASK_ROOT), else in the working folder.
	Directory string
	// Fonts is the folder of the report fonts (report.LoadFonts), which the api function's
	// deployment package ships beside the bootstrap: EVX_FONTS, else fonts/ beside the
	// bootstrap ($LAMBDA_TASK_ROOT), else in the working folder.
	Fonts  string
	Origin string // EVX_ORIGIN; DefaultOrigin when unset
	// Agency is the deployment's own agency (EVX_AGENCY; "home" when unset): its uploaders
	// answer requests for it, and its request reminders go to request.HomeQueue.
	Agency string
	// IndexTable (EVX_INDEX_TABLE) is the hit/no-hit identifier index's table (dynamoindex)
	// and IndexKey (EVX_INDEX_KEY) the id, ARN or alias of the KMS HMAC_256 key of its keyed
	// hashes (kmsmac); the functions opened WithMatcher need both.
	IndexTable, IndexKey string
	// SearchTable (EVX_SEARCH_TABLE) is the bundle search index's table (dynamosearch): set,
	// the service indexes every bundle it accepts and answers GET /v1/bundles from it.
	SearchTable string
	// Intake is set by the host, not read from the environment: the functions that ingest
	// (ingest, and route for a bundle it finds not yet ingested) set
	// pipeline.BagIntake(extract.Record(...), ...); the others leave it nil and so link
	// neither bag validation nor text extraction (see pipeline.Config.Intake).
	Intake *pipeline.Intake
}

// MissingError names the environment variables a function needs but was not given.
type MissingError struct{ Vars []string }

// InvalidError is an environment variable whose value evx cannot use.
type InvalidError struct{ Var, Reason string }

func (e *InvalidError) Error() string { return e.Var + ": " + e.Reason }

func (e *MissingError) Error() string {
	return "missing environment variables: " + strings.Join(e.Vars, ", ")
}

// FromEnv reads the configuration with getenv (os.Getenv in the functions).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Bucket: getenv("EVX_BUCKET"), CustodyTable: getenv("EVX_CUSTODY_TABLE"), LogTable: getenv("EVX_LOG_TABLE"),
		PendingTable: getenv("EVX_PENDING_TABLE"), DeliveriesTable: getenv("EVX_DELIVERIES_TABLE"), SentTable: getenv("EVX_SENT_TABLE"),
		QueuePrefix: getenv("EVX_QUEUE_PREFIX"), SigningKey: getenv("EVX_SIGNING_KEY"),
		Directory: getenv("EVX_DIRECTORY"), Fonts: getenv("EVX_FONTS"), Origin: getenv("EVX_ORIGIN"),
		UploadsBucket: getenv("EVX_UPLOADS_BUCKET"), Agency: getenv("EVX_AGENCY"),
		RetiredSigningKey: getenv("EVX_RETIRED_SIGNING_KEY"),
		IndexTable:        getenv("EVX_INDEX_TABLE"), IndexKey: getenv("EVX_INDEX_KEY"), SearchTable: getenv("EVX_SEARCH_TABLE"),
	}
	if c.Agency == "" {
		c.Agency = "home"
	}
	var missing []string
	for _, v := range []struct{ name, val string }{
		{"EVX_BUCKET", c.Bucket}, {"EVX_CUSTODY_TABLE", c.CustodyTable}, {"EVX_LOG_TABLE", c.LogTable},
		{"EVX_DELIVERIES_TABLE", c.DeliveriesTable}, {"EVX_SENT_TABLE", c.SentTable}, {"EVX_SIGNING_KEY", c.SigningKey},
	} {
		if v.val == "" {
			missing = append(missing, v.name)
		}
	}
	if missing != nil {
		return c, &MissingError{Vars: missing}
	}
	if v := getenv("EVX_SIGNING_PUBLIC_KEY"); v != "" {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(der) == 0 || len(der) > 1024 {
			return c, &InvalidError{Var: "EVX_SIGNING_PUBLIC_KEY", Reason: "want the base64 DER public key `aws kms get-public-key` prints"}
		}
		c.SigningPublicKey = der
	}
	if c.UploadsBucket == "" {
		c.UploadsBucket = c.Bucket
	}
	root := getenv("LAMBDA_TASK_ROOT")
	if c.Directory == "" {
		c.Directory = filepath.Join(root, "counterparts.yaml")
	}
	if c.Fonts == "" {
		c.Fonts = filepath.Join(root, "fonts")
	}
	if c.Origin == "" {
		c.Origin = DefaultOrigin
	}
	return c, nil
}

// Env is evx on AWS: the clients, the backends and the service over them.
type Env struct {
	Config    Config
	S3        *s3.Client
	DynamoDB  *dynamodb.Client
	SQS       *sqs.Client
	KMS       *kms.Client
	Blobs     *s3blob.Store
	Ledger    *dynamoledger.Ledger
	Signer    *kmssign.Signer
	Queue     *sqsqueue.Queue
	State     *dynamostate.Table // uploads, deliveries and upload sources
	Bags      *s3bags.Bags
	Directory *directory.Directory
	Service   *pipeline.Service
	// Requests records requests and runs their clocks over the same ledger and queue.
	Requests *request.Desk
	// Matcher is the hit/no-hit identifier index (WithMatcher), nil without it.
	Matcher *pipeline.Matcher
	Index   *dynamoindex.Index
	// Search is the bundle search index, with EVX_SEARCH_TABLE (the service searches it).
	Search *dynamosearch.Index

	heads      headsMode
	matching   bool
	disposing  bool
	disposer   pipeline.BlobDeleter
	retainMode s3types.ObjectLockRetentionMode
}

// An Option adds a client, and the backends over it, to what Open builds.
type Option func(e *Env, cfg aws.Config)

// WithS3 builds the S3 client and the stores over it, Blobs and Bags: ingest, api and audit
// pass it. Without it Env.S3, Blobs and Bags are nil and the service's blob store and bags
// refuse every call with a *NotLinkedError, so a function that never calls S3 (route, whose
// role has no S3 access) does not link the S3 client's operations: the linker keeps only
// what some call reaches, and only WithS3 reaches s3.NewFromConfig.
func WithS3() Option {
	return func(e *Env, cfg aws.Config) {
		e.S3 = s3.NewFromConfig(cfg)
		e.Blobs = s3blob.New(e.S3, e.Config.Bucket)
		e.Bags = s3bags.New(e.S3, e.State)
	}
}

// headsMode is which custody.HeadLister the service's ledger has (heads.go).
type headsMode int

const (
	headsNone     headsMode = iota // no heads: checkpoints and trails commit to none
	headsRecorded                  // the audit function: scanned, kept in S3, signed
	headsKept                      // the api function: proven from the heads kept in S3
)

// WithHeadsRecorded is the audit function's: the checkpoints it signs commit to every
// bundle's head (a Scan of the custody table), which it keeps in the evidence bucket beside
// them (package s3heads). After WithS3.
func WithHeadsRecorded() Option { return func(e *Env, _ aws.Config) { e.heads = headsRecorded } }

// WithHeadsKept is the api function's: the trails it exports carry the bundle's head proven
// from the heads kept at a kept checkpoint's size (its own checkpoint's, when the log did not
// grow since; the witnessed checkpoint's), and nothing is scanned. After WithS3.
func WithHeadsKept() Option { return func(e *Env, _ aws.Config) { e.heads = headsKept } }

// WithRetainer locks, with S3 Object Lock in mode, the documents of the bundles a preservation
// order covers as the service records their periods (pipeline.Config.Retainer): the audit
// function's. After WithS3.
func WithRetainer(mode s3types.ObjectLockRetentionMode) Option {
	return func(e *Env, _ aws.Config) { e.retainMode = mode }
}

// WithDisposer lets the service dispose of documents (pipeline.Config.Disposer): it deletes
// every version of a document whose disposal is authorised, once no Object Lock retains it and
// no other bundle holds it. The audit function's alone (its role is the only one allowed to
// delete in the evidence bucket). After WithS3.
//
// The Deleter is built here, in the option, so that only a function passing it links the S3
// operations it calls (ListObjectVersions, DeleteObject): ingest, at the edge of its size
// budget, does not.
func WithDisposer() Option {
	return func(e *Env, _ aws.Config) {
		e.disposing = true
		if e.S3 != nil {
			e.disposer = s3blob.NewDeleter(e.S3, e.Config.Bucket)
		}
	}
}

// WithMatcher builds the hit/no-hit identifier index over the table EVX_INDEX_TABLE, keyed
// by the KMS HMAC key EVX_INDEX_KEY: Env.Matcher, for the api function (queries) and the
// audit function (indexing, which also needs WithS3 to read the extraction records and bags).
func WithMatcher() Option { return func(e *Env, _ aws.Config) { e.matching = true } }

// NotLinkedError is a call to a backend whose client the function was opened without.
type NotLinkedError struct{ Client, Op string }

func (e *NotLinkedError) Error() string {
	return e.Op + ": this function is opened without the " + e.Client + " client (awsenv.With" + e.Client + ")"
}

// noObjects stands for Blobs and Bags in a function opened without WithS3.
type noObjects struct{}

func (noObjects) Put(context.Context, string, int64, io.Reader) error {
	return &NotLinkedError{Client: "S3", Op: "put blob"}
}

func (noObjects) Open(context.Context, string) (io.ReadCloser, error) {
	return nil, &NotLinkedError{Client: "S3", Op: "open blob"}
}

func (noObjects) OpenBag(context.Context, string, bagit.Limits) (*bagit.Bag, error) {
	return nil, &NotLinkedError{Client: "S3", Op: "open bag"}
}

// Open builds the DynamoDB, SQS and KMS clients, those opts add, and the service over them.
// log may be nil.
func Open(ctx context.Context, c Config, log *slog.Logger, opts ...Option) (*Env, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return OpenWith(ctx, c, cfg, log, opts...)
}

// OpenWith is Open with a given SDK configuration.
func OpenWith(ctx context.Context, c Config, cfg aws.Config, log *slog.Logger, opts ...Option) (*Env, error) {
	dir, err := directory.Load(c.Directory)
	if err != nil {
		return nil, fmt.Errorf("counterpart directory: %w", err)
	}
	e := &Env{Config: c, Directory: dir, DynamoDB: dynamodb.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), KMS: kms.NewFromConfig(cfg)}
	if c.SigningPublicKey != nil {
		e.Signer, err = kmssign.NewWithPublicKey(e.KMS, c.SigningKey, c.SigningPublicKey)
	} else {
		e.Signer, err = kmssign.New(ctx, e.KMS, c.SigningKey)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", c.SigningKey, err)
	}
	if c.PendingTable != "" {
		e.Ledger = dynamoledger.NewSequenced(e.DynamoDB, c.CustodyTable, c.LogTable, c.PendingTable)
	} else {
		e.Ledger = dynamoledger.New(e.DynamoDB, c.CustodyTable, c.LogTable)
	}
	e.Queue = sqsqueue.New(e.SQS, sqsqueue.WithPrefix(c.QueuePrefix), sqsqueue.WithSentTable(e.DynamoDB, c.SentTable, sqsqueue.DefaultKeepSent))
	e.State = dynamostate.New(e.DynamoDB, c.DeliveriesTable)
	for _, o := range opts {
		o(e, cfg)
	}
	var blobs pipeline.BlobStore = noObjects{}
	var bags pipeline.Bags = noObjects{}
	if e.Blobs != nil {
		blobs, bags = e.Blobs, e.Bags
	}
	// Requests are found through the deliveries table's "#subject" partition (a Query), where
	// the custody table could only be scanned; the audit function reconciles the two.
	e.Requests = &request.Desk{Ledger: e.Ledger, Signer: e.Signer, Lister: e.State, Registry: e.State, Queue: e.Queue, Home: c.Agency, Directory: dir}
	// Heads (heads.go): the audit function's checkpoints commit to them, the api function's
	// trails prove them from what the audit function kept; the other functions sign none.
	// Witnesses are offered only the checkpoints the audit function signs on its schedule
	// (PublishCheckpoint) and keeps in the deliveries table: serving them signs nothing.
	var ledger custody.Ledger = e.Ledger
	if e.heads != headsNone {
		if e.S3 == nil {
			return nil, errors.New("awsenv: WithHeadsRecorded and WithHeadsKept need WithS3 before them")
		}
		store := s3heads.New(e.S3, c.Bucket)
		if e.heads == headsRecorded {
			ledger = recordingHeadsLedger{HeadsLedger: e.Ledger.WithHeads(), kept: e.State, store: store}
		} else {
			ledger = keptHeadsLedger{Ledger: e.Ledger, kept: e.State, store: store, last: &headsCache{}}
		}
	}
	var retainer pipeline.Retainer
	if e.retainMode != "" {
		if e.S3 == nil {
			return nil, errors.New("awsenv: WithRetainer needs WithS3 before it")
		}
		retainer = s3blob.NewRetainer(e.S3, c.Bucket, e.retainMode)
	}
	if e.disposing && e.disposer == nil {
		return nil, errors.New("awsenv: WithDisposer needs WithS3 before it")
	}
	disposer := e.disposer
	var members pipeline.Members
	if c.Intake != nil {
		// The ingest function's progress, a payload file at a time, in the state table's
		// #member/<bundle> partitions: a run cut off resumes, and a large bag is ingested in
		// chunks (docs/volumes.md).
		members = e.State
	}
	e.Service, err = pipeline.New(pipeline.Config{
		Retainer: retainer,
		// Ingests in many Lambdas and the audit function's disposals are ordered by the
		// state table's #blob items (dynamostate's DocumentGuard).
		Guard: e.State, Disposer: disposer,
		Requests: request.Book{Desk: e.Requests},
		Blobs:    blobs, Ledger: ledger, Signer: e.Signer, Queue: e.Queue, Directory: dir,
		Deliveries: e.State, Uploads: e.State, Bags: bags, Receipts: e.State, Submissions: e.State,
		Checkpoints: e.State, OfferStoredOnly: true,
		Origin: c.Origin, Log: log,
		Intake: c.Intake, FullReadDays: c.FullReadDays, Members: members,
	})
	if err != nil {
		return nil, err
	}
	if c.SearchTable != "" {
		e.Search = dynamosearch.New(e.DynamoDB, c.SearchTable)
		e.Service.WithSearch(e.Search)
	}
	if e.matching {
		if c.IndexTable == "" || c.IndexKey == "" {
			return nil, &MissingError{Vars: []string{"EVX_INDEX_TABLE", "EVX_INDEX_KEY"}}
		}
		e.Index = dynamoindex.New(e.DynamoDB, c.IndexTable)
		e.Matcher, err = pipeline.NewMatcher(pipeline.MatchConfig{
			Index: e.Index, Keyer: kmsmac.New(e.KMS, c.IndexKey), Ledger: ledger, Signer: e.Signer,
			Blobs: blobs, Bags: bags, Queue: e.Queue, Directory: dir, Agency: c.Agency, Origin: c.Origin,
		})
		if err != nil {
			return nil, err
		}
	}
	if c.RetiredSigningKey != "" {
		retired, err := kmssign.New(ctx, e.KMS, c.RetiredSigningKey)
		if err != nil {
			return nil, fmt.Errorf("retired signing key %s: %w", c.RetiredSigningKey, err)
		}
		recorded, err := RecordRotation(ctx, e.Ledger, retired, e.Signer, c.Origin, time.Now)
		if err != nil {
			return nil, err
		}
		if recorded && log != nil {
			log.Info("key rotation recorded", "retired", retired.KeyID(), "introduced", e.Signer.KeyID())
		}
	}
	return e, nil
}

// Submit records the bag at bucket/key (version) as an upload: its source, then the upload
// itself through Service.Submit. It returns the stored upload (an upload already known keeps
// its state).
func (e *Env) Submit(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error) {
	if !strings.HasPrefix(key, s3bags.Prefix) {
		return pipeline.Upload{}, fmt.Errorf("s3://%s/%s: uploads lie under %s", bucket, key, s3bags.Prefix)
	}
	if up := e.Config.UploadsBucket; bucket != up && !(up == "" && bucket == e.Config.Bucket) {
		return pipeline.Upload{}, fmt.Errorf("s3://%s/%s: not the uploads bucket %s", bucket, key, up)
	}
	id := s3bags.BundleID(bucket, key, version)
	if err := e.State.SetSource(ctx, id, dynamostate.Source{Bucket: bucket, Key: key, Version: version}); err != nil {
		return pipeline.Upload{}, err
	}
	return e.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size})
}
