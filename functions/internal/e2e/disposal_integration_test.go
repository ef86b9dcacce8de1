//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/aws/s3blob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
)

// TestIntegrationDisposalOnAWS: legal staff of the deployment's agency authorise the disposal
// of two bundles through the api bootstrap; the audit bootstrap's dispose task deletes every
// version of the first one's own document and of its extracted text, keeps the document a
// third bundle holds too, records DocumentsDisposed (the trail still verifies) and leaves the
// document guard's items released; the second bundle's document, which Object Lock retains,
// waits, nothing of it claimed or deleted. A read of a disposed document answers 410.
func TestIntegrationDisposalOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	fns := startFunctions(t, ctx, root, st.environ(), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-legal-home-0123": {map[string]string{"sub": "m.jansen", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	})
	legal := apiClient(t, srv.URL, "tok-legal-home-0123")
	c := st.cfg
	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	bag := func(files map[string]string) []byte {
		t.Helper()
		dir := t.TempDir()
		var paths []string
		for name, body := range files {
			p := dir + "/" + name
			os.WriteFile(p, []byte(body), 0o644)
			paths = append(paths, p)
		}
		out := t.TempDir() + "/bundle.zip"
		if _, err := bagit.Create(out, paths, bagit.CreateOptions{Info: bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"},
			{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H0"}}}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	shared := "Payments ledger shared by two cases: 25,000 EUR on 2026-10-01.\n"
	own := "Statement of the harbour master, Algeciras, on container MSCU1234566.\n"
	first := putAndAccept(t, ctx, st, env, "home/m.devries", bag(map[string]string{"statement.txt": own, "ledger.txt": shared}))
	putAndAccept(t, ctx, st, env, "home/a.smit", bag(map[string]string{"payments.txt": shared}))
	locked := putAndAccept(t, ctx, st, env, "home/m.devries", bag(map[string]string{"order.txt": "Court order 2026/88, sealed.\n"}))
	docs := func(bundle string) map[string]custody.Document {
		trail, err := env.Ledger.Events(ctx, bundle)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]custody.Document{}
		for _, en := range trail {
			for _, d := range en.Event.Details.Documents {
				if d.Extraction != "" || out[d.Name].SHA256 == "" {
					out[d.Name] = d
				}
			}
		}
		return out
	}
	firstDocs, lockedDocs := docs(first), docs(locked)
	ownDoc, sharedDoc, orderDoc := firstDocs["data/statement.txt"], firstDocs["data/ledger.txt"], lockedDocs["data/order.txt"]
	if ownDoc.Extraction == "" {
		t.Fatalf("the statement's extraction is not recorded: %+v", ownDoc)
	}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if err := s3blob.NewRetainer(st.s3, c.Bucket, types.ObjectLockRetentionModeCompliance).Retain(ctx, orderDoc.SHA256, until); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{first, locked} {
		if _, err := legal.ReviewRetention(ctx, b, client.RetentionReview{Decision: custody.DecisionDispose, Note: "case closed"}); err != nil {
			t.Fatalf("authorise the disposal of %s: %v", b, err)
		}
	}
	var res struct{ Disposed, Waiting []string }
	if err := json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "dispose"}), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Disposed, []string{first}) || len(res.Waiting) != 1 || !strings.HasPrefix(res.Waiting[0], locked+": ") || !strings.Contains(res.Waiting[0], "locked") {
		t.Fatalf("dispose task = %+v; want %s disposed and %s waiting for its lock", res, first, locked)
	}
	versions := func(sum string) int {
		key, _ := s3blob.Key(sum)
		out, err := st.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &c.Bucket, Prefix: &key})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions) + len(out.DeleteMarkers)
	}
	for name, want := range map[string]struct {
		sum  string
		kept bool
	}{"the disposed document": {ownDoc.SHA256, false}, "its extracted text": {ownDoc.Extraction, false},
		"the document another bundle holds": {sharedDoc.SHA256, true}, "the locked document": {orderDoc.SHA256, true}} {
		if n := versions(want.sum); (n > 0) != want.kept {
			t.Errorf("%s: %d versions left, want kept %v", name, n, want.kept)
		}
	}
	trail, err := env.Service.Export(ctx, first, custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := trail.Events[len(trail.Events)-1].Event
	if last.Type != custody.DocumentsDisposed || len(last.Details.Documents) != 1 || last.Details.Documents[0].SHA256 != ownDoc.SHA256 ||
		len(last.Details.Reasons) != 1 || !strings.HasPrefix(last.Details.Reasons[0], "kept="+sharedDoc.SHA256) {
		t.Errorf("last event %s %+v %q; want DocumentsDisposed of the statement, the ledger kept", last.Type, last.Details.Documents, last.Details.Reasons)
	}
	if _, err := custody.Verify(trail, env.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("the trail after disposal does not verify: %v", err)
	}
	// The guard's items: the disposed document's claim released, nothing claimed on the rest.
	for _, sum := range []string{ownDoc.SHA256, ownDoc.Extraction, sharedDoc.SHA256, orderDoc.SHA256} {
		it, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &c.DeliveriesTable, ConsistentRead: aws.Bool(true),
			Key: map[string]dtypes.AttributeValue{"counterpart": &dtypes.AttributeValueMemberS{Value: "#blob"}, "delivery": &dtypes.AttributeValueMemberS{Value: sum}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, claimed := it.Item["disposing"]; claimed {
			t.Errorf("blob %s still claimed after the run", sum[:12])
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/bundles/"+first+"/documents/data/statement.txt", nil)
	req.Header.Set("Authorization", "Bearer tok-legal-home-0123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("read of the disposed document = %d, want 410", resp.StatusCode)
	}
}
