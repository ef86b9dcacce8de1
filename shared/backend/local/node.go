package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/evx-project/evx/shared/backend/local/fileblob"
	"github.com/evx-project/evx/shared/backend/local/keyfile"
	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/backend/local/sqliteledger"
	"github.com/evx-project/evx/shared/backend/local/sqlitequeue"
	"github.com/evx-project/evx/shared/backend/local/sqlitesearch"
	"github.com/evx-project/evx/shared/backend/local/sqlitestate"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/multipart"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// DefaultDataDir is the data folder used when none is given.
const DefaultDataDir = ".evx"

// DataDirEnv names the environment variable that overrides DefaultDataDir.
const DataDirEnv = "EVX_DATA"

// DefaultOrigin names the embedded custody log in its checkpoints.
const DefaultOrigin = "evx.local/custody"

// Layout of the data folder.
const (
	DatabaseFile = "evx.db"      // ledger, queues, uploads and deliveries tables
	KeyFile      = "signing.key" // Ed25519 private key, PEM PKCS #8, mode 0600
	BlobsDir     = "blobs"       // content-addressed documents and extraction results
	UploadsDir   = "uploads"     // uploaded bags awaiting (or kept after) ingest
	PartsDir     = "parts"       // parts of resumable uploads not yet completed
)

// NodeOptions configure OpenNode; zero values mean the defaults.
type NodeOptions struct {
	// Directory is the counterpart directory file (YAML, see directory.Load); required unless
	// Counterparts is set.
	Directory string
	// Counterparts, if not nil, is used instead of loading Directory.
	Counterparts *directory.Directory
	// Origin names the custody log; DefaultOrigin when empty.
	Origin string
	// Clock stamps events, deadlines and queue times; time.Now when nil.
	Clock pipeline.Clock
	// ReceiptWindow: see pipeline.Config.
	ReceiptWindow time.Duration
	// Agency is the deployment's own agency: its uploaders answer requests for it, and its
	// request reminders go to request.HomeQueue. DefaultAgency when empty.
	Agency string
	// MaxUploadSize bounds one upload's bytes; 0 means no bound.
	MaxUploadSize int64
	// Resumable bounds resumable uploads (multipart.Limits; MaxSize defaults to
	// MaxUploadSize when that is set).
	Resumable multipart.Limits
	Log       *slog.Logger
	// OCR, when not nil, reads the images and scanned PDF pages of accepted bundles with
	// the engine, in the languages of the bundle's states unless OCR.Languages names some
	// (extract.RecordWith); nil: no OCR, such documents are recorded as needing it.
	OCR *extract.OCR
	// Retainer, when not nil, also locks the documents of bundles a preservation order covers
	// (pipeline.Config.Retainer). The data folder has no locks of its own: the recorded
	// retention refuses their disposal; the tests use it to see what AWS would lock.
	Retainer pipeline.Retainer
}

// Node is evx's embedded single-machine deployment: one data folder holding the blobs, the
// uploaded bags, the signing key and one SQLite database (custody ledger, queues, uploads and
// deliveries), and the pipeline service wired over them. Close releases the database.
type Node struct {
	Dir         string
	DB          *sql.DB
	Blobs       *fileblob.Store
	Ledger      *sqliteledger.Ledger
	Queue       *sqlitequeue.Queue
	Uploads     *sqlitestate.Uploads
	Parts       *sqlitestate.Parts // resumable uploads in progress
	Deliveries  *sqlitestate.Deliveries
	Receipts    *sqlitestate.Receipts
	Checkpoints *sqlitestate.Checkpoints
	Submissions *sqlitestate.Submissions
	Search      *sqlitesearch.Index
	Directory   *directory.Directory
	Signer      *keyfile.Signer
	// SchemaFrom is the schema version the database had when opened: below
	// sqlitedb.SchemaVersion when OpenNode migrated a data folder of an earlier release.
	SchemaFrom int
	// Service runs the use cases; everything above is its ports.
	Service *pipeline.Service
	// Requests records requests and runs their clocks, over the same ledger and queue.
	Requests *request.Desk
}

// DefaultAgency names the deployment's own agency when NodeOptions.Agency is empty.
const DefaultAgency = "home"

// DefaultMaxReceives is how often the node's queue hands a message out before moving it to
// the dead-letter queue.
const DefaultMaxReceives = 5

// DataDir returns the data folder to use: flag if not empty, else $EVX_DATA, else ".evx".
func DataDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(DataDirEnv); env != "" {
		return env
	}
	return DefaultDataDir
}

