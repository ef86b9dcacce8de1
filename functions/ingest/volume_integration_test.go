//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// meter counts SDK calls by service and operation, and the HTTP bytes they move.
type meter struct {
	mu       sync.Mutex
	calls    map[string]int
	got, put atomic.Int64 // response bytes of GETs, request bytes of PUTs
	next     aws.HTTPClient
	gets     map[string]int64 // GET bytes by bucket (the host's first label)
}

func (m *meter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("evxMeter", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		m.mu.Lock()
		m.calls[awsmw.GetServiceID(ctx)+" "+awsmw.GetOperationName(ctx)]++
		m.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

// Do is the SDK's HTTP client: it counts the bytes and hands on to the configured client.
func (m *meter) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && r.ContentLength > 0 {
		m.put.Add(r.ContentLength)
	}
	resp, err := m.next.Do(r)
	if err == nil && r.Method == http.MethodGet && resp.ContentLength > 0 {
		m.got.Add(resp.ContentLength)
		where := r.URL.Path
		if i := strings.IndexByte(where[1:], '/'); i >= 0 {
			where = where[:i+1]
		}
		if strings.Contains(r.URL.Path, "/evidence/") {
			where += " evidence"
		} else if strings.Contains(r.URL.Path, "/text/") {
			where += " text"
		}
		m.mu.Lock()
		if m.gets == nil {
			m.gets = map[string]int64{}
		}
		m.gets[where] += resp.ContentLength
		m.mu.Unlock()
	}
	return resp, err
}

func (m *meter) take() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls
	m.calls = map[string]int{}
	return c
}

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// volumeBag writes a zip bag of files payload files of about bytes bytes in all (sizes from
// half to one and a half times the mean; pseudo-random, so incompressible) and returns its path.
func volumeBag(t *testing.T, files int, bytes int64) string {
	t.Helper()
	src := t.TempDir()
	rng := mrand.NewChaCha8([32]byte{7})
	mean := bytes / int64(files)
	var srcs []string
	for i := range files {
		sub := filepath.Join(src, fmt.Sprintf("box-%03d", i/500))
		os.MkdirAll(sub, 0o700)
		p := filepath.Join(sub, fmt.Sprintf("item-%05d.bin", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		n := mean/2 + int64(i%11)*mean/10
		w := bufio.NewWriterSize(f, 1<<20)
		if _, err := io.CopyN(w, rng, n); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		f.Close()
		srcs = append(srcs, sub)
	}
	srcs = uniq(srcs)
	out := filepath.Join(t.TempDir(), "volume.zip")
	info := bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"},
		{Label: bagit.LabelRequestingState, Value: "NL"}, {Label: bagit.LabelRequestedState, Value: "ES"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}}
	if _, err := bagit.Create(out, srcs, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(src)
	return out
}

func uniq(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// putLarge uploads a file in 64 MiB parts, as a client uploads a large bag.
func putLarge(t *testing.T, ctx context.Context, c *s3.Client, bucket, key, path string) (string, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	mu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	var parts []stypes.CompletedPart
	buf := make([]byte, 64<<20)
	for n := int32(1); ; n++ {
		k, err := io.ReadFull(f, buf)
		if k == 0 {
			break
		}
		out, perr := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: mu.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(buf[:k])})
		if perr != nil {
			t.Fatal(perr)
		}
		parts = append(parts, stypes.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		if err != nil {
			break
		}
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: mu.UploadId,
		MultipartUpload: &stypes.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(done.VersionId), fi.Size()
}

// A large bag on the emulators (moto_server for S3, SQS, KMS; DynamoDB on moto_server, or
// DynamoDB Local with EVX_VOLUME_DYNAMODB_LOCAL=1), ingested by the ingest handler wired as
// main.go wires it, through the real ingest queue: EVX_VOLUME_WORKERS invocations at once,
// each with a deadline of EVX_VOLUME_DEADLINE (a Go duration; the fan-out's margin 2/5 of it),
// every fifth one killed 1 s in. The bag is split into chunks, each run until done, and the finish records one
// acceptance naming every document. Scale with EVX_VOLUME_FILES and EVX_VOLUME_BYTES; the log
// gives the figures docs/volumes.md quotes (calls per member, bytes read per byte, invocations).
func TestIntegrationVolumeFanOut(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	files := int(envInt(t, "EVX_VOLUME_FILES", 300))
	total := envInt(t, "EVX_VOLUME_BYTES", 48<<20)
	workers := int(envInt(t, "EVX_VOLUME_WORKERS", 3))
	deadline := 10 * time.Second
	if v := os.Getenv("EVX_VOLUME_DEADLINE"); v != "" {
		var err error
		if deadline, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("EVX_VOLUME_DYNAMODB_LOCAL") != "" && os.Getenv("EVX_DYNAMODB_LOCAL_URL") != "" {
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", os.Getenv("EVX_DYNAMODB_LOCAL_URL"))
	}
	ctx := context.Background()
	m := &meter{calls: map[string]int{}}
	acfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.next, acfg.HTTPClient = acfg.HTTPClient, m
	acfg.APIOptions = append(acfg.APIOptions, m.middleware)

	// The stack, as template.yaml declares what the ingest function touches.
	var rb [4]byte
	rand.Read(rb[:])
	p := "v" + hex.EncodeToString(rb[:])
	s3c, db, sq, kc := s3.NewFromConfig(acfg), dynamodb.NewFromConfig(acfg), sqs.NewFromConfig(acfg), kms.NewFromConfig(acfg)
	cfg := awsenv.Config{Bucket: p + "-evidence", UploadsBucket: p + "-uploads", CustodyTable: p + "-custody", LogTable: p + "-log",
		DeliveriesTable: p + "-deliveries", SentTable: p + "-sent", QueuePrefix: p + "-", Origin: awsenv.DefaultOrigin, Agency: "home",
		Directory: filepath.Join("..", "..", "infra", "counterparts.yaml")}
	region := stypes.BucketLocationConstraint(os.Getenv("AWS_REGION"))
	for _, b := range []string{cfg.Bucket, cfg.UploadsBucket} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(b == cfg.Bucket),
			CreateBucketConfiguration: &stypes.CreateBucketConfiguration{LocationConstraint: region}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &stypes.VersioningConfiguration{Status: stypes.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	for name, keys := range map[string][]string{cfg.CustodyTable: {"bundle", "seq:N"}, cfg.LogTable: {"id"}, cfg.DeliveriesTable: {"counterpart", "delivery"}, cfg.SentTable: {"id"}} {
		dynamotest.Create(t, db, dynamotest.Input(name, keys...))
	}
	ingestQ := p + "-evx-ingest"
	qout, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &ingestQ})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(sqsqueue.QueueName(cfg.QueuePrefix, awsenv.AcceptedQueue)),
		Attributes: map[string]string{"FifoQueue": "true"}}); err != nil {
		t.Fatal(err)
	}
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: ktypes.KeySpecEccNistP256, KeyUsage: ktypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SigningKey = *key.KeyMetadata.Arn

	// The handler, as main.go wires it.
	cfg.Intake = pipeline.BagIntake(extract.RecordWith(extract.DefaultLimits(), extract.RecordOptions{States: pipeline.BundleStates}), bagit.Limits{})
	env, err := awsenv.OpenWith(ctx, cfg, acfg, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}
	fan, err := fanOutFromEnv(func(k string) string {
		return map[string]string{"EVX_FANOUT_MIN_MEMBERS": "100", "EVX_FANOUT_CHUNK_MEMBERS": os.Getenv("EVX_VOLUME_CHUNK_MEMBERS"),
			"EVX_FANOUT_CHUNK_BYTES": os.Getenv("EVX_VOLUME_CHUNK_BYTES"), "EVX_FANOUT_MARGIN": os.Getenv("EVX_VOLUME_MARGIN"), "EVX_FANOUT_PARALLEL": os.Getenv("EVX_VOLUME_PARALLEL")}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("EVX_VOLUME_PARALLEL") == "" {
		fan.Parallel = 4
	}
	if os.Getenv("EVX_VOLUME_MARGIN") == "" {
		fan.Margin = deadline * 2 / 5
	}
	if os.Getenv("EVX_VOLUME_CHUNK_MEMBERS") == "" {
		fan.ChunkMembers = max(50, files/8)
	}
	h := &Handler{Service: env.Service, Uploads: env, State: env.State, Queue: env.Queue, Accepted: awsenv.AcceptedQueue,
		Retain: s3blob.NewRetainer(env.S3, cfg.Bucket, stypes.ObjectLockRetentionModeGovernance), RetainFor: 24 * time.Hour,
		FanOut: &fan, Members: env.State, Requeue: env.Queue, IngestQueue: ingestQ}

	t0 := time.Now()
	bagPath := volumeBag(t, files, total)
	fi, _ := os.Stat(bagPath)
	t.Logf("volume: bag of %d files, %d bytes built in %v", files, fi.Size(), time.Since(t0).Round(time.Millisecond))
	bagKey := "incoming/volume.zip"
	version, size := putLarge(t, ctx, s3c, cfg.UploadsBucket, bagKey, bagPath)
	os.Remove(bagPath)
	ev, _ := json.Marshal(map[string]any{"version": "0", "id": "volume", "detail-type": "Object Created", "source": "aws.s3",
		"account": "123456789012", "time": "2026-11-27T09:00:00Z", "region": os.Getenv("AWS_REGION"),
		"detail": map[string]any{"bucket": map[string]any{"name": cfg.UploadsBucket}, "object": map[string]any{"key": bagKey, "size": size, "version-id": version}}})
	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qout.QueueUrl, MessageBody: aws.String(string(ev))}); err != nil {
		t.Fatal(err)
	}
	m.take()
	m.got.Store(0)
	m.put.Store(0)

	// The event source mapping: workers invocations at once, one message each.
	var (
		mu          sync.Mutex
		invocations int
		kinds       = map[string]int{}
		longest     time.Duration
		bundle      string
		idle        atomic.Int32
	)
	start := time.Now()
	maxWall := 20 * time.Minute
	if d, ok := t.Deadline(); ok {
		maxWall = time.Until(d) - 30*time.Second
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < maxWall {
				out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qout.QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 600, WaitTimeSeconds: 1})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					mu.Lock()
					done := bundle != ""
					mu.Unlock()
					if done && idle.Add(1) > int32(3*workers) {
						return
					}
					continue
				}
				idle.Store(0)
				msg := out.Messages[0]
				mu.Lock()
				invocations++
				n := invocations
				mu.Unlock()
				ictx, cancel := context.WithTimeout(ctx, deadline)
				kind := "ok"
				if n%5 == 4 && strings.Contains(*msg.Body, `"chunk"`) {
					time.AfterFunc(time.Second, cancel) // killed mid-chunk
					kind = "killed"
				}
				t1 := time.Now()
				res, err := h.Message(ictx, json.RawMessage(*msg.Body))
				cancel()
				took := time.Since(t1)
				mu.Lock()
				longest = max(longest, took)
				switch {
				case err != nil:
					kinds["failed ("+kind+")"]++
				case res.Chunks > 0:
					kinds["fanned out"]++
				case res.Chunk != nil && strings.HasPrefix(res.State, "chunk done"):
					kinds["chunk done"]++
				case res.Chunk != nil:
					kinds[res.State]++
				case res.Bundle != "" && res.State != "":
					kinds["finished: "+res.State]++
					bundle = res.Bundle
				}
				mu.Unlock()
				if os.Getenv("EVX_VOLUME_VERBOSE") != "" {
					t.Logf("worker %d: invocation %d (%s) %v: %+v %v", w, n, kind, took.Round(time.Millisecond), res, err)
				}
				if err != nil {
					t.Logf("worker %d: invocation %d (%s) failed after %v: %v", w, n, kind, took.Round(time.Millisecond), err)
					sq.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: qout.QueueUrl, ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0})
					continue
				}
				if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: qout.QueueUrl, ReceiptHandle: msg.ReceiptHandle}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	calls := m.take()
	if bundle == "" {
		t.Fatalf("no finish after %v: %d invocations %v", wall, invocations, kinds)
	}
	u, err := env.State.Upload(ctx, bundle)
	if err != nil || u.State != pipeline.UploadAccepted {
		t.Fatalf("upload = %+v, %v; want accepted", u, err)
	}
	trail, err := env.Service.Events(ctx, bundle)
	if err != nil {
		t.Fatal(err)
	}
	acceptances, docs := 0, 0
	for _, e := range trail {
		if e.Event.Type == "SubmissionAcceptance" {
			acceptances++
			// Over 1,000 documents the acceptance references a document manifest.
			ds, err := env.Service.EventDocuments(ctx, e.Event)
			if err != nil {
				t.Fatal(err)
			}
			docs = len(ds)
		}
	}
	if acceptances != 1 || docs != files {
		t.Errorf("trail: %d acceptances of %d documents, want 1 of %d", acceptances, docs, files)
	}
	if kinds["fanned out"] != 1 || kinds["chunk done"] < 2 || kinds["chunk continued"]+kinds["failed (killed)"] < 1 {
		t.Errorf("invocations %v: want one fan-out, several chunks, and some continued past their deadline or killed", kinds)
	}
	stores := calls["S3 PutObject"] + calls["S3 CreateMultipartUpload"]
	var keys []string
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-40s %8d  %6.2f a member", k, calls[k], float64(calls[k])/float64(files))
	}
	t.Logf("volume: %d files, %d bytes, %d workers, deadline %v, chunks of %d members / %d bytes, %d in flight",
		files, size, workers, deadline, fan.ChunkMembers, fan.ChunkBytes, fan.Parallel)
	t.Logf("volume: %d invocations %v in %v wall (longest %v); %.2f invocations a GiB",
		invocations, kinds, wall.Round(time.Millisecond), longest.Round(time.Millisecond), float64(invocations)/(float64(size)/(1<<30)))
	t.Logf("volume: GET bytes %d (%.3f a bag byte), PUT bytes %d (%.3f a bag byte); %.1f MiB/s ingested",
		m.got.Load(), float64(m.got.Load())/float64(size), m.put.Load(), float64(m.put.Load())/float64(size), float64(size)/(1<<20)/wall.Seconds())
	t.Logf("volume: calls%s", b.String())
	t.Logf("volume: GET bytes by place %v", m.gets)
	// Each document stored once, and its extraction once, give or take the Puts of the
	// invocations killed mid-Put.
	if max := 2*files + 2*kinds["failed (killed)"]*fan.Parallel + 2; stores > max {
		t.Errorf("%d S3 stores for %d files, want at most %d", stores, files, max)
	}
}
