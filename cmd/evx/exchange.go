package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// exchange is what upload, pull, trail and report need of evx: a server (--server, through
// package client) or a data folder opened in-process (--data).
type exchange interface {
	upload(ctx context.Context, r io.Reader, size int64) (*pipeline.Status, error)
	deliveries(ctx context.Context) ([]pipeline.Delivery, error)
	manifest(ctx context.Context, delivery string) (*pipeline.Manifest, error)
	// document fetches a document from byte offset on (Document.Offset says where the body
	// starts: the offset, or 0 when the whole document comes).
	document(ctx context.Context, delivery, name string, offset int64) (*client.Document, error)
	postReceipt(ctx context.Context, delivery string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error)
	// storedReceipt fetches the signed receipt of a delivery already answered.
	storedReceipt(ctx context.Context, delivery string) (*pipeline.Receipt, error)
	trail(ctx context.Context, bundle string, opt custody.ExportOptions) ([]byte, error) // evx-custody-trail/1 JSON
	publicKey(ctx context.Context) ([]byte, error)                                       // PEM
	close() error
}

// defaultDirectory is the --directory default of the commands that open a data folder: none,
// so that resolveDirectory looks at $EVX_DIRECTORY and then the data folder.
const defaultDirectory = ""

// DirectoryEnv names the environment variable that gives the counterpart directory.
const DirectoryEnv = "EVX_DIRECTORY"

// directoryInData is the counterpart directory's name inside a data folder.
const directoryInData = "counterparts.yaml"

// resolveDirectory is the counterpart directory file: flag, else $EVX_DIRECTORY, else
// DATA/counterparts.yaml. Nothing defaults to a path of the evx sources.
func resolveDirectory(flag, dataDir string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(DirectoryEnv); env != "" {
		return env
	}
	return filepath.Join(dataDir, directoryInData)
}

// openNode opens the embedded node like local.OpenNode, with the counterpart directory of
// resolveDirectory, and when that file is missing says how to name one.
func openNode(ctx context.Context, dataDir string, opt local.NodeOptions) (*local.Node, error) {
	if opt.Counterparts == nil {
		given := opt.Directory != ""
		opt.Directory = resolveDirectory(opt.Directory, dataDir)
		if _, err := os.Stat(opt.Directory); errors.Is(err, fs.ErrNotExist) {
			if given {
				return nil, fmt.Errorf("counterpart directory %s not found: name one with --directory FILE", opt.Directory)
			}
			return nil, fmt.Errorf("no counterpart directory: name one with --directory FILE or $%s, or put it in the data folder as %s (the evx sources have a sample, infra/counterparts.yaml)", DirectoryEnv, opt.Directory)
		}
	}
	return local.OpenNode(ctx, dataDir, opt)
}

// Environment variables of the exchange flags.
const (
	ServerEnv    = "EVX_SERVER"
	TokenEnv     = "EVX_TOKEN"
	TokenFileEnv = "EVX_TOKEN_FILE"
	ProfileEnv   = "EVX_PROFILE"
)

// exchangeFlags are the flags that choose the exchange. Each setting comes from its flag,
// else its environment variable, else the configuration file's profile.
type exchangeFlags struct {
	server, token, tokenFile, data, directory, counterpart, uploader, profile string
	// reader is who reads, for a legal read of a data folder ("AGENCY/PERSON" or "PERSON").
	reader string
	// agency is the deployment's own agency for a data folder opened in-process (evx serve's
	// --agency); the default agency when empty.
	agency string
}

