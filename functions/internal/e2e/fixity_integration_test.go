//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	qtypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// fixityBag is a bag of n text documents of size bytes each, distinct from every other bag's.
func fixityBag(t *testing.T, n, size int) []byte {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		b := make([]byte, size)
		rand.Read(b)
		body := []byte(base64.StdEncoding.EncodeToString(b))[:size]
		p := filepath.Join(dir, fmt.Sprintf("exhibit-%02d.txt", i))
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(out, paths, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	return b
}

// metricSum adds up the metric name over the embedded-metric-format lines of a function's
// output.
func metricSum(out, name string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		i := strings.Index(l, `{"`)
		if i < 0 || !strings.Contains(l, `"_aws"`) {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(l[i:]), &m) != nil {
			continue
		}
		if v, ok := m[name].(float64); ok {
			n += int(v)
		}
	}
	return n
}

// TestIntegrationFixityFanOut, between the audit bootstrap and the emulator: the daily run
// cuts 300 documents in 30 bundles (and a multipart one) into work items on the fixity queue;
// the items, handed back as SQS events as the event source mapping does, compare S3's stored
// checksums with the custody SHA-256 (HeadObject) and read in full only the day's sample, the
// documents with no stored checksum and the multipart one (its composite not yet bound). A
// replaced object is caught without a download; a lost work item is counted missing by the
// next daily run; a malformed one ends in the dead-letter queue. The counts of calls per document
// are logged for docs/volumes.md.
func TestIntegrationFixityFanOut(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	c := st.cfg
	dlq, err := st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(c.QueuePrefix + "evx-fixity-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn, err := st.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []qtypes.QueueAttributeName{qtypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	fq, err := st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(c.QueuePrefix + "evx-fixity"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, dlqArn.Attributes["QueueArn"])}})
	if err != nil {
		t.Fatal(err)
	}
	queue := *fq.QueueUrl

	env := st.ingestEnv(t, ctx)
	const bundles, perBundle, docSize = 30, 10, 4096
	var ids []string
	for range bundles {
		ids = append(ids, putAndAccept(t, ctx, st, env, "home/m.devries", fixityBag(t, perBundle, docSize)))
	}
	// One bundle whose document goes up in parts (s3blob's 16 MiB parts): S3 keeps a composite.
	multipart := putAndAccept(t, ctx, st, env, "home/m.devries", fixityBag(t, 1, s3blob.DefaultPartSize+1<<20))
	ids = append(ids, multipart)
	docs := map[string][]custody.Document{}
	for _, id := range ids {
		trail, err := env.Ledger.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		docs[id] = trail[0].Event.Details.Documents
	}
	put := func(sum string, body []byte, checksum bool) {
		t.Helper()
		key, _ := s3blob.Key(sum)
		in := &s3.PutObjectInput{Bucket: &c.Bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}
		opt := func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }
		if checksum {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
		} else {
			md := md5.Sum(body)
			in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(md[:]))
		}
		if _, err := st.s3.PutObject(ctx, in, opt); err != nil {
			t.Fatal(err)
		}
	}
	// A document replaced by other bytes (a new version, with S3's checksum of those bytes).
	replaced, replacedDoc := ids[3], docs[ids[3]][0]
	today := pipeline.SampleDay(time.Now(), pipeline.DefaultFullReadDays)
	for _, d := range docs[replaced] {
		if pipeline.FullReadDay(d.SHA256, pipeline.DefaultFullReadDays) != today {
			replacedDoc = d
			break
		}
	}
	put(replacedDoc.SHA256, []byte("replaced: not the document the custody trail recorded\n"), true)
	// Documents stored before checksums: the same bytes, written again without one.
	var unchecksummed []custody.Document
	for _, d := range docs[ids[7]][:3] {
		rc, err := env.Blobs.Open(ctx, d.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		put(d.SHA256, buf.Bytes(), false)
		unchecksummed = append(unchecksummed, d)
	}

	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL, "EVX_FIXITY_QUEUE="+queue, "EVX_FIXITY_ITEM_BUNDLES=4"), "audit")
	audit := fns["audit"]
	var daily struct {
		Items   int
		Checked int
	}
	json.Unmarshal(invoke(t, audit, map[string]any{"source": "aws.scheduler"}), &daily)
	wantItems := (len(ids) + 3) / 4
	if daily.Items != wantItems || daily.Checked != 0 {
		t.Fatalf("daily run = %+v; want %d work items sent, nothing checked itself", daily, wantItems)
	}
	if n := metricSum(audit.Output(), "FixityItemsSent"); n != wantItems {
		t.Errorf("FixityItemsSent %d, want %d", n, wantItems)
	}
	w.take()

	// One item lost (deleted unread: not one of the bundles looked at below), one malformed
	// message put beside them.
	out, err := st.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) == 0 {
		t.Fatalf("receive the work items: %v, %v", out, err)
	}
	var lost struct{ Bundles []string }
	for _, m := range out.Messages {
		var it struct{ Bundles []string }
		json.Unmarshal([]byte(*m.Body), &it)
		if lost.Bundles == nil && !slices.ContainsFunc(it.Bundles, func(b string) bool { return b == replaced || b == multipart || b == ids[7] }) {
			lost = it
			st.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle})
			continue
		}
		st.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
	}
	if lost.Bundles == nil {
		t.Fatal("no work item without the bundles looked at")
	}
	st.send(t, queue, `{"run":"yesterday","bundles":[]}`)

	start := time.Now()
	reports := len(audit.Reports())
	var mismatched []string
	invocations := 0
	for range 10 {
		before := audit.Output()
		failed := st.drain(t, audit, queue)
		if audit.Output() == before && len(failed) == 0 {
			break
		}
		invocations++
		time.Sleep(1100 * time.Millisecond) // the failed ones' visibility (drain's 1 s)
	}
	elapsed := time.Since(start)
	var busy time.Duration // the item invocations' own durations (the emulator's REPORT lines)
	for _, r := range audit.Reports()[reports:] {
		busy += r.Duration
	}
	calls := w.take()
	checked := metricSum(audit.Output(), "FixityChecked")
	done := metricSum(audit.Output(), "FixityItemsDone")
	for _, l := range strings.Split(audit.Output(), "\n") {
		if strings.Contains(l, "fixity mismatch") {
			for _, id := range ids {
				if strings.Contains(l, id) && !slices.Contains(mismatched, id) {
					mismatched = append(mismatched, id)
				}
			}
		}
	}
	if want := len(ids) - len(lost.Bundles); checked != want {
		t.Errorf("FixityChecked %d, want %d (the lost item's %d bundles unchecked)", checked, want, len(lost.Bundles))
	}
	if done != wantItems-1 || wantItems-done != 1 {
		t.Errorf("FixityItemsDone %d of %d sent: want one missing (FixityItemsMissingAlarm's sent - done = 1)", done, wantItems)
	}
	if !slices.Equal(mismatched, []string{replaced}) {
		t.Errorf("mismatched %v, want only %s", mismatched, replaced)
	}
	// The next daily run counts the lost item missing (FixityItemsMissingAlarm).
	var next struct{ Items, Missing int }
	json.Unmarshal(invoke(t, audit, map[string]any{"source": "aws.scheduler"}), &next)
	if next.Missing != 1 || metricSum(audit.Output(), "FixityItemsMissing") != 1 {
		t.Errorf("next daily run = %+v; want the lost item of the previous run missing", next)
	}
	attrs, err := st.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []qtypes.QueueAttributeName{qtypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("fixity dead-letter queue holds %v (%v), want the malformed item (FixityDeadLetterAlarm)", attrs.Attributes, err)
	}

	// What each bundle's FixityCheck says: read in full the day's sample, the documents
	// without a stored checksum and the multipart one; the rest compared.
	fullBytes, fullDocs, compared, totalDocs := int64(0), 0, 0, 0
	for _, id := range ids {
		if slices.Contains(lost.Bundles, id) {
			continue
		}
		trail, err := env.Ledger.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e := trail[len(trail)-1].Event
		if e.Type != custody.FixityCheck {
			t.Fatalf("%s: last event %s, want FixityCheck", id, e.Type)
		}
		full, n := pipeline.FixityMethods(e)
		totalDocs += len(docs[id])
		compared += n
		for _, d := range docs[id] {
			if slices.Contains(full, d.Name) {
				fullDocs++
				fullBytes += d.Size
			}
		}
		switch id {
		case replaced:
			if len(e.Details.Reasons) != 1 || !strings.Contains(e.Details.Reasons[0], replacedDoc.Name+": the store's checksum is SHA-256 ") {
				t.Errorf("replaced bundle's reasons %q, want the stored checksum's mismatch of %s", e.Details.Reasons, replacedDoc.Name)
			}
		case multipart:
			if len(full) != 1 || !strings.Contains(strings.Join(e.Details.Findings, "\n"), ", composite checksum ") {
				t.Errorf("multipart bundle's findings %q, want its document read in full and its composite recorded", e.Details.Findings)
			}
		case ids[7]:
			for _, d := range unchecksummed {
				if !slices.Contains(full, d.Name) {
					t.Errorf("%s has no stored checksum but was not read in full (findings %q)", d.Name, e.Details.Findings)
				}
			}
		}
	}
	gets, heads := count(calls, "S3 GetObject"), count(calls, "S3 HeadObject")
	if gets != fullDocs {
		t.Errorf("%d GetObject for %d documents read in full", gets, fullDocs)
	}
	checkedBundles := len(ids) - len(lost.Bundles)
	t.Logf("fixity of %d documents in %d bundles, %d work items (1 lost, 1 malformed), %d drains in %v, invocations busy %v: %d read in full (%d bytes), %d compared by checksum; calls %s",
		totalDocs, checkedBundles, wantItems, invocations, elapsed.Round(time.Millisecond), busy.Round(time.Millisecond), fullDocs, fullBytes, compared, format(tally(calls)))
	t.Logf("per document: %.2f HeadObject, %.2f GetObject, %.2f ms busy; per bundle: %.2f DynamoDB calls, %.2f KMS Sign", float64(heads)/float64(totalDocs),
		float64(gets)/float64(totalDocs), float64(busy.Microseconds())/1000/float64(totalDocs),
		float64(countPrefix(calls, "DynamoDB "))/float64(checkedBundles), float64(count(calls, "KMS Sign"))/float64(checkedBundles))
}

func tally(calls []string) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		m[c]++
	}
	return m
}

func countPrefix(calls []string, p string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, p) {
			n++
		}
	}
	return n
}
