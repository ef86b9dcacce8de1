package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// exchange is what upload and pull need of evx, either a server (--server, --token) or a data
// folder opened in-process (--data).
type exchange interface {
	upload(ctx context.Context, bagPath string) (*pipeline.Status, error)
	deliveries(ctx context.Context) ([]pipeline.Delivery, error)
	manifest(ctx context.Context, delivery string) (*pipeline.Manifest, error)
	document(ctx context.Context, delivery, name string) (io.ReadCloser, error)
	receipt(ctx context.Context, delivery string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error)
	trail(ctx context.Context, bundle string) ([]byte, error) // evx-custody-trail/1 JSON
	publicKey(ctx context.Context) ([]byte, error)            // PEM
	close() error
}

// defaultDirectory is the counterpart directory the commands that open a data folder read
// unless --directory names another.
const defaultDirectory = "infra/counterparts.yaml"

// openNode opens the embedded node like local.OpenNode, and when the counterpart directory
// file is missing says how to name one: the default path only exists inside the evx sources.
func openNode(ctx context.Context, dataDir string, opt local.NodeOptions) (*local.Node, error) {
	if opt.Counterparts == nil && opt.Directory != "" {
		if _, err := os.Stat(opt.Directory); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("counterpart directory %s not found: name one with --directory FILE (the evx sources have a sample, infra/counterparts.yaml)", opt.Directory)
		}
	}
	return local.OpenNode(ctx, dataDir, opt)
}

// exchangeFlags are the flags that choose the exchange.
type exchangeFlags struct {
	server, token, data, directory, counterpart, uploader string
}

func (f *exchangeFlags) register(fs *flag.FlagSet, role string) {
	fs.StringVar(&f.server, "server", "", "evx server URL, e.g. http://127.0.0.1:8080 (else work on --data directly)")
	fs.StringVar(&f.token, "token", os.Getenv("EVX_TOKEN"), "bearer token for --server (default $EVX_TOKEN)")
	fs.StringVar(&f.data, "data", "", "data folder to work on without a server (default $EVX_DATA, else ./.evx)")
	fs.StringVar(&f.directory, "directory", defaultDirectory, "counterpart directory, with --data")
	switch role {
	case "counterpart":
		fs.StringVar(&f.counterpart, "counterpart", "", "your counterpart id, with --data")
	case "uploader":
		fs.StringVar(&f.uploader, "uploader", "", "your name as the uploader, with --data (default $USER)")
	}
}

func (f *exchangeFlags) open(ctx context.Context) (exchange, error) {
	if f.server != "" {
		u, err := url.Parse(f.server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--server %q: want http://HOST:PORT or https://HOST", f.server)
		}
		if f.token == "" {
			return nil, errors.New("--server needs --token (or $EVX_TOKEN)")
		}
		return &httpExchange{base: strings.TrimSuffix(f.server, "/"), token: f.token, c: http.DefaultClient}, nil
	}
	n, err := openNode(ctx, local.DataDir(f.data), local.NodeOptions{Directory: f.directory})
	if err != nil {
		return nil, err
	}
	who := f.uploader
	if who == "" {
		who = os.Getenv("USER")
	}
	return &localExchange{n: n, counterpart: f.counterpart, uploader: who}, nil
}

// localExchange works on a data folder in-process, as `evx serve` would.
type localExchange struct {
	n           *local.Node
	counterpart string
	uploader    string
}

func (l *localExchange) close() error { return l.n.Close() }

