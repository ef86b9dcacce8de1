package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Browser sessions. A person signs in once with their bearer token (POST /v1/session); the
// token is exchanged for a random session id in a cookie (HttpOnly, Secure, SameSite=Strict,
// Path=/) and is never kept by the page, in a URL or in storage. Requests other than GET
// and HEAD made with the cookie must carry the session's CSRF token in X-Evx-CSRF, which
// the page reads from POST or GET /v1/session. DELETE /v1/session signs out. Sessions end
// after SessionIdle without a request and SessionMax after sign-in, and with the process.
//
//	POST   /v1/session   {"token": "..."}  → 201 {"role", "subject", "counterpart", "csrf", "expires"}
//	GET    /v1/session                     → 200 the same, for the cookie's session; 401 without one
//	DELETE /v1/session                     → 204; the cookie is cleared
const (
	SessionCookie = "evx_session"
	CSRFHeader    = "X-Evx-CSRF"
	SessionIdle   = 30 * time.Minute
	SessionMax    = 8 * time.Hour
	// MaxSessions bounds the sessions held at once; signing in beyond it ends the oldest.
	MaxSessions = 10_000
)

// Sessions holds the browser sessions of one process.
type Sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]*session // by SHA-256 of the id: lookups take the same time whatever the id
	now  func() time.Time
}

type session struct {
	id      Identity
	csrf    string
	created time.Time
	seen    time.Time
}

// NewSessions returns an empty session store; now is time.Now when nil.
func NewSessions(now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{byID: map[[32]byte]*session{}, now: now}
}

// SessionInfo is what the page learns of its session.
type SessionInfo struct {
	Role        Role   `json:"role"`
	Subject     string `json:"subject"`
	Counterpart string `json:"counterpart,omitempty"`
	// Agency and Person: the agency the person acts for and their name in it, when the token
	// or identity provider says (the pages name them in the statements a person seals).
	Agency  string    `json:"agency,omitempty"`
	Person  string    `json:"person,omitempty"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// WithSessions lets people sign in from a browser (see Sessions): it adds the /v1/session
// routes and accepts the session cookie wherever a bearer token is accepted. It returns h.
func (h *Handler) WithSessions(s *Sessions) *Handler {
	bearer := h.auth
	h.auth = sessionAuth{s: s, next: bearer}
	h.mux.HandleFunc("POST /v1/session", func(w http.ResponseWriter, r *http.Request) { s.signIn(w, r, bearer) })
	h.mux.HandleFunc("GET /v1/session", s.current)
	h.mux.HandleFunc("DELETE /v1/session", s.signOut)
	return h
}

func (s *Sessions) signIn(w http.ResponseWriter, r *http.Request, bearer Authenticator) {
	var body struct {
		Token string `json:"token"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Token == "" {
		writeError(w, http.StatusBadRequest, `want {"token": "your bearer token"}`)
		return
	}
	probe, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "/", nil)
	probe.Header.Set("Authorization", "Bearer "+strings.TrimSpace(body.Token))
	id, ok := bearer.Authenticate(probe)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unknown token: check the token your operator issued to you")
		return
	}
	sid, now := randomToken(), s.now()
	ss := &session{id: id, csrf: randomToken(), created: now, seen: now}
	s.mu.Lock()
	s.expire(now)
	if len(s.byID) >= MaxSessions {
		var oldest [32]byte
		var t time.Time
		for k, v := range s.byID {
			if t.IsZero() || v.created.Before(t) {
				oldest, t = k, v.created
			}
		}
		delete(s.byID, oldest)
	}
	s.byID[sha256.Sum256([]byte(sid))] = ss
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sid, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionMax / time.Second)})
	writeJSON(w, http.StatusCreated, s.info(ss))
}

func (s *Sessions) info(ss *session) SessionInfo {
	exp := ss.created.Add(SessionMax)
	if idle := ss.seen.Add(SessionIdle); idle.Before(exp) {
		exp = idle
	}
	return SessionInfo{Role: ss.id.Role, Subject: ss.id.Subject, Counterpart: ss.id.Counterpart, Agency: ss.id.Agency, Person: ss.id.Person, CSRF: ss.csrf, Expires: exp.UTC()}
}

// expire drops ended sessions; s.mu is held.
func (s *Sessions) expire(now time.Time) {
	for k, v := range s.byID {
		if now.Sub(v.seen) > SessionIdle || now.Sub(v.created) > SessionMax {
			delete(s.byID, k)
		}
	}
}

// lookup returns the live session of r's cookie, marking it used.
func (s *Sessions) lookup(r *http.Request) (*session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	k := sha256.Sum256([]byte(c.Value))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[k]
	if !ok {
		return nil, false
	}
	if now.Sub(ss.seen) > SessionIdle || now.Sub(ss.created) > SessionMax {
		delete(s.byID, k)
		return nil, false
	}
	ss.seen = now
	return ss, true
}

func (s *Sessions) current(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.lookup(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "not signed in")
		return
	}
	writeJSON(w, http.StatusOK, s.info(ss))
}

func (s *Sessions) signOut(w http.ResponseWriter, r *http.Request) {
	if ss, ok := s.lookup(r); ok {
		if !csrfOK(r, ss) {
			writeError(w, http.StatusForbidden, "missing or wrong "+CSRFHeader+" header")
			return
		}
		c, _ := r.Cookie(SessionCookie)
		s.mu.Lock()
		delete(s.byID, sha256.Sum256([]byte(c.Value)))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func csrfOK(r *http.Request, ss *session) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

// sessionAuth admits a request by its session cookie (with the CSRF header on requests that
// change something), else by next (bearer tokens).
type sessionAuth struct {
	s    *Sessions
	next Authenticator
}

func (a sessionAuth) Authenticate(r *http.Request) (Identity, bool) {
	if r.Header.Get("Authorization") != "" {
		return a.next.Authenticate(r)
	}
	ss, ok := a.s.lookup(r)
	if !ok {
		return Identity{}, false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !csrfOK(r, ss) {
		return Identity{}, false
	}
	return ss.id, true
}
