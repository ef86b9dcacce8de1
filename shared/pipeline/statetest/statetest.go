// Package statetest is the conformance suite of the pipeline's Uploads, Deliveries, Receipts
// and Submissions ports: every backend (SQLite here, DynamoDB on AWS) runs it.
package statetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// RunUploads checks an Uploads backend; newUploads returns an empty one.
func RunUploads(t *testing.T, newUploads func(t *testing.T) pipeline.Uploads) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	t.Run("add-is-insert-once", func(t *testing.T) {
		u := newUploads(t)
		a := pipeline.Upload{BundleID: "b1", Uploader: "alice", Size: 10, State: pipeline.UploadReceived, Received: t0}
		got, err := u.AddUpload(ctx, a)
		if err != nil || got != a {
			t.Fatalf("AddUpload = %+v, %v; want %+v", got, err, a)
		}
		if err := u.SetUploadState(ctx, "b1", pipeline.UploadAccepted); err != nil {
			t.Fatal(err)
		}
		again := a
		again.Uploader, again.Received = "bob", t0.Add(time.Hour)
		got, err = u.AddUpload(ctx, again)
		if err != nil || got.Uploader != "alice" || got.State != pipeline.UploadAccepted || !got.Received.Equal(t0) {
			t.Fatalf("AddUpload(again) = %+v, %v; want the first record in state accepted", got, err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		u := newUploads(t)
		if _, err := u.Upload(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("Upload(unknown) = %v, want ErrNotFound", err)
		}
		if err := u.SetUploadState(ctx, "nope", pipeline.UploadRouted); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("SetUploadState(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("pending-oldest-first", func(t *testing.T) {
		u := newUploads(t)
		states := []pipeline.UploadState{pipeline.UploadRouted, pipeline.UploadReceived, pipeline.UploadRejected, pipeline.UploadAccepted}
		for i, s := range states {
			id := string(rune('a' + i))
			if _, err := u.AddUpload(ctx, pipeline.Upload{BundleID: id, State: pipeline.UploadReceived, Received: t0.Add(-time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := u.SetUploadState(ctx, id, s); err != nil {
				t.Fatal(err)
			}
		}
		p, err := u.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range p {
			ids = append(ids, x.BundleID)
		}
		if len(ids) != 2 || ids[0] != "d" || ids[1] != "b" {
			t.Errorf("Pending = %v, want [d b] (accepted and received, oldest first)", ids)
		}
	})
}

// RunDeliveries checks a Deliveries backend; newDeliveries returns an empty one.
func RunDeliveries(t *testing.T, newDeliveries func(t *testing.T) pipeline.Deliveries) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	mk := func(id, cp string, created time.Time) pipeline.Delivery {
		return pipeline.Delivery{ID: id, BundleID: "b-" + id, Counterpart: cp, Created: created, Deadline: created.Add(time.Hour), State: pipeline.DeliveryConsigned}
	}
	t.Run("add-is-insert-once", func(t *testing.T) {
		s := newDeliveries(t)
		d := mk("d1", "nl-om", t0)
		if got, err := s.AddDelivery(ctx, d); err != nil || !same(got, d) {
			t.Fatalf("AddDelivery = %+v, %v; want %+v", got, err, d)
		}
		later := mk("d1", "nl-om", t0.Add(24*time.Hour))
		if got, err := s.AddDelivery(ctx, later); err != nil || !same(got, d) {
			t.Fatalf("AddDelivery(again) = %+v, %v; want the first %+v", got, err, d)
		}
		if _, err := s.Delivery(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("Delivery(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("handling-code-kept", func(t *testing.T) {
		s := newDeliveries(t)
		for _, h := range []string{"H2", pipeline.HandlingNone, ""} {
			d := mk("d-"+h, "nl-om", t0)
			d.Handling = h
			if _, err := s.AddDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Delivery(ctx, d.ID); err != nil || got.Handling != h {
				t.Errorf("Delivery(%s).Handling = %q, %v; want %q", d.ID, got.Handling, err, h)
			}
		}
		ds, err := s.ListDeliveries(ctx, "nl-om")
		if err != nil || len(ds) != 3 {
			t.Fatalf("ListDeliveries = %+v, %v", ds, err)
		}
		for _, d := range ds {
			if want := strings.TrimPrefix(d.ID, "d-"); d.Handling != want {
				t.Errorf("listed %s has handling %q, want %q", d.ID, d.Handling, want)
			}
		}
	})
	t.Run("list-by-counterpart-oldest-first", func(t *testing.T) {
		s := newDeliveries(t)
		for _, d := range []pipeline.Delivery{mk("d2", "nl-om", t0.Add(time.Minute)), mk("d1", "nl-om", t0), mk("d3", "es-fge", t0)} {
			if _, err := s.AddDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := s.ListDeliveries(ctx, "nl-om")
		if err != nil || len(ds) != 2 || ds[0].ID != "d1" || ds[1].ID != "d2" {
			t.Errorf("ListDeliveries(nl-om) = %+v, %v; want d1, d2", ds, err)
		}
		if ds, _ := s.ListDeliveries(ctx, "nl"); len(ds) != 0 {
			t.Errorf("ListDeliveries(prefix) = %+v, want none", ds)
		}
	})
	t.Run("conditional-state-and-due", func(t *testing.T) {
		s := newDeliveries(t)
		for _, d := range []pipeline.Delivery{mk("d1", "nl-om", t0), mk("d2", "nl-om", t0), mk("d3", "es-fge", t0.Add(2*time.Hour))} {
			if _, err := s.AddDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetDeliveryState(ctx, "d1", pipeline.DeliveryConsigned, pipeline.DeliveryAccepted); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDeliveryState(ctx, "d1", pipeline.DeliveryConsigned, pipeline.DeliveryExpired); !errors.Is(err, pipeline.ErrStateConflict) {
			t.Errorf("second transition = %v, want ErrStateConflict", err)
		}
		if err := s.SetDeliveryState(ctx, "nope", pipeline.DeliveryConsigned, pipeline.DeliveryExpired); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("transition of unknown = %v, want ErrNotFound", err)
		}
		due, err := s.Due(ctx, t0.Add(90*time.Minute))
		if err != nil || len(due) != 1 || due[0].ID != "d2" {
			t.Errorf("Due = %+v, %v; want only d2 (d1 answered, d3 not yet due)", due, err)
		}
	})
}

func same(a, b pipeline.Delivery) bool {
	return a.ID == b.ID && a.BundleID == b.BundleID && a.Counterpart == b.Counterpart && a.Created.Equal(b.Created) &&
		a.Deadline.Equal(b.Deadline) && a.State == b.State
}

// RunReceipts checks a Receipts backend; newReceipts returns an empty one.
func RunReceipts(t *testing.T, newReceipts func(t *testing.T) pipeline.Receipts) {
	ctx := context.Background()
	t.Run("first-write-wins", func(t *testing.T) {
		r := newReceipts(t)
		if _, err := r.Receipt(ctx, "d1"); !errors.Is(err, pipeline.ErrNotFound) {
			t.Fatalf("Receipt(none stored) = %v, want ErrNotFound", err)
		}
		got, err := r.PutReceipt(ctx, "d1", []byte(`{"n":1}`))
		if err != nil || string(got) != `{"n":1}` {
			t.Fatalf("PutReceipt = %q, %v; want the bytes put", got, err)
		}
		got, err = r.PutReceipt(ctx, "d1", []byte(`{"n":2}`))
		if err != nil || string(got) != `{"n":1}` {
			t.Fatalf("PutReceipt(again) = %q, %v; want the first bytes", got, err)
		}
		if got, err := r.Receipt(ctx, "d1"); err != nil || string(got) != `{"n":1}` {
			t.Fatalf("Receipt = %q, %v; want the first bytes", got, err)
		}
		if _, err := r.Receipt(ctx, "d2"); !errors.Is(err, pipeline.ErrNotFound) {
			t.Fatalf("Receipt(other delivery) = %v, want ErrNotFound", err)
		}
	})
	t.Run("large", func(t *testing.T) {
		// 1 MiB: a receipt listing thousands of documents, past DynamoDB's 400 KB item.
		r := newReceipts(t)
		big := make([]byte, 1<<20)
		for i := range big {
			big[i] = byte(i * 7 % 251)
		}
		if got, err := r.PutReceipt(ctx, "d1", big); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("PutReceipt(1 MiB) = %d bytes, %v; want the bytes put", len(got), err)
		}
		if got, err := r.PutReceipt(ctx, "d1", []byte("other")); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("PutReceipt(again) = %d bytes, %v; want the first receipt", len(got), err)
		}
		if got, err := r.Receipt(ctx, "d1"); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("Receipt = %d bytes, %v; want the 1 MiB put", len(got), err)
		}
	})
	t.Run("concurrent-writers-agree", func(t *testing.T) {
		r := newReceipts(t)
		const n = 8
		got := make([]string, n)
		errs := make([]error, n)
		done := make(chan int)
		for i := range n {
			go func() {
				b, err := r.PutReceipt(ctx, "d", []byte{'a' + byte(i)})
				got[i], errs[i] = string(b), err
				done <- i
			}()
		}
		for range n {
			<-done
		}
		for i := range n {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("writer %d got %q, %v; writer 0 got %q: want one winner for all", i, got[i], errs[i], got[0])
			}
		}
	})
}

// RunSubmissions checks a Submissions backend; newSubmissions returns an empty one.
func RunSubmissions(t *testing.T, newSubmissions func(t *testing.T) pipeline.Submissions) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := newSubmissions(t)
	a := pipeline.Submission{BundleID: "b1", Uploader: "alice", Size: 10, Received: t0}
	if got, err := s.AddSubmission(ctx, a); err != nil || got != a {
		t.Fatalf("AddSubmission = %+v, %v; want %+v", got, err, a)
	}
	again := a
	again.Received = t0.Add(time.Hour)
	if got, err := s.AddSubmission(ctx, again); err != nil || !got.Received.Equal(t0) {
		t.Fatalf("AddSubmission(again) = %+v, %v; want the first record", got, err)
	}
	b := pipeline.Submission{BundleID: "b1", Uploader: "bob", Size: 10, Received: t0.Add(time.Minute)}
	if got, err := s.AddSubmission(ctx, b); err != nil || got != b {
		t.Fatalf("AddSubmission(another uploader) = %+v, %v; want %+v", got, err, b)
	}
	if got, err := s.Submission(ctx, "b1", "bob"); err != nil || got != b {
		t.Fatalf("Submission(b1, bob) = %+v, %v; want %+v", got, err, b)
	}
	for _, k := range [][2]string{{"b1", "carol"}, {"b2", "alice"}} {
		if _, err := s.Submission(ctx, k[0], k[1]); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("Submission(%s, %s) = %v, want ErrNotFound", k[0], k[1], err)
		}
	}
	// A bundle whose id is a prefix of b1's keeps its submissions apart.
	c := pipeline.Submission{BundleID: "b", Uploader: "carol", Size: 3, Received: t0}
	if _, err := s.AddSubmission(ctx, c); err != nil {
		t.Fatal(err)
	}
	all, err := s.BundleSubmissions(ctx, "b1")
	if err != nil {
		t.Fatalf("BundleSubmissions(b1): %v", err)
	}
	slices.SortFunc(all, func(x, y pipeline.Submission) int { return strings.Compare(x.Uploader, y.Uploader) })
	if len(all) != 2 || all[0] != a || all[1] != b {
		t.Errorf("BundleSubmissions(b1) = %+v, want %+v and %+v", all, a, b)
	}
	if all, err := s.BundleSubmissions(ctx, "b2"); err != nil || len(all) != 0 {
		t.Errorf("BundleSubmissions(unknown) = %+v, %v; want none", all, err)
	}
}
