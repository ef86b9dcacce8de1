//go:build integration

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
)

func hexSHA256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// A bag larger than the API's payload limit goes to the uploads bucket directly, by the
// resumable upload protocol evx serve speaks (docs/uploads.md), through the client evx upload
// uses: the api function (a real bootstrap under aws-lambda-rie) opens an S3 multipart upload
// and hands out a presigned UploadPart URL per part, signing its length and SHA-256; the
// client PUTs the parts to S3 (the emulator), never through the API; a run killed after the
// first part is resumed by a second that sends only the rest; the api completes the upload and
// records it as the uploader's; the S3 event of the completed object, through the ingest
// queue, has the ingest function accept it. Another uploader sees nothing of the upload.
func TestIntegrationMultipartUpload(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api", "ingest")
	tokens := map[string]token{
		"tok-inspector-1": {map[string]string{"sub": "inspector-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
		"tok-inspector-2": {map[string]string{"sub": "inspector-2", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
	}
	srv := apiAdapter(t, fns["api"], tokens)
	uploader := func(tok string) *client.Client {
		c, err := client.New(srv.URL, client.WithToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice, bob := uploader("tok-inspector-1"), uploader("tok-inspector-2")

	// A bag of 11 MiB and more: three parts of S3's 5 MiB minimum, the last smaller.
	big := make([]byte, 11<<20)
	rand.Read(big)
	bag := fntest.BagOf(t, map[string][]byte{"intercept.wav": big, "note.txt": []byte("intercept 2026/77\n")}, "nl-om")
	const partSize = 5 << 20
	sum := hexSHA256(bag)

	w.take()
	killed, cancel := context.WithCancel(ctx)
	var id string
	_, err := alice.UploadResumable(killed, bytes.NewReader(bag), int64(len(bag)), sum, client.ResumeOptions{PartSize: partSize, Window: 1,
		Started: func(s string) error { id = s; return nil },
		Sent:    func(int, int64) { cancel() }})
	cancel()
	if err == nil || id == "" {
		t.Fatalf("first run = %v (upload %q), want stopped after part 1", err, id)
	}
	calls := w.take()
	if !slices.Contains(calls, "S3 CreateMultipartUpload") || slices.Index(calls, "S3 UploadPart") < 0 || strings.Count(strings.Join(calls, ","), "S3 UploadPart") != 1 {
		t.Errorf("first run made %q, want CreateMultipartUpload and one UploadPart", calls)
	}
	u, err := alice.ResumableUpload(ctx, id)
	if err != nil || len(u.Held) != 1 || u.Held[0].N != 1 || u.Held[0].Size != partSize || u.Parts != 3 {
		t.Fatalf("upload after the killed run = %+v, %v; want part 1 of 3 held", u, err)
	}
	// Another uploader sees nothing of it.
	if _, err := bob.ResumableUpload(ctx, id); !client.NotFound(err) {
		t.Errorf("inspector-2's GET of inspector-1's upload = %v, want 404", err)
	}
	if _, err := bob.CompleteUpload(ctx, id); !client.NotFound(err) {
		t.Errorf("inspector-2 completing inspector-1's upload = %v, want 404", err)
	}
	if _, err := bob.PartTargets(ctx, id, []multipart.PartSum{{N: 2, SHA256: hexSHA256(bag[partSize : 2*partSize])}}); !client.NotFound(err) {
		t.Errorf("inspector-2 asking for a part's URL of inspector-1's upload = %v, want 404", err)
	}
	// Presigned part URLs sign the part's number, length and SHA-256.
	ts, err := alice.PartTargets(ctx, id, []multipart.PartSum{{N: 2, SHA256: hexSHA256(bag[partSize : 2*partSize])}})
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(ts[0].URL)
	want := sha256.Sum256(bag[partSize : 2*partSize])
	if err != nil || !strings.HasPrefix(ts[0].URL, w.URL+"/") || pu.Query().Get("partNumber") != "2" ||
		!slices.Contains(strings.Split(pu.Query().Get("X-Amz-SignedHeaders"), ";"), "x-amz-checksum-sha256") ||
		!slices.Contains(strings.Split(pu.Query().Get("X-Amz-SignedHeaders"), ";"), "content-length") ||
		ts[0].Headers["x-amz-checksum-sha256"] != base64.StdEncoding.EncodeToString(want[:]) {
		t.Errorf("part 2's target %+v does not sign its number, length and SHA-256 at the S3 endpoint %s", ts[0], w.URL)
	}
	w.take()

	var second []int
	status, err := alice.UploadResumable(ctx, bytes.NewReader(bag), int64(len(bag)), sum, client.ResumeOptions{PartSize: partSize, UploadID: id,
		Sent: func(n int, _ int64) { second = append(second, n) }})
	if err != nil || !slices.Equal(second, []int{2, 3}) || status.Upload.State != pipeline.UploadReceived || status.Upload.BundleID == "" {
		t.Fatalf("second run = %+v, %v, sent %v; want parts 2 and 3, the bag received", status, err, second)
	}
	if calls := w.take(); strings.Count(strings.Join(calls, ","), "S3 UploadPart") != 2 || !slices.Contains(calls, "S3 CompleteMultipartUpload") {
		t.Errorf("second run made %q, want two UploadPart straight to S3 and CompleteMultipartUpload", calls)
	}
	completed := struct{ Bundle string }{status.Upload.BundleID}
	env, err := awsenv.Open(ctx, st.cfg, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}
	up, err := env.State.Upload(ctx, completed.Bundle)
	if err != nil || up.Uploader != st.cfg.Agency+"/inspector-1" || up.State != pipeline.UploadReceived {
		t.Fatalf("upload %s = %+v, %v; want received from %s/inspector-1 (a person of the stack's agency)", completed.Bundle, up, err, st.cfg.Agency)
	}
	src, err := env.State.Source(ctx, completed.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := st.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &src.Bucket, Key: &src.Key, VersionId: &src.Version, ChecksumMode: stypes.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if src.Bucket != st.uploads || !strings.HasPrefix(src.Key, "incoming/api/") || !bytes.Equal(stored, bag) {
		t.Fatalf("completed object s3://%s/%s: %d bytes, want the %d bytes of the bag under incoming/api/ of the uploads bucket", src.Bucket, src.Key, len(stored), len(bag))
	}

	// S3's event of the completed object reaches ingest through the ingest queue.
	ev, _ := json.Marshal(objectCreated(src.Bucket, src.Key, src.Version, int64(len(bag))))
	st.send(t, st.ingest, string(ev))
	if failed := st.drain(t, fns["ingest"], st.ingest); len(failed) != 0 {
		t.Fatalf("ingest failed %v", failed)
	}
	if u, err := env.State.Upload(ctx, completed.Bundle); err != nil || u.State != pipeline.UploadAccepted || u.Uploader != st.cfg.Agency+"/inspector-1" {
		t.Errorf("upload after ingest = %+v, %v; want accepted, inspector-1's", u, err)
	}
	trail, err := env.Service.Events(ctx, completed.Bundle)
	if err != nil || len(trail) == 0 {
		t.Fatalf("trail of %s: %v", completed.Bundle, err)
	}
	var names []string
	for _, d := range trail[0].Event.Details.Documents {
		names = append(names, d.Name)
		if d.Name == "data/intercept.wav" && d.SHA256 != hexSHA256(big) {
			t.Errorf("%s recorded with SHA-256 %s, want %s", d.Name, d.SHA256, hexSHA256(big))
		}
	}
	if len(names) != 2 {
		t.Errorf("accepted documents %q, want the bag's two", names)
	}
}