// OpenNode opens (creating on first run) the data folder dir: the folder itself with mode
// 0700, the signing key (created 0600 on first run; a key readable by others is refused with a
// *KeyPermissionError), the database, the blob store and the uploads folder, from which it
// removes what an interrupted write left behind. A database written by an earlier release is
// migrated to sqlitedb.SchemaVersion first (Node.SchemaFrom says from which), and one written
// by a later release is refused with a *sqlitedb.NewerSchemaError, the folder untouched. It
// does not resume pending work: call Service.Resume.
func OpenNode(ctx context.Context, dir string, opt NodeOptions) (n *Node, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	dirs := opt.Counterparts
	if dirs == nil {
		if opt.Directory == "" {
			return nil, errors.New("no counterpart directory given")
		}
		if dirs, err = directory.Load(opt.Directory); err != nil {
			return nil, err
		}
	}
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, DatabaseFile))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	from, err := sqlitedb.Migrate(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	if from < sqlitedb.SchemaVersion && opt.Log != nil {
		opt.Log.Info("data folder migrated", "dir", dir, "from", from, "to", sqlitedb.SchemaVersion)
	}
	n = &Node{Dir: dir, DB: db, Directory: dirs, SchemaFrom: from}
	if n.Blobs, err = fileblob.New(filepath.Join(dir, BlobsDir)); err != nil {
		return nil, err
	}
	if _, err = n.Blobs.RemoveTemp(); err != nil {
		return nil, err
	}
	if n.Ledger, err = sqliteledger.New(ctx, db); err != nil {
		return nil, err
	}
	// The state written for each upload (its record, state changes, deliveries, queue
	// messages, search rows) commits in shared transactions, as the ledger's appends do, and
	// every writer of the database takes turns through the group rather than through
	// SQLite's busy handler.
	group := sqlitedb.NewGroup(db)
	n.Ledger.Group = group
	// The signing key must be the one the ledger is signed with: a key created afresh for a
	// ledger of events (signing.key deleted or replaced) would leave every trail unverifiable.
	keyPath := filepath.Join(dir, KeyFile)
	want, used, err := ledgerKey(ctx, dir, n.Ledger)
	if err != nil {
		return nil, err
	}
	if _, serr := os.Stat(keyPath); used && errors.Is(serr, fs.ErrNotExist) {
		return nil, &KeyMismatchError{Path: keyPath, Ledger: want}
	}
	signer, err := keyfile.LoadOrCreate(keyPath)
	if err != nil {
		return nil, err
	}
	if used && signer.KeyID() != want {
		return nil, &KeyMismatchError{Path: keyPath, Ledger: want, Key: signer.KeyID()}
	}
	n.Signer = signer
	q, err := sqlitequeue.New(ctx, db, opt.Clock)
	if err != nil {
		return nil, err
	}
	q.Group = group
	n.Queue = q.WithDeadLetter(DefaultMaxReceives)
	if n.Uploads, err = sqlitestate.NewUploads(ctx, db, filepath.Join(dir, UploadsDir)); err != nil {
		return nil, err
	}
	n.Uploads.MaxSize = opt.MaxUploadSize
	n.Uploads.Group = group
	if _, err = n.Uploads.RemoveTemp(); err != nil {
		return nil, err
	}
	rl := opt.Resumable
	if rl.MaxSize <= 0 && opt.MaxUploadSize > 0 {
		rl.MaxSize = opt.MaxUploadSize
	}
	if n.Parts, err = sqlitestate.NewParts(ctx, db, filepath.Join(dir, PartsDir), rl, opt.Clock); err != nil {
		return nil, err
	}
	if n.Deliveries, err = sqlitestate.NewDeliveries(ctx, db); err != nil {
		return nil, err
	}
	n.Deliveries.Group = group
	if n.Receipts, err = sqlitestate.NewReceipts(ctx, db); err != nil {
		return nil, err
	}
	if n.Submissions, err = sqlitestate.NewSubmissions(ctx, db); err != nil {
		return nil, err
	}
	n.Submissions.Group = group
	if n.Checkpoints, err = sqlitestate.NewCheckpoints(ctx, db); err != nil {
		return nil, err
	}
	origin := opt.Origin
	if origin == "" {
		origin = DefaultOrigin
	}
	agency := opt.Agency
	if agency == "" {
		agency = DefaultAgency
	}
	n.Requests = &request.Desk{Ledger: n.Ledger, Signer: signer, Lister: n.Ledger, Queue: n.Queue, Home: agency, Clock: opt.Clock, Directory: dirs}
	n.Service, err = pipeline.New(pipeline.Config{
		Requests: request.Book{Desk: n.Requests},
		Blobs:    n.Blobs, Ledger: n.Ledger, Signer: signer, Queue: n.Queue, Directory: dirs,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Receipts: n.Receipts, Submissions: n.Submissions, Checkpoints: n.Checkpoints, Origin: origin,
		Intake: pipeline.BagIntake(extract.RecordWith(extract.DefaultLimits(), extract.RecordOptions{OCR: opt.OCR, States: pipeline.BundleStates}), bagit.Limits{}),
		Clock:  opt.Clock, ReceiptWindow: opt.ReceiptWindow, Log: opt.Log, Retainer: opt.Retainer,
	})
	if err != nil {
		return nil, err
	}
	if n.Search, err = sqlitesearch.New(ctx, db); err != nil {
		return nil, err
	}
	n.Search.Group = group
	n.Service.WithSearch(n.Search)
	return n, nil
}

// KeyMismatchError: the data folder's signing key is not the key its ledger is signed with
// (Key empty: the key file is missing). evx refuses to start rather than sign new events with
// a key no old trail verifies with.
type KeyMismatchError struct {
	Path   string
	Ledger string // key id of the ledger's latest event
	Key    string // key id of the key file; "" when it is missing
}

func (e *KeyMismatchError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("signing key %s is missing, but the ledger holds events signed by %s: restore the key file from a backup (a new key would leave every existing trail unverifiable)", e.Path, e.Ledger)
	}
	return fmt.Sprintf("signing key %s is %s, but the ledger's latest event is signed by %s: restore the right key file (a different key would leave every existing trail unverifiable)", e.Path, e.Key, e.Ledger)
}

// Reindex adds to the search index every accepted bundle it lacks (bundles accepted before
// the index existed, or whose indexing failed), and returns how many.
func (n *Node) Reindex(ctx context.Context) (int, error) {
	ups, err := n.Uploads.Accepted(ctx)
	if err != nil {
		return 0, err
	}
	return n.Service.Reindex(ctx, ups)
}

// Close closes the database.
func (n *Node) Close() error { return n.DB.Close() }