func (l *localExchange) upload(ctx context.Context, bagPath string) (*pipeline.Status, error) {
	f, err := os.Open(bagPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	id, size, err := l.n.Uploads.Spool(ctx, f)
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

func (l *localExchange) document(ctx context.Context, id, name string) (io.ReadCloser, error) {
	rc, _, err := l.n.Service.FetchDocument(ctx, l.counterpart, id, name)
	return rc, err
}

func (l *localExchange) receipt(ctx context.Context, id string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error) {
	return l.n.Service.PostReceipt(ctx, l.counterpart, id, req)
}

func (l *localExchange) trail(ctx context.Context, bundle string) ([]byte, error) {
	t, err := l.n.Service.Export(ctx, bundle, custody.ExportOptions{})
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

// httpExchange talks to an evx server.
type httpExchange struct {
	base, token string
	c           *http.Client
}

func (h *httpExchange) close() error { return nil }

// apiError is an error answer of the server.
type apiError struct {
	Code    int
	Message string
	Status  *pipeline.Status
}

func (e *apiError) Error() string { return fmt.Sprintf("server answered %d: %s", e.Code, e.Message) }

func (h *httpExchange) do(ctx context.Context, method, path string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, body)
	if err != nil {
		return nil, err
	}
	if size >= 0 {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := h.c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var eb struct {
			Error  string           `json:"error"`
			Status *pipeline.Status `json:"status"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
		}
		return nil, &apiError{Code: resp.StatusCode, Message: eb.Error, Status: eb.Status}
	}
	return resp, nil
}

func (h *httpExchange) getJSON(ctx context.Context, path string, v any) error {
	resp, err := h.do(ctx, "GET", path, nil, -1)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func (h *httpExchange) upload(ctx context.Context, bagPath string) (*pipeline.Status, error) {
	f, err := os.Open(bagPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	resp, err := h.do(ctx, "POST", "/v1/bundles", f, fi.Size())
	var ae *apiError
	if errors.As(err, &ae) && ae.Status != nil && ae.Status.Ingest != nil {
		return ae.Status, nil // rejected: the status says why
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st pipeline.Status
	if resp.StatusCode == http.StatusAccepted { // stored, processing later
		var a struct {
			Bundle string `json:"bundle"`
		}
		json.NewDecoder(resp.Body).Decode(&a)
		st.Upload = pipeline.Upload{BundleID: a.Bundle, State: pipeline.UploadReceived}
		return &st, nil
	}
	return &st, json.NewDecoder(resp.Body).Decode(&st)
}

func (h *httpExchange) deliveries(ctx context.Context) ([]pipeline.Delivery, error) {
	var v struct {
		Deliveries []pipeline.Delivery `json:"deliveries"`
	}
	return v.Deliveries, h.getJSON(ctx, "/v1/deliveries", &v)
}

func (h *httpExchange) manifest(ctx context.Context, id string) (*pipeline.Manifest, error) {
	var m pipeline.Manifest
	return &m, h.getJSON(ctx, "/v1/deliveries/"+url.PathEscape(id), &m)
}

func (h *httpExchange) document(ctx context.Context, id, name string) (io.ReadCloser, error) {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	resp, err := h.do(ctx, "GET", "/v1/deliveries/"+url.PathEscape(id)+"/documents/"+strings.Join(segs, "/"), nil, -1)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (h *httpExchange) receipt(ctx context.Context, id string, req pipeline.ReceiptRequest) (*pipeline.Receipt, error) {
	body, _ := json.Marshal(req)
	resp, err := h.do(ctx, "POST", "/v1/deliveries/"+url.PathEscape(id)+"/receipt", bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var rc pipeline.Receipt
	return &rc, json.NewDecoder(resp.Body).Decode(&rc)
}

func (h *httpExchange) getBytes(ctx context.Context, path string) ([]byte, error) {
	resp, err := h.do(ctx, "GET", path, nil, -1)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, custody.MaxTrailBytes))
}

func (h *httpExchange) trail(ctx context.Context, bundle string) ([]byte, error) {
	return h.getBytes(ctx, "/v1/bundles/"+url.PathEscape(bundle)+"/trail")
}

func (h *httpExchange) publicKey(ctx context.Context) ([]byte, error) {
	return h.getBytes(ctx, "/v1/public-key")
}
