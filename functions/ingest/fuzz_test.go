package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// FuzzMessage feeds arbitrary message bodies (S3 events, resume, chunk and finish messages) to
// a handler that fans out: none panics, and none that names no upload is ingested.
func FuzzMessage(f *testing.F) {
	for _, s := range []string{
		`{"resume":"s3-0000000000000000000000000000000000000000"}`,
		`{"finish":"s3-0000000000000000000000000000000000000000"}`,
		`{"chunk":{"bundle":"s3-0000000000000000000000000000000000000000","chunk":0,"of":2,"first":0,"last":9},"attempt":0}`,
		`{"chunk":{"bundle":"../x","chunk":1,"of":1,"first":-4,"last":2}}`,
		`{"chunk":null}`, `{"chunk":{}}`, `{"chunk":[]}`, `{"attempt":-1,"chunk":{"of":1}}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"incoming/x.zip"}}}`,
		`not json`, `{}`, `null`,
	} {
		f.Add(s)
	}
	h, _ := fanHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		res, err := h.Message(ctx, json.RawMessage(body))
		if err == nil && res != nil && res.Accepted {
			t.Errorf("Message(%q) accepted a bundle no upload names", body)
		}
	})
}
