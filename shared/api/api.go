// Package api is evx's HTTP interface: one net/http handler for uploaders, counterparts and
// legal staff over the pipeline's use cases, run by `evx serve` and, behind an HTTP API, on
// Lambda.
//
// Identity comes from the host (an Authenticator): evx serve reads bearer tokens from a tokens
// file. Every error is JSON, {"error": "..."}, with a message a person can act on. A caller
// asking for another counterpart's delivery or another uploader's bundle gets 404, exactly as
// for one that does not exist: never the data, never a hint that it exists. Request bodies are
// bounded (Limits); uploads stream to disk, never into memory.
//
// Endpoints (all under /v1):
//
//	POST /v1/bundles                         uploader      body: the bag (zip, tar, tar.gz); 201 accepted, 422 rejected
//	POST /v1/uploads                         uploader      resumable upload: create, part targets, PUT parts, complete (resumable.go, docs/uploads.md)
//	GET  /v1/bundles?q=&case=&counterpart=&state=&from=&to=&limit=  every role  search, scoped to the caller (search.go)
//	GET  /v1/bundles/{id}                    uploader, legal   status: upload state, ingest outcome, deliveries
//	GET  /v1/bundles/{id}/trail[?size=N]     legal         the custody trail (evx-custody-trail/1), at log size N if asked (header X-Evx-Log-Size)
//	GET  /v1/bundles/reads:{id}/trail        legal         the trail of the legal reads of bundle id (pipeline.LegalAccess events)
//	GET  /v1/bundles/{id}/verification       legal         custody.Verify's report with evx's key
//	POST /v1/bundles/{id}/verification       legal         body: a kept checkpoint; the same, and the log's consistency with it (consistency.go)
//	GET  /v1/bundles/{id}/documents/{name...} legal        a document's bytes (header X-Evx-Sha256), its read recorded first
//	GET  /v1/bundles/{id}/report             legal         the report PDF of the trail exported now (headers X-Evx-Trail-Sha256, X-Evx-Log-Size)
//
// Every read by legal staff (status, trail, verification, report, document) is recorded before it is
// served, as a pipeline.LegalAccess event on the bundle's reads subject ("reads:BUNDLE"),
// never on the bundle's own chain; a read whose record fails is refused (503).
//
//	GET  /v1/deliveries                      counterpart   its deliveries
//	GET  /v1/deliveries/{id}                 counterpart   manifest: documents with their hashes, consignment event
//	GET  /v1/deliveries/{id}/documents/{name...} counterpart  the document's bytes (records ContentAccessTracking)
//	GET  /v1/deliveries/{id}/text/{name...}  counterpart   the start of the document's extracted text (records ContentAccessTracking)
//	GET|POST /v1/bundles/{id}/retention      legal         retention state; review (extend or authorise disposal): retention.go
//	GET  /v1/deliveries/{id}/identifiers     counterpart   the identifiers found in each document (records ContentAccessTracking)
//	POST /v1/deliveries/{id}/receipt         counterpart   pipeline.ReceiptRequest → signed pipeline.Receipt (201; 200 with the stored receipt for an identical retry)
//	GET  /v1/deliveries/{id}/receipt         counterpart   the signed pipeline.Receipt of the delivery's posted receipt
//	GET  /v1/directory                       every role    counterparts to choose from, scoped to the caller (directory.go)
//	GET  /v1/log/witness?from=N              every role    checkpoint to cosign, with the consistency proof from N (witness.go)
//	POST /v1/log/cosignatures                every role    a witness's cosignature of a checkpoint it was shown; 201
//	GET  /v1/log/checkpoints/{size}          every role    that checkpoint with every cosignature kept ("latest")
//	GET  /v1/log/leaves?from=A&to=B          every role    each leaf's bundle key, seq and hash: the feed witnesses replay
//	GET  /v1/checkpoint                      anyone        latest signed checkpoint (text)
//	GET  /v1/public-key                      anyone        evx's public key (PEM)
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/request"
)

// Spooler stores an uploaded bag durably and names it by its content (sqlitestate.Uploads.Spool).
type Spooler interface {
	Spool(ctx context.Context, r io.Reader) (bundleID string, size int64, err error)
}

