//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	qtypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/functions/internal/lambdatest"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/backend/aws/s3bags"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// moduleRoot is the folder holding go.mod.
func moduleRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// stack creates on moto what template.yaml deploys, with fresh names, and returns the
// functions' environment.
type stack struct {
	cfg       awsenv.Config
	s3        *s3.Client
	sqs       *sqs.Client
	kms       *kms.Client
	db        *dynamodb.Client
	uploads   string // the uploads bucket
	ingest    string // ingest queue URL
	ingestDLQ string // its dead-letter queue URL
	accepted  string // accepted-bundles queue URL
	dlq       string // its dead-letter queue URL
	queues    map[string]string
	notices   string // the match-notices queue URL (hits on the deployment's identifiers)
}

// issuer is the identity provider infra/counterparts.yaml registers the sample counterparts'
// clients with; evx's own staff come from it too here (one user pool, one client per agency).
const issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EvxSample"

const maxReceives = 2 // the ingest and accepted queues' redrive maxReceiveCount here (3 and 5 in template.yaml)

func newStack(t *testing.T, ctx context.Context, root string) *stack {
	t.Helper()
	env, err := awsenv.FromEnv(func(k string) string {
		return map[string]string{"EVX_BUCKET": "x", "EVX_CUSTODY_TABLE": "x", "EVX_LOG_TABLE": "x", "EVX_DELIVERIES_TABLE": "x", "EVX_SENT_TABLE": "x", "EVX_SIGNING_KEY": "x"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var rb [4]byte
	rand.Read(rb[:])
	p := "e" + hex.EncodeToString(rb[:])
	env.Bucket, env.CustodyTable, env.LogTable, env.DeliveriesTable, env.SentTable = p+"-evidence", p+"-custody", p+"-log", p+"-deliveries", p+"-sent"
	env.UploadsBucket = p + "-uploads" // FromEnv defaulted it to the placeholder bucket
	env.QueuePrefix = p + "-"
	env.Directory = filepath.Join(root, "infra", "counterparts.yaml")
	env.Fonts = filepath.Join(root, "shared", "report", "fonts") // the api's zip ships them as fonts/
	s := &stack{cfg: env, queues: map[string]string{}, uploads: p + "-uploads"}
	c, err := awsClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.s3, s.sqs, s.kms, s.db = c.s3, c.sqs, c.kms, c.db

	if _, err := s.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &env.Bucket, ObjectLockEnabledForBucket: aws.Bool(true),
		CreateBucketConfiguration: &stypes.CreateBucketConfiguration{LocationConstraint: stypes.BucketLocationConstraint(os.Getenv("AWS_REGION"))}}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	// The uploads bucket: versioned, no Object Lock (template.yaml's UploadsBucket).
	if _, err := s.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.uploads,
		CreateBucketConfiguration: &stypes.CreateBucketConfiguration{LocationConstraint: stypes.BucketLocationConstraint(os.Getenv("AWS_REGION"))}}); err != nil {
		t.Fatalf("create uploads bucket: %v", err)
	}
	for _, b := range []string{env.Bucket, s.uploads} {
		if _, err := s.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &stypes.VersioningConfiguration{Status: stypes.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatalf("versioning: %v", err)
		}
	}
	table := func(name string, keys ...string) {
		dynamotest.Create(t, s.db, dynamotest.Input(name, keys...))
	}
	table(env.CustodyTable, "bundle", "seq:N")
	table(env.LogTable, "id")
	// The sequenced log (template.yaml's SequencedLog) when EVX_E2E_SEQUENCED is set; the
	// stack's default otherwise.
	if os.Getenv("EVX_E2E_SEQUENCED") != "" {
		s.cfg.PendingTable = p + "-pending"
		table(s.cfg.PendingTable, "shard", "id")
	}
	table(env.DeliveriesTable, "counterpart", "delivery")
	table(env.SentTable, "id")
	s.cfg.IndexTable = p + "-identifiers"
	table(s.cfg.IndexTable, "key", "bundle")
	s.cfg.SearchTable = p + "-search"
	table(s.cfg.SearchTable, "pk", "sk")
	queue := func(name string, attrs map[string]string) string {
		a := map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"}
		for k, v := range attrs {
			a[k] = v
		}
		out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: a})
		if err != nil {
			t.Fatalf("create queue %s: %v", name, err)
		}
		return *out.QueueUrl
	}
	redrive := func(dlq string) string {
		a, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &dlq, AttributeNames: []qtypes.QueueAttributeName{qtypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, a.Attributes["QueueArn"], maxReceives)
	}
	// The ingest queue is a standard queue (template.yaml's IngestQueue: EventBridge delivers
	// S3 events to it).
	standard := func(name string, attrs map[string]string) string {
		out, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatalf("create queue %s: %v", name, err)
		}
		return *out.QueueUrl
	}
	s.ingestDLQ = standard(env.QueuePrefix+"evx-ingest-dlq", nil)
	s.ingest = standard(env.QueuePrefix+"evx-ingest", map[string]string{"RedrivePolicy": redrive(s.ingestDLQ)})
	s.dlq = queue(sqsqueue.QueueName(env.QueuePrefix, awsenv.AcceptedQueue+"-dlq"), nil)
	s.accepted = queue(sqsqueue.QueueName(env.QueuePrefix, awsenv.AcceptedQueue), map[string]string{"RedrivePolicy": redrive(s.dlq)})
	s.notices = queue(sqsqueue.QueueName(env.QueuePrefix, "match-notices"), nil)
	for _, cp := range []string{"nl-om", "es-fge", "co-fgn", "pt-pj"} {
		s.queues[cp] = queue(sqsqueue.QueueName(env.QueuePrefix, pipeline.QueueName(cp)), nil)
		queue(sqsqueue.QueueName(env.QueuePrefix, pipeline.QueueName(cp)+"-dlq"), nil)
	}
	key, err := s.kms.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: ktypes.KeySpecEccNistP256, KeyUsage: ktypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	s.cfg.SigningKey = *key.KeyMetadata.Arn
	// As the runbook deploys it: the public key in the configuration, so no function asks
	// KMS for it at cold start.
	pk, err := s.kms.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: key.KeyMetadata.Arn})
	if err != nil {
		t.Fatalf("get public key: %v", err)
	}
	s.cfg.SigningPublicKey = pk.PublicKey
	// The identifier index's HMAC key (template.yaml's IndexKey).
	ik, err := s.kms.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: ktypes.KeySpecHmac256, KeyUsage: ktypes.KeyUsageTypeGenerateVerifyMac})
	if err != nil {
		t.Fatalf("create index key: %v", err)
	}
	s.cfg.IndexKey = *ik.KeyMetadata.Arn
	return s
}