func (f *exchangeFlags) register(fs *flag.FlagSet, role string) {
	fs.StringVar(&f.server, "server", "", "evx server URL, e.g. https://evx.example.org (default $"+ServerEnv+")")
	fs.StringVar(&f.token, "token", "", "bearer token for --server (default $"+TokenEnv+"); prefer --token-file, which ps and shell history do not see")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token, mode 0600 (default $"+TokenFileEnv+")")
	fs.StringVar(&f.data, "data", "", "data folder to work on in-process instead of a server (default $"+local.DataDirEnv+")")
	fs.StringVar(&f.directory, "directory", defaultDirectory, "counterpart directory, with --data (default $"+DirectoryEnv+", else DATA/"+directoryInData+")")
	fs.StringVar(&f.profile, "profile", "", "profile of the configuration file to use (default $"+ProfileEnv+", else [default])")
	switch role {
	case "counterpart":
		fs.StringVar(&f.counterpart, "counterpart", "", "your counterpart id, with --data")
	case "uploader":
		fs.StringVar(&f.uploader, "uploader", "", "your name as the uploader, with --data (default $USER)")
	case "legal":
		fs.StringVar(&f.reader, "reader", "", "your name (`AGENCY/PERSON` or PERSON), recorded as the reader of what you read, with --data (default $USER)")
	}
}

// exchangeSettings are the exchange flags resolved against the environment and the file.
type exchangeSettings struct {
	server, token, data, directory, counterpart, uploader string
}

// setting is one value and the level it came from: 3 a flag, 2 the environment, 1 the file.
type setting struct {
	value string
	level int
	from  string // how to name it in a message: "--server", "$EVX_SERVER", "profile [x] of FILE"
}

func pick(flagValue, flagName, env string, prof profile, key, profFrom string) setting {
	switch {
	case flagValue != "":
		return setting{flagValue, 3, flagName}
	case env != "" && os.Getenv(env) != "":
		return setting{os.Getenv(env), 2, "$" + env}
	case prof[key] != "":
		return setting{prof[key], 1, profFrom}
	}
	return setting{}
}

// usageError is an error in how evx was called (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// resolve applies flags over environment over configuration file. Using both a server and a
// data folder at the same level is an error, as is using neither: evx never falls back to a
// data folder of its own choosing.
func (f *exchangeFlags) resolve() (*exchangeSettings, error) {
	name := f.profile
	if name == "" {
		name = os.Getenv(ProfileEnv)
	}
	prof, path, err := loadProfile(name)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	profFrom := fmt.Sprintf("profile [%s] of %s", or(name, "default"), path)
	server := pick(f.server, "--server", ServerEnv, prof, "server", profFrom)
	data := pick(f.data, "--data", local.DataDirEnv, prof, "data", profFrom)
	switch {
	case server.value == "" && data.value == "":
		return nil, &usageError{"say which evx to use: --server URL (or $" + ServerEnv + ") for an evx server, or --data DIR (or $" + local.DataDirEnv + ") to work on a data folder directly"}
	case server.value != "" && data.value != "" && server.level == data.level && server.level == 1:
		return nil, &usageError{fmt.Sprintf("%s sets both server and data: use a server or a data folder, not both", profFrom)}
	case server.value != "" && data.value != "" && server.level == data.level:
		return nil, &usageError{fmt.Sprintf("both %s and %s are given: use a server or a data folder, not both", server.from, data.from)}
	case server.level > data.level:
		data = setting{}
	default:
		server = setting{}
	}
	s := &exchangeSettings{server: server.value, data: data.value}
	s.directory = pick(f.directory, "--directory", DirectoryEnv, prof, "directory", profFrom).value
	s.counterpart = pick(f.counterpart, "--counterpart", "", prof, "counterpart", profFrom).value
	s.uploader = pick(f.uploader, "--uploader", "", prof, "uploader", profFrom).value
	if s.server == "" {
		return s, nil
	}
	if f.token != "" && f.tokenFile != "" {
		return nil, &usageError{"give --token or --token-file, not both"}
	}
	switch {
	case f.token != "":
		s.token = f.token
	case f.tokenFile != "":
		s.token, err = readTokenFile(f.tokenFile)
	case os.Getenv(TokenEnv) != "":
		s.token = os.Getenv(TokenEnv)
	case os.Getenv(TokenFileEnv) != "":
		s.token, err = readTokenFile(os.Getenv(TokenFileEnv))
	case prof["token-file"] != "":
		s.token, err = readTokenFile(prof["token-file"])
	default:
		return nil, &usageError{"--server needs a token: --token-file FILE (or $" + TokenFileEnv + "), or --token T (or $" + TokenEnv + ")"}
	}
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return s, nil
}

