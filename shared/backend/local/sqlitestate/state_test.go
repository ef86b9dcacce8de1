package sqlitestate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

func TestSpool(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	u, err := NewUploads(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	// echo -n 'bag bytes' | sha256sum
	const want = "6c35828de3156baab029de244be27f570c1adfd11c9c1aa0f6a105a51725dc5b"
	id1, size, err := u.Spool(ctx, strings.NewReader("bag bytes"))
	if err != nil || size != 9 || !pipeline.ValidSum(id1) {
		t.Fatalf("Spool = %s, %d, %v", id1, size, err)
	}
	if id1 != want {
		t.Errorf("Spool id %s, want %s", id1, want)
	}
	id2, _, err := u.Spool(ctx, strings.NewReader("bag bytes"))
	if err != nil || id2 != id1 {
		t.Fatalf("Spool(same bytes) = %s, %v; want %s", id2, err, id1)
	}
	u.MaxSize = 4
	if _, _, err := u.Spool(ctx, bytes.NewReader(make([]byte, 5))); !errors.As(err, new(*UploadTooLargeError)) {
		t.Errorf("Spool(too large) = %v, want *UploadTooLargeError", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("uploads folder holds %d files, want 1 (no leftovers)", len(ents))
	}
	up, err := u.AddUpload(ctx, pipeline.Upload{BundleID: id1, Uploader: "a", Size: 9, State: pipeline.UploadReceived, Received: time.Unix(1, 0)})
	if err != nil || up.State != pipeline.UploadReceived {
		t.Fatal(up, err)
	}
	if err := u.SetUploadState(ctx, id1, pipeline.UploadRouted); err != nil {
		t.Fatal(err)
	}
	up, err = u.AddUpload(ctx, pipeline.Upload{BundleID: id1, Uploader: "b", State: pipeline.UploadReceived, Received: time.Unix(2, 0)})
	if err != nil || up.State != pipeline.UploadRouted || up.Uploader != "a" {
		t.Errorf("AddUpload(again) = %+v, %v; want the first record, routed", up, err)
	}
	if p, _ := u.Pending(ctx); len(p) != 0 {
		t.Errorf("Pending = %d, want 0", len(p))
	}
	if _, err := u.Upload(ctx, strings.Repeat("0", 64)); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Upload(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := u.OpenBag(ctx, "../../etc/passwd", bagit.Limits{}); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("OpenBag(path) = %v, want ErrNotFound", err)
	}
}

func TestDeliveriesStateConditional(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := NewDeliveries(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := pipeline.Delivery{ID: "d-1", BundleID: "b", Counterpart: "nl-om", Created: t0, Deadline: t0.Add(time.Hour), State: pipeline.DeliveryConsigned}
	if got, err := s.AddDelivery(ctx, d); err != nil || got != d {
		t.Fatalf("AddDelivery = %+v, %v; want %+v", got, err, d)
	}
	later := d
	later.Deadline = t0.Add(48 * time.Hour)
	if got, _ := s.AddDelivery(ctx, later); got.Deadline != d.Deadline {
		t.Errorf("AddDelivery(again) deadline %v, want the first %v", got.Deadline, d.Deadline)
	}
	if due, _ := s.Due(ctx, t0.Add(30*time.Minute)); len(due) != 0 {
		t.Errorf("Due before the deadline = %d, want 0", len(due))
	}
	if due, _ := s.Due(ctx, t0.Add(2*time.Hour)); len(due) != 1 {
		t.Errorf("Due after the deadline = %d, want 1", len(due))
	}
	if err := s.SetDeliveryState(ctx, "d-1", pipeline.DeliveryConsigned, pipeline.DeliveryAccepted); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDeliveryState(ctx, "d-1", pipeline.DeliveryConsigned, pipeline.DeliveryExpired); !errors.Is(err, pipeline.ErrStateConflict) {
		t.Errorf("second transition = %v, want ErrStateConflict", err)
	}
	if err := s.SetDeliveryState(ctx, "nope", pipeline.DeliveryConsigned, pipeline.DeliveryExpired); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("transition of unknown = %v, want ErrNotFound", err)
	}
	if ds, _ := s.ListDeliveries(ctx, "es-fge"); len(ds) != 0 {
		t.Errorf("ListDeliveries(other counterpart) = %d, want 0", len(ds))
	}
}

func TestUploadsConformance(t *testing.T) {
	statetest.RunUploads(t, func(t *testing.T) pipeline.Uploads {
		u, err := NewUploads(context.Background(), openTestDB(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return u
	})
}

func TestDeliveriesConformance(t *testing.T) {
	statetest.RunDeliveries(t, func(t *testing.T) pipeline.Deliveries {
		d, err := NewDeliveries(context.Background(), openTestDB(t))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func openTestDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "evx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