func (s *stack) environ() []string {
	c := s.cfg
	return []string{"EVX_BUCKET=" + c.Bucket, "EVX_CUSTODY_TABLE=" + c.CustodyTable, "EVX_LOG_TABLE=" + c.LogTable,
		"EVX_PENDING_TABLE=" + c.PendingTable, "EVX_DELIVERIES_TABLE=" + c.DeliveriesTable, "EVX_SENT_TABLE=" + c.SentTable, "EVX_QUEUE_PREFIX=" + c.QueuePrefix,
		"EVX_SIGNING_KEY=" + c.SigningKey, "EVX_DIRECTORY=" + c.Directory, "EVX_FONTS=" + c.Fonts, "AWS_LAMBDA_LOG_FORMAT=JSON",
		"EVX_UPLOADS_BUCKET=" + s.uploads, "EVX_INGEST_QUEUE=" + c.QueuePrefix + "evx-ingest", "EVX_SWEEP_GRACE=0s",
		"EVX_JWT_ISSUER=" + issuer, "EVX_RETENTION_MODE=GOVERNANCE", "EVX_RETENTION_DAYS=1", "EVX_NOTICE_ALARM_PREFIX=e2e-notice-age-",
		"EVX_SIGNING_PUBLIC_KEY=" + base64.StdEncoding.EncodeToString(c.SigningPublicKey),
		"EVX_INDEX_TABLE=" + c.IndexTable, "EVX_INDEX_KEY=" + c.IndexKey, "EVX_AGENCY=" + c.Agency, "EVX_SEARCH_TABLE=" + c.SearchTable}
}