// open resolves the settings and opens the exchange. Its errors are usage errors or a data
// folder that cannot be opened (exit 2). A token about to cross the network in the clear is
// warned about on stderr.
func (f *exchangeFlags) open(ctx context.Context, stderr io.Writer) (exchange, error) {
	s, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if s.server != "" {
		c, err := client.New(s.server, client.WithToken(s.token))
		if err != nil {
			return nil, &usageError{fmt.Sprintf("--server: %v", err)}
		}
		if c.Insecure() {
			fmt.Fprintf(stderr, "evx: warning: the token is sent to %s over plain HTTP: anyone on the network path can read and reuse it; use https:// (a loopback address is exempt)\n", c.URL())
		}
		return &remoteExchange{c: c}, nil
	}
	n, err := openNode(ctx, s.data, local.NodeOptions{Directory: s.directory, Agency: f.agency})
	if err != nil {
		return nil, err
	}
	who := s.uploader
	if who == "" {
		who = os.Getenv("USER")
	}
	reader := f.reader
	if reader == "" {
		reader = os.Getenv("USER")
	}
	return &localExchange{n: n, counterpart: s.counterpart, uploader: who, reader: reader}, nil
}

// localExchange works on a data folder in-process, as `evx serve` would.
type localExchange struct {
	n           *local.Node
	counterpart string
	uploader    string
	// reader and legalRead: a trail exported while legalRead is set ("trail", "report") is a
	// read by legal staff of the data folder, recorded as the server records one
	// (pipeline.RecordRead, a LegalAccess event on reads:BUNDLE) before it is exported.
	reader, legalRead string
}

// recordReads makes the trails x exports from now on legal reads of what ("" for none):
// recorded on a data folder, as on the server, which records every legal read itself.
func recordReads(x exchange, what string) {
	if l, ok := x.(*localExchange); ok {
		l.legalRead = what
	}
}

func (l *localExchange) close() error { return l.n.Close() }

func (l *localExchange) upload(ctx context.Context, r io.Reader, size int64) (*pipeline.Status, error) {
	id, size, err := l.n.Uploads.Spool(ctx, r)
	if err != nil {
		return nil, err
	}
	if _, err := l.n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: l.uploader, Size: size}); err != nil {
		return nil, err
	}
	return l.n.Service.Process(ctx, id)
}

func (l *localExchange) deliveries(ctx context.Context) ([]pipeline.Delivery, error) {
	if l.counterpart == "" {
		return nil, errors.New("--data needs --counterpart")
	}
	return l.n.Service.ListDeliveries(ctx, l.counterpart)
}

func (l *localExchange) manifest(ctx context.Context, id string) (*pipeline.Manifest, error) {
	return l.n.Service.Manifest(ctx, l.counterpart, id)
}

func (l *localExchange) document(ctx context.Context, id, name string, offset int64) (*client.Document, error) {
	rc, doc, err := l.n.Service.FetchDocument(ctx, l.counterpart, id, name)
	if err != nil {
		return nil, err
	}
	d := &client.Document{Body: storedBytes{rc}, Size: doc.Size, SHA256: doc.SHA256}
	if offset > 0 && offset < doc.Size {
		// Read (and so checked by the store) all the same, not copied.
		if _, err := io.CopyN(io.Discard, d.Body, offset); err != nil {
			rc.Close()
			return nil, err
		}
		d.Size, d.Offset = doc.Size-offset, offset
	}
	return d, nil
}

// storedBytes reads a document from the data folder as it is stored: the pipeline's verdict
// that the bytes no longer match the record (it records that itself) ends the read like the
// end of the bytes, so that the pull's own hash check reports the mismatch.
type storedBytes struct{ io.ReadCloser }

func (s storedBytes) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	var dm *pipeline.DigestMismatchError
	var sm *pipeline.SizeMismatchError
	if errors.As(err, &dm) || errors.As(err, &sm) {
		err = io.EOF
	}
	return n, err
}

// errNoStoredReceipts: this pipeline keeps no signed receipts to hand out again.
var errNoStoredReceipts = errors.New("this evx's pipeline keeps no signed receipts to fetch again")

