package local

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/custody"
)

// releaseFolders are data folders written by earlier releases of evx (by `evx demo`), each
// with the schema version it was written at; see testdata/README.md.
var releaseFolders = []struct {
	dir    string
	schema int
	bundle string
	events int
}{
	{"release-unversioned", 0, "80dd0331a4618d06b84114aa7ac41ae69dc2dd3f9e14569c9830087c68437f73", 23},
	{"release-v1", 1, "baa6a05475c73670238de188041b9a2ec0ae2fd04f358f070108e2793f9a6235", 26},
}

// copyFolder copies a checked-in data folder to a temporary one with the modes evx gives its
// own (git keeps neither 0700 folders nor a 0600 key).
func copyFolder(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestOpensEarlierReleases opens each data folder an earlier release wrote: it is migrated to
// the current schema, and what it holds reads as before: the bundle's status and deliveries,
// its documents, and a custody trail that verifies with the folder's key, extended by a new
// event.
func TestOpensEarlierReleases(t *testing.T) {
	ctx := context.Background()
	for _, rf := range releaseFolders {
		t.Run(rf.dir, func(t *testing.T) {
			dir := copyFolder(t, filepath.Join("testdata", rf.dir))
			n, err := OpenNode(ctx, dir, NodeOptions{Directory: filepath.Join("..", "..", "..", "infra", "counterparts.yaml")})
			if err != nil {
				t.Fatalf("OpenNode(%s) = %v", rf.dir, err)
			}
			defer n.Close()
			if n.SchemaFrom != rf.schema {
				t.Errorf("SchemaFrom = %d, want %d", n.SchemaFrom, rf.schema)
			}
			if v, err := sqlitedb.Version(ctx, n.DB); err != nil || v != sqlitedb.SchemaVersion {
				t.Errorf("schema version after opening = %d, %v, want %d", v, err, sqlitedb.SchemaVersion)
			}
			if _, err := n.Service.Resume(ctx); err != nil {
				t.Fatalf("Resume = %v", err)
			}
			st, err := n.Service.BundleStatus(ctx, rf.bundle)
			if err != nil {
				t.Fatal(err)
			}
			if st.Ingest == nil || !st.Ingest.Accepted || len(st.Deliveries) != 2 {
				t.Fatalf("status = %+v, want accepted with 2 deliveries", st)
			}
			for _, d := range st.Ingest.Documents {
				rc, err := n.Blobs.Open(ctx, d.SHA256)
				if err != nil {
					t.Fatalf("document %s: %v", d.Name, err)
				}
				rc.Close()
			}
			tr, err := n.Service.Export(ctx, rf.bundle, custody.ExportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Events) != rf.events {
				t.Errorf("trail has %d events, want %d", len(tr.Events), rf.events)
			}
			if _, err := custody.Verify(tr, n.Signer.Public(), custody.VerifyOptions{}); err != nil {
				t.Errorf("Verify(trail of %s) = %v", rf.dir, err)
			}
			// The log goes on: a new event appends to the same chain and log.
			k := custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: DefaultOrigin}
			if _, err := k.Record(ctx, rf.bundle, custody.FixityCheck, custody.Actor{Kind: custody.ActorSystem, ID: "audit"}, custody.Details{}); err != nil {
				t.Fatalf("Record after migration = %v", err)
			}
			tr2, err := k.Export(ctx, rf.bundle, custody.ExportOptions{ConsistencyFrom: uint64(tr.Events[len(tr.Events)-1].Leaf + 1)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := custody.Verify(tr2, n.Signer.Public(), custody.VerifyOptions{}); err != nil || len(tr2.Events) != rf.events+1 {
				t.Errorf("trail after a new event: %d events, Verify = %v", len(tr2.Events), err)
			}
		})
	}
}

// TestOpenNodeRefusesNewerSchema: a data folder of a later release is refused, untouched.
func TestOpenNodeRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := copyFolder(t, filepath.Join("testdata", releaseFolders[0].dir))
	db, err := sql.Open("sqlite", filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = OpenNode(ctx, dir, NodeOptions{Directory: filepath.Join("..", "..", "..", "infra", "counterparts.yaml")})
	var ne *sqlitedb.NewerSchemaError
	if !errors.As(err, &ne) || ne.Found != 99 {
		t.Fatalf("OpenNode(schema 99) = %v, want *sqlitedb.NewerSchemaError", err)
	}
}