// startFunctions builds the bootstraps of fns and starts each under aws-lambda-rie.
func startFunctions(t *testing.T, ctx context.Context, root string, env []string, fns ...string) map[string]*lambdatest.Function {
	rie := os.Getenv("EVX_LAMBDA_RIE")
	out := map[string]*lambdatest.Function{}
	dir := t.TempDir()
	for _, fn := range fns {
		bin := filepath.Join(dir, fn, "bootstrap")
		if err := lambdatest.Build(ctx, root, "./functions/"+fn, bin); err != nil {
			t.Fatalf("build %s: %v", fn, err)
		}
		f, err := lambdatest.Start(rie, bin, env, 20*time.Second)
		if err != nil {
			t.Fatalf("start %s: %v", fn, err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s output:\n%s", fn, f.Output())
			}
			f.Stop()
		})
		out[fn] = f
	}
	return out
}

func invoke(t *testing.T, f *lambdatest.Function, ev any) []byte {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Invoke(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte(`"errorType"`)) {
		t.Fatalf("function error: %s\n%s", out, f.Output())
	}
	return out
}

func objectCreated(bucket, key, version string, size int64) map[string]any {
	return map[string]any{
		"version": "0", "id": "e2e-" + version, "detail-type": "Object Created", "source": "aws.s3",
		"account": "123456789012", "time": "2026-11-27T09:00:00Z", "region": os.Getenv("AWS_REGION"),
		"resources": []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{"bucket": map[string]string{"name": bucket},
			"object":    map[string]any{"key": key, "size": size, "version-id": version},
			"requester": "123456789012", "reason": "PutObject"},
	}
}