// receiptKeeper is a pipeline that hands out the signed receipt of a delivery already
// answered (as GET /v1/deliveries/{id}/receipt does).
type receiptKeeper interface {
	Receipt(ctx context.Context, counterpart, deliveryID string) (*pipeline.Receipt, error)
}

func (l *localExchange) storedReceipt(ctx context.Context, id string) (*pipeline.Receipt, error) {
	if k, ok := any(l.n.Service).(receiptKeeper); ok {
		return k.Receipt(ctx, l.counterpart, id)
	}
	return nil, errNoStoredReceipts
}

func (l *localExchange) postReceipt(ctx context.Context, id string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error) {
	return l.n.Service.PostReceipt(ctx, l.counterpart, id, req)
}

func (l *localExchange) trail(ctx context.Context, bundle string, opt custody.ExportOptions) ([]byte, error) {
	if l.legalRead != "" {
		// Record, then export the log as it stood before the record, as the server does: the
		// read's own record changes nothing in what it reads.
		var extra []string
		if opt.ConsistencyFrom > 0 {
			extra = append(extra, fmt.Sprintf("consistency_from=%d", opt.ConsistencyFrom))
		}
		if opt.Size > 0 {
			extra = append(extra, fmt.Sprintf("size=%d", opt.Size))
		}
		rd, err := l.n.Service.RecordRead(pipeline.ActingAs(ctx, pipeline.UploaderParty(l.reader)), bundle, l.legalRead, extra...)
		if err != nil {
			return nil, err
		}
		if opt.Size == 0 {
			opt.Size = rd.Leaf
		}
	}
	t, err := l.n.Service.Export(ctx, bundle, opt)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(t, "", "  ")
}

func (l *localExchange) publicKey(ctx context.Context) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(l.n.Signer.Public())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// remoteExchange talks to an evx server through package client.
type remoteExchange struct{ c *client.Client }

func (r *remoteExchange) close() error { return nil }

// explain turns the client's errors into ones a person can act on.
func (r *remoteExchange) explain(err error) error {
	var ue *client.UnreachableError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return fmt.Errorf("%w: check --server (or $%s, or the profile's server)", err, ServerEnv)
	case client.Unauthorized(err):
		return fmt.Errorf("%w: the server at %s rejected the token: check --token / $%s (or --token-file / $%s)", err, r.c.URL(), TokenEnv, TokenFileEnv)
	}
	return err
}

func (r *remoteExchange) upload(ctx context.Context, body io.Reader, size int64) (*pipeline.Status, error) {
	st, err := r.c.Upload(ctx, body, size)
	return st, r.explain(err)
}

func (r *remoteExchange) deliveries(ctx context.Context) ([]pipeline.Delivery, error) {
	ds, err := r.c.Deliveries(ctx)
	return ds, r.explain(err)
}

func (r *remoteExchange) manifest(ctx context.Context, id string) (*pipeline.Manifest, error) {
	m, err := r.c.Manifest(ctx, id)
	return m, r.explain(err)
}

func (r *remoteExchange) document(ctx context.Context, id, name string, offset int64) (*client.Document, error) {
	d, err := r.c.DocumentFrom(ctx, id, name, offset)
	return d, r.explain(err)
}

func (r *remoteExchange) postReceipt(ctx context.Context, id string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error) {
	rc, err := r.c.PostReceipt(ctx, id, req)
	return rc, r.explain(err)
}

func (r *remoteExchange) storedReceipt(ctx context.Context, id string) (*pipeline.Receipt, error) {
	rc, err := r.c.Receipt(ctx, id)
	return rc, r.explain(err)
}

func (r *remoteExchange) trail(ctx context.Context, bundle string, opt custody.ExportOptions) ([]byte, error) {
	b, err := r.c.Trail(ctx, bundle, client.TrailOptions{ConsistencyFrom: opt.ConsistencyFrom, Size: opt.Size})
	return b, r.explain(err)
}

func (r *remoteExchange) publicKey(ctx context.Context) ([]byte, error) {
	b, err := r.c.PublicKeyPEM(ctx)
	return b, r.explain(err)
}
