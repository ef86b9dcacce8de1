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
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/pipeline"
)

// startedUpload is the api's answer to POST /v1/uploads.
type startedUpload struct {
	Upload   string `json:"upload"`
	UploadID string `json:"upload_id"`
	Parts    []struct {
		Number  int32             `json:"number"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	} `json:"parts"`
}

func hexSHA256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// A bag larger than the API's payload limit goes to the uploads bucket directly: the api
// function (a real bootstrap under aws-lambda-rie) starts a multipart upload and presigns
// each part with its SHA-256; the uploader PUTs the parts to S3 (the emulator), never through
// the API; the api completes it and records the upload as the uploader's; the S3 event of the
// completed object, through the ingest queue, has the ingest function accept it. Another
// uploader cannot complete it, and nothing is recorded for them.
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
	post := func(tok, path string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	type part = map[string]any
	start := func(tok string, parts [][]byte) startedUpload {
		t.Helper()
		var req []part
		for _, p := range parts {
			req = append(req, part{"size": len(p), "sha256": hexSHA256(p)})
		}
		code, out := post(tok, "/v1/uploads", map[string]any{"parts": req})
		var su startedUpload
		if err := json.Unmarshal(out, &su); code != http.StatusCreated || err != nil || len(su.Parts) != len(parts) {
			t.Fatalf("POST /v1/uploads = %d %s, want 201 and %d presigned parts", code, out, len(parts))
		}
		return su
	}
	// putParts PUTs each part to its presigned URL with the headers it names, as curl or a
	// browser would, and returns the completion request.
	putParts := func(su startedUpload, parts [][]byte) map[string]any {
		t.Helper()
		var done []part
		for i, p := range su.Parts {
			if !strings.HasPrefix(p.URL, w.URL+"/") {
				t.Fatalf("part %d goes to %s, want the S3 endpoint %s", i+1, p.URL, w.URL)
			}
			// The part's SHA-256 is a signed header of its URL: S3 refuses other bytes (moto
			// 5.2.1 does not check part checksums; S3 does).
			sum := sha256.Sum256(parts[i])
			u, err := url.Parse(p.URL)
			if err != nil || p.Number != int32(i+1) || u.Query().Get("partNumber") != strconv.Itoa(i+1) ||
				!slices.Contains(strings.Split(u.Query().Get("X-Amz-SignedHeaders"), ";"), "x-amz-checksum-sha256") ||
				p.Headers["x-amz-checksum-sha256"] != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("part %d: URL %s with headers %v does not sign the part's SHA-256 for its number", i+1, p.URL, p.Headers)
			}
			req, _ := http.NewRequest(http.MethodPut, p.URL, bytes.NewReader(parts[i]))
			for k, v := range p.Headers {
				req.Header.Set(k, v)
			}
			req.ContentLength = int64(len(parts[i]))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
				t.Fatalf("PUT part %d = %s %s, want 200 with an ETag", i+1, resp.Status, body)
			}
			done = append(done, part{"number": p.Number, "etag": resp.Header.Get("ETag"), "sha256": hexSHA256(parts[i])})
		}
		return map[string]any{"upload_id": su.UploadID, "parts": done}
	}

	// A bag of 6 MiB and more: two parts, the first of S3's 5 MiB minimum.
	big := make([]byte, 6<<20)
	rand.Read(big)
	bag := fntest.BagOf(t, map[string][]byte{"intercept.wav": big, "note.txt": []byte("intercept 2026/77\n")}, "nl-om")
	parts := [][]byte{bag[:5<<20], bag[5<<20:]}

	w.take()
	su := start("tok-inspector-1", parts)
	if calls := w.take(); len(calls) != 1 || calls[0] != "S3 CreateMultipartUpload" {
		t.Errorf("POST /v1/uploads made %q, want one S3 CreateMultipartUpload", calls)
	}
	complete := putParts(su, parts)
	if calls := w.take(); len(calls) != 2 || calls[0] != "S3 UploadPart" || calls[1] != "S3 UploadPart" {
		t.Errorf("the uploader's PUTs made %q, want two S3 UploadPart straight to S3", calls)
	}

	// Another uploader's completion of a second upload of inspector-1 is refused.
	small := [][]byte{fntest.Bag(t, "nl-om")}
	other := start("tok-inspector-1", small)
	if code, out := post("tok-inspector-2", "/v1/uploads/"+other.Upload+"/complete", putParts(other, small)); code != http.StatusNotFound {
		t.Errorf("inspector-2 completing inspector-1's upload = %d %s, want 404", code, out)
	}

	code, out := post("tok-inspector-1", "/v1/uploads/"+su.Upload+"/complete", complete)
	var completed struct {
		Bundle string `json:"bundle"`
	}
	if err := json.Unmarshal(out, &completed); code != http.StatusCreated || err != nil || completed.Bundle == "" {
		t.Fatalf("complete = %d %s, want 201 and the bundle", code, out)
	}
	env, err := awsenv.Open(ctx, st.cfg, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.State.Upload(ctx, completed.Bundle)
	if err != nil || u.Uploader != st.cfg.Agency+"/inspector-1" || u.State != pipeline.UploadReceived {
		t.Fatalf("upload %s = %+v, %v; want received from %s/inspector-1 (a person of the stack's agency)", completed.Bundle, u, err, st.cfg.Agency)
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