// apiClient is a client of the api adapter at url with a bearer token.
func apiClient(t *testing.T, url, tok string) *client.Client {
	t.Helper()
	c, err := client.New(url, client.WithToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// token is what API Gateway's JWT authorizer passes on for a bearer token.
type token struct {
	claims map[string]string
	scopes []string
}

// apiAdapter stands in for API Gateway with its JWT authorizer: each request becomes an HTTP
// API payload 2.0 event carrying the claims of the caller's token, invoked on the api function.
func apiAdapter(t *testing.T, f *lambdatest.Function, tokens map[string]token) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "ANY /{proxy+}", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
			Headers: map[string]string{}, Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true}
		for k, v := range r.Header {
			ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = r.Method, r.URL.Path
		if tok, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: tok.claims, Scopes: tok.scopes}}
		}
		b, _ := json.Marshal(ev)
		out, err := f.Invoke(r.Context(), b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			http.Error(w, string(out), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		if resp.IsBase64Encoded {
			raw, _ := base64.StdEncoding.DecodeString(resp.Body)
			w.Write(raw)
		} else {
			io.WriteString(w, resp.Body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (s *stack) send(t *testing.T, queue, body string) {
	t.Helper()
	if _, err := s.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &queue, MessageBody: &body}); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) receive(t *testing.T, queue string) []qtypes.Message {
	t.Helper()
	out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// drain does what an SQS event source mapping does: it receives what is visible on queue (for
// a second), invokes f with the batch, deletes the messages f did not report failed, and
// returns the failed ones.
func (s *stack) drain(t *testing.T, f *lambdatest.Function, queue string) []events.SQSMessage {
	t.Helper()
	ctx := context.Background()
	var records []events.SQSMessage
	handles := map[string]string{}
	for tries := 0; tries < 3; tries++ {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, VisibilityTimeout: 1,
			MessageSystemAttributeNames: []qtypes.MessageSystemAttributeName{qtypes.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, dup := handles[*m.MessageId]; dup {
				continue
			}
			records = append(records, events.SQSMessage{MessageId: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body,
				Attributes: m.Attributes, EventSource: "aws:sqs"})
			handles[*m.MessageId] = *m.ReceiptHandle
		}
	}
	if len(records) == 0 {
		return nil
	}
	var resp events.SQSEventResponse
	json.Unmarshal(invoke(t, f, events.SQSEvent{Records: records}), &resp)
	failed := map[string]bool{}
	for _, x := range resp.BatchItemFailures {
		failed[x.ItemIdentifier] = true
	}
	var out []events.SQSMessage
	for _, r := range records {
		if failed[r.MessageId] {
			out = append(out, r)
			continue
		}
		if _, err := s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: aws.String(handles[r.MessageId])}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func TestIntegrationEndToEnd(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	for _, tool := range []string{"aws", "curl", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	fns := startFunctions(t, ctx, root, st.environ(), "ingest", "route", "api", "audit", "sweep")
	env, err := awsenv.Open(ctx, st.cfg, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}

	// 1. A bag lands under incoming/ of the uploads bucket; EventBridge delivers its S3 event
	// to the ingest queue twice (at least once); the ingest function takes the batch.
	bag := fntest.Bag(t, "nl-om", "es-fge")
	key := "incoming/EIO-2026-0042.zip"
	put, err := st.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &st.uploads, Key: &key, Body: bytes.NewReader(bag)})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(objectCreated(st.uploads, key, aws.ToString(put.VersionId), int64(len(bag))))
	for range 2 {
		st.send(t, st.ingest, string(ev))
	}
	if failed := st.drain(t, fns["ingest"], st.ingest); len(failed) != 0 {
		t.Fatalf("ingest failed %v", failed)
	}
	good := s3bags.BundleID(st.uploads, key, aws.ToString(put.VersionId))
	if u, err := env.State.Upload(ctx, good); err != nil || u.State != pipeline.UploadAccepted {
		t.Fatalf("upload %s = %+v, %v; want accepted", good, u, err)
	}
	// Its documents are locked, each on its own (the bucket has no default retention).
	goodTrail, err := env.Service.Events(ctx, good)
	if err != nil || len(goodTrail) == 0 {
		t.Fatalf("trail of %s: %v", good, err)
	}
	for _, d := range goodTrail[0].Event.Details.Documents {
		// HeadObject rather than GetObjectRetention: moto 5.2.1 answers the latter with XML
		// the SDK cannot parse.
		r, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &st.cfg.Bucket, Key: aws.String("evidence/" + d.SHA256)})
		if err != nil || r.ObjectLockMode != stypes.ObjectLockModeGovernance || r.ObjectLockRetainUntilDate == nil || !r.ObjectLockRetainUntilDate.After(time.Now()) {
			var mode stypes.ObjectLockMode
			var until *time.Time
			if r != nil {
				mode, until = r.ObjectLockMode, r.ObjectLockRetainUntilDate
			}
			t.Errorf("%s: retention %q until %v, %v; want GOVERNANCE until tomorrow", d.Name, mode, until, err)
		}
	}

	// 2. A poisoned event on the ingest queue fails alone, each time, and then lies in the
	// ingest dead-letter queue.
	st.send(t, st.ingest, `{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`)
	for i := 0; i < maxReceives+1; i++ {
		time.Sleep(1100 * time.Millisecond)
		if failed := st.drain(t, fns["ingest"], st.ingest); i < maxReceives && len(failed) != 1 {
			t.Errorf("receive %d of the poisoned event: %d failures, want 1", i+1, len(failed))
		}
	}
	if dl := st.receive(t, st.ingestDLQ); len(dl) != 1 || !strings.Contains(*dl[0].Body, "aws.ec2") {
		t.Errorf("ingest dead-letter queue = %+v, want the poisoned event", dl)
	}

	// 3. A pending upload: recorded, its event lost, never ingested. A message on the accepted
	// queue naming it is refused by route (which never ingests) and ends in the dead-letter
	// queue, with nothing recorded.
	badKey := "incoming/not-a-bag.zip"
	bput, err := st.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &st.uploads, Key: &badKey, Body: strings.NewReader("PK\x03\x04 no zip")})
	if err != nil {
		t.Fatal(err)
	}
	badUp, err := env.Submit(ctx, st.uploads, badKey, aws.ToString(bput.VersionId), "s3:test", 14)
	if err != nil {
		t.Fatal(err)
	}
	bad := badUp.BundleID
	if err := env.Queue.Send(ctx, awsenv.AcceptedQueue, bad, []byte(`{"bundle":"`+bad+`"}`)); err != nil {
		t.Fatal(err)
	}
	failed := st.drain(t, fns["route"], st.accepted)
	if len(failed) != 1 || !strings.Contains(failed[0].Body, bad) {
		t.Fatalf("route failures = %+v, want only the message naming the pending upload", failed)
	}
	for i := 1; i < maxReceives+1; i++ {
		time.Sleep(1100 * time.Millisecond)
		if f := st.drain(t, fns["route"], st.accepted); i < maxReceives && len(f) != 1 {
			t.Errorf("redelivered message routed: %+v", f)
		}
	}
	if dl := st.receive(t, st.dlq); len(dl) != 1 || !strings.Contains(*dl[0].Body, bad) {
		t.Errorf("accepted dead-letter queue = %+v; want the message naming %s", dl, bad)
	}
	if trail, err := env.Service.Events(ctx, bad); !errors.Is(err, pipeline.ErrNotFound) || len(trail) != 0 {
		t.Errorf("pending bundle's trail = %+v, %v; want none (route never ingests)", trail, err)
	}

	// 4. The sweeper finds the upload still received and puts it back on the ingest queue; the
	// ingest function finishes it: its SubmissionRejection is recorded.
	var swept struct {
		Requeued []string `json:"requeued"`
		Stuck    []string `json:"stuck"`
	}
	json.Unmarshal(invoke(t, fns["sweep"], map[string]string{"task": "pending"}), &swept)
	if len(swept.Requeued) != 1 || swept.Requeued[0] != bad || len(swept.Stuck) != 0 {
		t.Fatalf("sweep = %+v, want %s requeued and nothing stuck", swept, bad)
	}
	if f := st.drain(t, fns["ingest"], st.ingest); len(f) != 0 {
		t.Fatalf("ingest of the requeued upload failed: %+v", f)
	}
	badTrail, err := env.Service.Events(ctx, bad)
	if err != nil || len(badTrail) != 1 || badTrail[0].Event.Type != custody.SubmissionRejection {
		t.Errorf("swept bundle's trail = %+v, %v; want one SubmissionRejection", badTrail, err)
	}
	if u, err := env.State.Upload(ctx, bad); err != nil || u.State != pipeline.UploadRejected {
		t.Errorf("swept upload = %+v, %v; want rejected", u, err)
	}

	// 4. nl-om pulls with evx pull through the api function.
	tokens := map[string]token{
		"tok-nl-om-0123456789":  {map[string]string{"sub": "u1", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
		"tok-es-fge-0123456789": {map[string]string{"sub": "u2", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		// A token of es-fge's client that claims nl-om in custom claims is es-fge's.
		"tok-forged-0123456789": {map[string]string{"sub": "u3", "iss": issuer, "client_id": "evx-sample-es-fge", "evx_role": "legal", "evx_counterpart": "nl-om"}, []string{"evx/counterpart"}},
	}
	srv := apiAdapter(t, fns["api"], tokens)
	evx := filepath.Join(t.TempDir(), "evx")
	cmd := exec.Command("go", "build", "-o", evx, "./cmd/evx")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build evx: %v\n%s", err, out)
	}
	if out := run(t, "curl", "-sf", "-H", "Authorization: Bearer tok-forged-0123456789", srv.URL+"/v1/deliveries"); bytes.Contains(out, []byte(pipeline.DeliveryID(good, "nl-om"))) {
		t.Errorf("a token of es-fge claiming nl-om lists nl-om's delivery: %s", out)
	}
	pulled := run(t, evx, "pull", "--server", srv.URL, "--token", "tok-nl-om-0123456789", "--out", t.TempDir(), "--json")
	if !bytes.Contains(pulled, []byte(`"outcome": "accepted"`)) || !bytes.Contains(pulled, []byte(good)) {
		t.Errorf("evx pull: %s", pulled)
	}

	// 5. es-fge with only the AWS CLI, curl and sha256sum.
	ep := os.Getenv("AWS_ENDPOINT_URL")
	msgs := run(t, "aws", "--endpoint-url", ep, "sqs", "receive-message", "--queue-url", st.queues["es-fge"], "--max-number-of-messages", "10", "--output", "json")
	var rm struct{ Messages []struct{ Body string } }
	if err := json.Unmarshal(msgs, &rm); err != nil || len(rm.Messages) != 1 {
		t.Fatalf("aws sqs receive-message: %s (%v), want one notice", msgs, err)
	}
	var notice pipeline.Notice
	json.Unmarshal([]byte(rm.Messages[0].Body), &notice)
	auth := "Authorization: Bearer tok-es-fge-0123456789"
	var man pipeline.Manifest
	if err := json.Unmarshal(run(t, "curl", "-sf", "-H", auth, srv.URL+"/v1/deliveries/"+notice.Delivery), &man); err != nil || len(man.Documents) == 0 {
		t.Fatalf("manifest: %+v, %v", man, err)
	}
	dir := t.TempDir()
	var receipt pipeline.ReceiptRequest
	receipt.Accepted = true
	for i, d := range man.Documents {
		// The document through the api (recorded access) and, as an agency fetching large
		// files would, straight from S3 through a presigned URL.
		viaAPI, viaS3 := filepath.Join(dir, fmt.Sprintf("api-%d", i)), filepath.Join(dir, fmt.Sprintf("s3-%d", i))
		run(t, "curl", "-sfL", "-H", auth, "-o", viaAPI, srv.URL+"/v1/deliveries/"+notice.Delivery+"/documents/"+d.Name)
		url, err := env.Blobs.PresignGet(ctx, d.SHA256, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		run(t, "curl", "-sf", "-o", viaS3, url)
		sums := strings.Fields(string(run(t, "sha256sum", viaAPI, viaS3)))
		if sums[0] != d.SHA256 || sums[2] != d.SHA256 {
			t.Errorf("%s: sha256sum %s and %s, want %s", d.Name, sums[0], sums[2], d.SHA256)
		}
		receipt.Documents = append(receipt.Documents, pipeline.ReceiptDocument{Name: d.Name, SHA256: sums[0]})
	}
	rb, _ := json.Marshal(receipt)
	signed := run(t, "curl", "-sf", "-X", "POST", "-H", auth, "-H", "Content-Type: application/json", "--data-binary", string(rb),
		srv.URL+"/v1/deliveries/"+notice.Delivery+"/receipt")
	if !bytes.Contains(signed, []byte("signature")) {
		t.Errorf("receipt: %s", signed)
	}

	// 6. The exported trail verifies offline with the KMS public key alone.
	pk, err := st.kms.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &st.cfg.SigningKey})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := env.Service.Export(ctx, good, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(trail)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := custody.VerifyTrail(data, pub, custody.VerifyOptions{})
	if err != nil {
		t.Fatalf("VerifyTrail: %v", err)
	}
	var types []string
	for _, e := range trail.Events {
		types = append(types, string(e.Event.Type))
	}
	t.Logf("trail of %s: %s; report: %+v", good, strings.Join(types, ", "), rep)
	var accepted, consigned, receipts int
	for _, ty := range types {
		switch custody.EventType(ty) {
		case custody.SubmissionAcceptance:
			accepted++
		case custody.ContentConsignment:
			consigned++
		case custody.ConsignmentAcceptance:
			receipts++
		}
	}
	if accepted != 1 || consigned != 2 || receipts != 2 {
		t.Errorf("trail: %d acceptances, %d consignments, %d receipts; want 1, 2, 2", accepted, consigned, receipts)
	}

	// 7. The daily audit re-hashes the accepted bundle (the rejected one has no documents).
	var audit struct {
		Checked    int      `json:"checked"`
		Mismatched []string `json:"mismatched"`
	}
	json.Unmarshal(invoke(t, fns["audit"], map[string]any{"source": "aws.scheduler"}), &audit)
	if audit.Checked != 1 || len(audit.Mismatched) != 0 {
		t.Errorf("audit = %+v, want 1 bundle checked, no mismatch", audit)
	}
	if !strings.Contains(fns["audit"].Output(), `"FixityMismatch":0`) {
		t.Errorf("audit printed no FixityMismatch metric line:\n%s", fns["audit"].Output())
	}

	// 8. The checkpoint: signed by the audit function on its schedule, served from S3 by the
	// api function to anyone.
	var cp struct {
		Checkpoint string `json:"checkpoint"`
	}
	json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "checkpoint"}), &cp)
	if served := run(t, "curl", "-sf", srv.URL+"/v1/checkpoint"); cp.Checkpoint == "" || string(served) != cp.Checkpoint {
		t.Errorf("GET /v1/checkpoint = %q, want the published %q", served, cp.Checkpoint)
	}

	// Cold starts, as the emulator reports them.
	for name, f := range fns {
		for _, r := range f.Reports() {
			if r.InitDuration > 0 {
				t.Logf("cold start %s: init %v, first invoke %v", name, r.InitDuration, r.Duration)
			}
		}
	}
}