// Limits bound request bodies.
type Limits struct {
	MaxUpload  int64 // bytes of one bag; default 8 GiB
	MaxReceipt int64 // bytes of one receipt; default 1 MiB
	// BodyIdle ends a request whose body sends nothing for this long (408); default
	// DefaultBodyIdle.
	BodyIdle time.Duration
	// BodyMinRate (bytes a second) ends a request whose body, after BodyGrace, arrives slower
	// on average (408); defaults DefaultBodyMinRate and DefaultBodyGrace.
	BodyMinRate int64
	BodyGrace   time.Duration
	// MaxUploads is the most uploads received at once; one more is 503 with Retry-After.
	// Default DefaultMaxUploads.
	MaxUploads int
}

// Handler serves the API.
type Handler struct {
	svc     *pipeline.Service
	home    string // the deployment's own agency (WithHomeAgency)
	up      Spooler
	auth    Authenticator
	lim     Limits
	log     *slog.Logger
	mux     *http.ServeMux
	uploads chan struct{} // one token per upload being received
	// fonts set the PDF of GET /v1/bundles/{id}/report; nil answers that route with 503.
	fonts *report.Fonts
	// requests serves the request endpoints (requests.go); nil: they are not routed.
	requests *request.Desk
	// resumable keeps resumable uploads (resumable.go); nil: they are not routed.
	resumable Resumable
	// agencyName names agencies in full in reports (WithDirectory); nil: ids alone.
	agencyName func(id string) string
}

// WithReportFonts gives h the fonts GET /v1/bundles/{id}/report renders with
// (report.LoadFonts: the embedded report/fonts in evx serve, the files shipped beside the
// bootstrap in the api function). Without them that route answers 503. It returns h.
func (h *Handler) WithReportFonts(f *report.Fonts) *Handler {
	h.fonts = f
	return h
}

// New returns the handler. log may be nil.
func New(svc *pipeline.Service, up Spooler, auth Authenticator, lim Limits, log *slog.Logger) *Handler {
	if lim.MaxUpload <= 0 {
		lim.MaxUpload = 8 << 30
	}
	if lim.MaxReceipt <= 0 {
		lim.MaxReceipt = 1 << 20
	}
	if lim.BodyIdle <= 0 {
		lim.BodyIdle = DefaultBodyIdle
	}
	if lim.BodyMinRate <= 0 {
		lim.BodyMinRate = DefaultBodyMinRate
	}
	if lim.BodyGrace <= 0 {
		lim.BodyGrace = DefaultBodyGrace
	}
	if lim.MaxUploads <= 0 {
		lim.MaxUploads = DefaultMaxUploads
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, up: up, auth: auth, lim: lim, log: log, mux: http.NewServeMux(), uploads: make(chan struct{}, lim.MaxUploads)}
	h.mux.HandleFunc("POST /v1/bundles", h.as(h.postBundle, RoleUploader))
	h.mux.HandleFunc("GET /v1/bundles", h.as(h.listBundles, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}", h.as(h.getBundle, RoleUploader, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}/trail", h.as(h.getTrail, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}/verification", h.as(h.getVerification, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}/report", h.as(h.getReport, RoleLegal))
	h.mux.HandleFunc("POST /v1/bundles/{id}/verification", h.as(h.postVerification, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}/documents/{name...}", h.as(h.getBundleDocument, RoleLegal))
	h.mux.HandleFunc("GET /v1/bundles/{id}/identifiers", h.as(h.getIdentifiers, RoleLegal))
	h.routeRetention()
	h.mux.HandleFunc("GET /v1/deliveries", h.as(h.listDeliveries, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/deliveries/{id}", h.as(h.getDelivery, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/deliveries/{id}/documents/{name...}", h.as(h.getDocument, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/deliveries/{id}/text/{name...}", h.as(h.getDocumentText, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/deliveries/{id}/identifiers", h.as(h.getDeliveryIdentifiers, RoleCounterpart))
	h.mux.HandleFunc("POST /v1/deliveries/{id}/receipt", h.as(h.postReceipt, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/deliveries/{id}/receipt", h.as(h.getReceipt, RoleCounterpart))
	h.mux.HandleFunc("GET /v1/log/witness", h.as(h.getWitnessOffer, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("POST /v1/log/cosignatures", h.as(h.postCosignature, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("GET /v1/log/checkpoints/{size}", h.as(h.getCosignedCheckpoint, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("GET /v1/log/leaves", h.as(h.getLeaves, RoleUploader, RoleCounterpart, RoleLegal))
	h.mux.HandleFunc("GET /v1/checkpoint", h.getCheckpoint)
	h.mux.HandleFunc("GET /v1/public-key", h.getPublicKey)
	h.withConsents()
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			c := r.Clone(r.Context())
			c.Method = m
			if _, p := h.mux.Handler(c); p != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allow, " or "))
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; see the API documentation for the endpoints under /v1")
		return
	}
	h.mux.ServeHTTP(w, r)
}

type identityKey struct{}

// as admits callers with one of the roles.
func (h *Handler) as(next http.HandlerFunc, roles ...Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.auth.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="evx"`)
			writeError(w, http.StatusUnauthorized, "missing or unknown bearer token: send \"Authorization: Bearer TOKEN\" with a token issued to you")
			return
		}
		allowed := false
		for _, role := range roles {
			allowed = allowed || id.Role == role
		}
		if !allowed {
			writeError(w, http.StatusForbidden, fmt.Sprintf("this endpoint is for %s; your token is for the %s role", joinRoles(roles), id.Role))
			return
		}
		ctx := context.WithValue(r.Context(), identityKey{}, id)
		if id.Person != "" {
			ctx = pipeline.ActingAs(ctx, id.Party())
		}
		// Legal staff of an agency read the bundles their agency is party to; another
		// bundle is, to them, one that does not exist. Legal staff of no agency (the
		// exchange's own) read every bundle.
		if id.Role == RoleLegal && id.Agency != "" && strings.Contains(r.Pattern, "/v1/bundles/{id}") {
			bundle := r.PathValue("id")
			ok, err := h.svc.PartyTo(ctx, bundle, id.Agency, h.home)
			switch {
			case err != nil && !errors.Is(err, pipeline.ErrNotFound):
				h.fail(w, r, err)
				return
			case err == nil && !ok:
				h.fail(w, r, &pipeline.BundleNotFoundError{BundleID: bundle})
				return
			}
		}
		next(w, r.WithContext(ctx))
	}
}

// WithHomeAgency names the deployment's own agency: a bundle whose uploader names no agency
// (a bag put into the deployment's bucket, a token naming a person alone) is its, for the
// scope of its legal staff (docs/operating.md). It returns h.
func (h *Handler) WithHomeAgency(agency string) *Handler {
	h.home = agency
	return h
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

func identity(r *http.Request) Identity { return r.Context().Value(identityKey{}).(Identity) }

type errorBody struct {
	Error  string `json:"error"`
	Status any    `json:"status,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// fail maps a use case's error to a status and a message; unexpected errors are logged and
// reported without detail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		conflict *pipeline.ReceiptConflictError
		mismatch *pipeline.ReceiptMismatchError
		invalid  *pipeline.InvalidReceiptError
		tooBig   *http.MaxBytesError
		slow     *BodyTimeoutError
		body     *BodyError
	)
	switch {
	case errors.As(err, &slow):
		h.log.Warn("request body timed out", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestTimeout, err.Error())
	case errors.As(err, &body):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.As(err, &mismatch):
		writeError(w, http.StatusUnprocessableEntity, err.Error()+"; post the receipt with \"accepted\": false to reject the delivery")
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, new(*report.ConsentRequiredError)), errors.As(err, new(*pipeline.ConsentError)):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.As(err, new(*pipeline.RestrictedError)):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.As(err, new(*pipeline.DisposedError)):
		writeError(w, http.StatusGone, err.Error())
	case errors.As(err, new(*pipeline.RetentionError)):
		writeError(w, http.StatusConflict, err.Error())
	case errors.As(err, new(*pipeline.ReadRecordError)):
		h.log.Error("read refused: record failed", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the read is refused: evx records every read before serving it, and could not record this one; retry later")
	case errors.As(err, new(*custody.LogSizeError)):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, notFoundMessage(err))
	case errors.Is(err, context.Canceled):
		writeError(w, 499, "request canceled")
	default:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; the request can be retried, and the operator's log has the details")
	}
}

// notFoundMessage keeps the pipeline's typed messages (they name only what the caller asked
// for) and hides anything else.
func notFoundMessage(err error) string {
	var (
		d    *pipeline.DeliveryNotFoundError
		doc  *pipeline.DocumentNotFoundError
		bdoc *pipeline.BundleDocumentNotFoundError
		b    *pipeline.BundleNotFoundError
		nr   *pipeline.NoReceiptError
	)
	switch {
	case errors.As(err, &nr):
		return nr.Error()
	case errors.As(err, &d):
		return fmt.Sprintf("no delivery %s for you; list yours at /v1/deliveries", d.Delivery)
	case errors.As(err, &doc):
		return doc.Error() + "; the delivery's manifest lists its documents"
	case errors.As(err, &bdoc):
		return bdoc.Error()
	case errors.As(err, &b):
		return fmt.Sprintf("no bundle %s", b.BundleID)
	}
	return "not found"
}

func (h *Handler) postBundle(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	if r.ContentLength > h.lim.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("bag of %d bytes is larger than the %d bytes this server accepts", r.ContentLength, h.lim.MaxUpload))
		return
	}
	select {
	case h.uploads <- struct{}{}:
		defer func() { <-h.uploads }()
	default:
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("this server is receiving %d uploads already, its most at once; retry later", cap(h.uploads)))
		return
	}
	body := http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), h.lim.MaxUpload)
	bundle, size, err := h.up.Spool(r.Context(), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if size == 0 {
		writeError(w, http.StatusBadRequest, "empty request body: send the bag (zip, tar or tar.gz) as the body")
		return
	}
	if _, err := h.svc.Submit(r.Context(), pipeline.Upload{BundleID: bundle, Uploader: id.Subject, Size: size}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.process(w, r, bundle, id.Subject)
}

// process ingests a stored, submitted bag and answers with its status. The upload is durable
// from here: if processing fails now, Resume finishes it.
func (h *Handler) process(w http.ResponseWriter, r *http.Request, bundle, uploader string) {
	st, err := h.svc.ProcessFor(r.Context(), bundle, uploader)
	if err != nil {
		h.log.Error("process upload", "bundle", bundle, "err", err)
		writeJSON(w, http.StatusAccepted, map[string]any{"bundle": bundle, "state": pipeline.UploadReceived,
			"message": "the bag is stored; processing will be finished later, see GET /v1/bundles/" + bundle})
		return
	}
	w.Header().Set("Location", "/v1/bundles/"+bundle)
	if !st.Ingest.Accepted {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "bundle rejected: " + strings.Join(st.Ingest.Reasons, "; "), Status: st})
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

func (h *Handler) getBundle(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	bundle := r.PathValue("id")
	var st *pipeline.Status
	var err error
	if id.Role == RoleUploader {
		st, err = h.svc.BundleStatusFor(r.Context(), bundle, id.Subject)
	} else if _, err = h.svc.RecordRead(r.Context(), bundle, pipeline.ReadStatus); err == nil {
		// Legal staff: record, then serve (the status lists the bundle's documents).
		st, err = h.svc.BundleStatus(r.Context(), bundle)
	}
	if err != nil {
		if errors.Is(err, pipeline.ErrNotFound) {
			err = &pipeline.BundleNotFoundError{BundleID: bundle}
		}
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) getTrail(w http.ResponseWriter, r *http.Request) {
	var opt custody.ExportOptions
	var extra []string
	for _, q := range []struct {
		name, want string
		to         *uint64
	}{
		{"consistency_from", "the log size of a checkpoint you hold", &opt.ConsistencyFrom},
		{"size", "the log size of the trail to serve (a report's " + HeaderLogSize + ")", &opt.Size},
	} {
		v := r.URL.Query().Get(q.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, q.name+": want "+q.want+", a whole number above 0")
			return
		}
		*q.to = n
		extra = append(extra, q.name+"="+v)
	}
	bundle := r.PathValue("id")
	// Record, then serve: a read that cannot be recorded is refused. What is served is the
	// log as it stood when the read was recorded (its leaf is the log's size before it), so
	// the read's own record changes nothing in what it serves.
	rd, err := h.svc.RecordRead(r.Context(), bundle, pipeline.ReadTrail, extra...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if opt.Size == 0 {
		opt.Size = rd.Leaf
	}
	t, err := h.svc.Export(r.Context(), bundle, opt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set(HeaderLogSize, strconv.FormatUint(logSizeOf(t), 10))
	writeJSON(w, http.StatusOK, t)
}

// logSizeOf is the log size of the trail's checkpoint (0 when it cannot be read).
func logSizeOf(t *custody.Trail) uint64 {
	lines := strings.SplitN(t.Checkpoint, "\n", 3)
	if len(lines) < 2 {
		return 0
	}
	n, _ := strconv.ParseUint(lines[1], 10, 64)
	return n
}

func (h *Handler) getVerification(w http.ResponseWriter, r *http.Request) {
	rd, err := h.svc.RecordRead(r.Context(), r.PathValue("id"), pipeline.ReadVerification)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.svc.VerifyAt(r.Context(), r.PathValue("id"), rd.Leaf, custody.VerifyOptions{})
	if err != nil && errors.Is(err, pipeline.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	res := map[string]any{"bundle": r.PathValue("id"), "verified": err == nil}
	if err != nil {
		res["error"] = err.Error()
	} else {
		res["report"] = rep
	}
	writeJSON(w, http.StatusOK, res)
}

// Headers of GET /v1/bundles/{id}/report.
const (
	// HeaderTrailSHA256 carries the SHA-256 (lowercase hex) of the trail the report renders,
	// byte for byte as GET /v1/bundles/{id}/trail serves it; the PDF prints it too.
	HeaderTrailSHA256 = "X-Evx-Trail-Sha256"
	// HeaderVerified is "true" when the trail verified with evx's key, else "false" (the PDF
	// is then marked FAILED).
	HeaderVerified = "X-Evx-Verified"
	// HeaderLogSize carries the log size of the checkpoint the served trail (or the report's
	// trail) is proven against: GET /v1/bundles/{id}/trail?size=N serves that trail again,
	// however many events (reads among them) the log has gained since.
	HeaderLogSize = "X-Evx-Log-Size"
)

// getReport renders the report of the bundle's trail as exported at this moment, checked
// with evx's own key. The trail it renders is the bytes GET .../trail would serve now, whose
// SHA-256 the response carries, so that the PDF can be tied to a trail file fetched beside it.
func (h *Handler) getReport(w http.ResponseWriter, r *http.Request) {
	bundle := r.PathValue("id")
	if h.fonts == nil {
		writeError(w, http.StatusServiceUnavailable, "this server renders no reports (no fonts configured); GET /v1/bundles/"+bundle+"/trail serves the trail")
		return
	}
	// Record, then serve, as getTrail: the report renders the log as it stood when its read
	// was recorded.
	rd, err := h.svc.RecordRead(r.Context(), bundle, pipeline.ReadReport)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.svc.Export(r.Context(), bundle, custody.ExportOptions{Size: rd.Leaf})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	raw, err := json.MarshalIndent(t, "", "  ") // as writeJSON encodes it for .../trail
	if err != nil {
		h.fail(w, r, err)
		return
	}
	raw = append(raw, '\n')
	sum := sha256.Sum256(raw)
	opt := report.Options{Generated: time.Now().UTC(), TrailSHA256: hex.EncodeToString(sum[:]), Fonts: h.fonts, AgencyName: h.agencyName}
	// Check the bytes, as a clerk checking the downloaded trail offline would.
	tr, v, err := report.CheckFile(raw, h.svc.Signer().Public(), custody.VerifyOptions{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opt.Request = h.answeredRequest(r, tr)
	if ids, err := h.svc.DocumentIdentifiers(r.Context(), bundle); err == nil {
		// A rejected bundle has none; its report says nothing of identifiers.
		opt.Identifiers, opt.IdentifiersFrom = report.IdentifiersOf(ids), report.IdentifiersFromRecords
	}
	var pdf bytes.Buffer
	if err := report.PDF(&pdf, tr, v, opt); err != nil {
		h.fail(w, r, err)
		return
	}
	name := "report.pdf"
	if safeName.MatchString(bundle) {
		name = "report-" + bundle + ".pdf"
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(pdf.Len()))
	w.Header().Set(HeaderTrailSHA256, opt.TrailSHA256)
	w.Header().Set(HeaderVerified, strconv.FormatBool(v.Verified))
	w.Header().Set(HeaderLogSize, strconv.FormatUint(logSizeOf(t), 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(pdf.Bytes())
}

// safeName: bundle ids that may name a download as they are.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := h.svc.ListDeliveries(r.Context(), identity(r).Counterpart)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ds == nil {
		ds = []pipeline.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (h *Handler) getDelivery(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.Manifest(r.Context(), identity(r).Counterpart, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (h *Handler) getDocument(w http.ResponseWriter, r *http.Request) {
	rc, doc, err := h.svc.FetchDocument(r.Context(), identity(r).Counterpart, r.PathValue("id"), r.PathValue("name"))
	h.serveDocument(w, r, rc, doc, err)
}

// getBundleDocument serves a document of a bundle to legal staff, recorded first as a
// LegalAccess read (pipeline.LegalDocument).
func (h *Handler) getBundleDocument(w http.ResponseWriter, r *http.Request) {
	rc, doc, err := h.svc.LegalDocument(r.Context(), r.PathValue("id"), r.PathValue("name"))
	h.serveDocument(w, r, rc, doc, err)
}

// serveDocument sends a document opened by the pipeline (its read already recorded). A
// request for the bytes from an offset on ("Range: bytes=N-", as a resumed download sends)
// is answered 206 with them; any other range is ignored and the whole document sent.
func (h *Handler) serveDocument(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, doc custody.Document, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	from := rangeFrom(r.Header.Get("Range"), doc.Size)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(doc.Size-from, 10))
	w.Header().Set("X-Evx-Sha256", doc.SHA256)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Accept-Ranges", "bytes")
	if from > 0 {
		// The bytes before the offset are read and hashed all the same: the stored document is
		// checked whole, whatever part of it is sent.
		if _, err := io.CopyN(io.Discard, rc, from); err != nil {
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, doc.Size-1, doc.Size))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	// All but the last byte, then the rest to the end of the read, whose verdict (the bytes
	// hash to the record, or not) decides whether the last byte is sent: a document whose
	// stored bytes were altered is never served whole under the recorded hash.
	var last bytes.Buffer
	if _, err := io.CopyN(w, rc, max(doc.Size-from-1, 0)); err == nil {
		_, err = io.Copy(&last, io.LimitReader(rc, 2))
		if err == nil && int64(last.Len()) == min(doc.Size, 1) {
			w.Write(last.Bytes())
			return
		}
	}
	// The stored bytes do not match the record (the pipeline logged and recorded it), or
	// the client went away: end the connection without completing the response.
	panic(http.ErrAbortHandler)
}

func (h *Handler) postReceipt(w http.ResponseWriter, r *http.Request) {
	var req pipeline.ReceiptRequest
	raw, err := io.ReadAll(http.MaxBytesReader(w, newDeadlineBody(w, r, h.lim), h.lim.MaxReceipt))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := decodeStrict(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "receipt is not valid JSON of the form {\"accepted\": true|false, \"reasons\": [...], \"documents\": [{\"name\": ..., \"sha256\": ...}]}: "+err.Error())
		return
	}
	rc, err := h.svc.PostReceipt(r.Context(), identity(r).Counterpart, r.PathValue("id"), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rc.Replayed {
		// An identical retry (its first answer was lost): the receipt stored for the first.
		writeJSON(w, http.StatusOK, rc)
		return
	}
	writeJSON(w, http.StatusCreated, rc)
}

func (h *Handler) getReceipt(w http.ResponseWriter, r *http.Request) {
	rc, err := h.svc.Receipt(r.Context(), identity(r).Counterpart, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

func (h *Handler) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := h.svc.Checkpoint(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
}

func (h *Handler) getPublicKey(w http.ResponseWriter, r *http.Request) {
	der, err := x509.MarshalPKIXPublicKey(h.svc.Signer().Public())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("X-Evx-Key-Id", h.svc.Signer().KeyID())
	pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// getIdentifiers serves the identifiers found in each document of a bundle (valid values and
// look-alikes, each with its type, value, text as written, page or part and offset), read from
// the documents' extraction records; the read is recorded first, as every legal read.
func (h *Handler) getIdentifiers(w http.ResponseWriter, r *http.Request) {
	bundle := r.PathValue("id")
	if _, err := h.svc.RecordRead(r.Context(), bundle, pipeline.ReadIdentifiers); err != nil {
		h.fail(w, r, err)
		return
	}
	ids, err := h.svc.DocumentIdentifiers(r.Context(), bundle)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bundle": bundle, "documents": ids})
}

// getDeliveryIdentifiers serves a counterpart the identifiers found in each document of its
// delivery, as getIdentifiers does for legal staff; reading them is recorded first, as an
// access to the documents' content.
func (h *Handler) getDeliveryIdentifiers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ids, err := h.svc.DeliveryIdentifiers(r.Context(), identity(r).Counterpart, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"delivery": id, "documents": ids})
}

// rangeFrom is the offset of a "bytes=N-" (or "bytes=N-LAST", LAST the document's last byte)
// range within a document of size bytes, 0 < N < size; 0 for no range or any other (multiple
// ranges, suffixes, ranges that end early), which is then served whole, as RFC 9110 allows.
func rangeFrom(h string, size int64) int64 {
	v, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(v, ",") {
		return 0
	}
	first, last, ok := strings.Cut(v, "-")
	if !ok || first == "" {
		return 0
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil || n <= 0 || n >= size || strconv.FormatInt(n, 10) != first {
		return 0
	}
	if last != "" && last != strconv.FormatInt(size-1, 10) {
		return 0
	}
	return n
}
