package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// Role is what a caller may do.
type Role string

const (
	RoleUploader    Role = "uploader"    // sends bundles, reads the status of its own
	RoleCounterpart Role = "counterpart" // lists, fetches and acknowledges its own deliveries
	RoleLegal       Role = "legal"       // reads trails and verification results: of the bundles its agency is party to, or of every bundle for staff of no agency
)

// Identity is the caller as the host established it.
type Identity struct {
	Role        Role
	Subject     string // who: a user id ("AGENCY/PERSON" for a person of an agency), or the counterpart id
	Counterpart string // for RoleCounterpart: its directory id
	// Agency and Person name the person acting and the agency they act for (the agency's
	// directory id; for RoleCounterpart, Counterpart). Every event recorded for the call
	// names both (pipeline.ActingAs). Empty for identities given without them (a tokens
	// line of the older "TOKEN ROLE [SUBJECT]" form names a person but no agency).
	Agency string
	Person string
}

// Party is the identity as the pipeline records it.
func (id Identity) Party() pipeline.Party {
	return pipeline.Party{Agency: id.Agency, Person: id.Person}
}

// Authenticator establishes the caller's identity from a request; ok false means no valid
// credentials. evx serve uses Tokens; on AWS the JWT authorizer's claims are mapped instead.
type Authenticator interface {
	Authenticate(r *http.Request) (id Identity, ok bool)
}

// Tokens authenticates bearer tokens listed in a tokens file. Only SHA-256 hashes of the
// tokens are kept, so lookups take the same time whatever the token.
type Tokens struct {
	byHash map[[32]byte]Identity
	lines  map[[32]byte]int // the line of the file each token is on
}

// MaxTokensFile bounds the tokens file.
const MaxTokensFile = 1 << 20

// LoadTokens reads a tokens file: one "TOKEN ROLE AGENCY PERSON" line per caller, '#' starting
// a comment. ROLE is uploader, counterpart or legal; AGENCY is the agency's id in the agency
// directory (for a counterpart, the counterpart's), PERSON the person within it (1 to 128 of
// letters, digits and . _ @ + -). The older form "TOKEN ROLE [SUBJECT]" still loads: for a
// counterpart SUBJECT is its id (required) and the person is unnamed, for the others SUBJECT
// is the user's name (default: the role) and the agency unnamed. Tokens must be at least 16
// characters. The file must not be readable by others (mode 0600).
// A file over MaxTokensFile bytes is an error, never cut.
func LoadTokens(path string) (*Tokens, error) {
	t, _, err := loadTokens(path)
	return t, err
}

func loadTokens(path string) (*Tokens, [32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return nil, sum, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, sum, fmt.Errorf("tokens file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, sum, fmt.Errorf("tokens file %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxTokensFile+1))
	if err != nil {
		return nil, sum, fmt.Errorf("tokens file %s: %w", path, err)
	}
	sum = sha256.Sum256(data)
	t, err := ParseTokens(bytes.NewReader(data))
	if err != nil {
		return nil, sum, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return t, sum, nil
}

// ParseTokens reads the tokens file format (see LoadTokens).
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{byHash: map[[32]byte]Identity{}, lines: map[[32]byte]int{}}
	lr := &io.LimitedReader{R: r, N: MaxTokensFile + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 4 {
			return nil, fmt.Errorf("line %d: want TOKEN ROLE AGENCY PERSON", n)
		}
		if len(f[0]) < 16 {
			return nil, fmt.Errorf("line %d: token shorter than 16 characters", n)
		}
		id := Identity{Role: Role(f[1])}
		if !slices.Contains([]Role{RoleUploader, RoleCounterpart, RoleLegal}, id.Role) {
			return nil, fmt.Errorf("line %d: role %q: want uploader, counterpart or legal", n, f[1])
		}
		id.Subject = string(id.Role)
		if len(f) == 3 {
			id.Subject, id.Person = f[2], f[2]
		}
		if len(f) == 4 {
			if !validAgencyID(f[2]) {
				return nil, fmt.Errorf("line %d: agency %q: want 1 to 63 lowercase letters, digits and '-'", n, f[2])
			}
			if !validPerson(f[3]) {
				return nil, fmt.Errorf("line %d: person %q: want 1 to 128 letters, digits and . _ @ + -", n, f[3])
			}
			id.Agency, id.Person = f[2], f[3]
			id.Subject = pipeline.UploaderName(id.Party())
			if id.Role == RoleCounterpart {
				id.Subject = f[2]
			}
		}
		if id.Role == RoleCounterpart {
			if len(f) < 3 {
				return nil, fmt.Errorf("line %d: a counterpart token needs the counterpart id", n)
			}
			id.Counterpart = f[2]
			if len(f) == 3 {
				id.Person = ""
			}
		}
		h := sha256.Sum256([]byte(f[0]))
		if _, dup := t.byHash[h]; dup {
			return nil, fmt.Errorf("line %d: token listed twice", n)
		}
		t.byHash[h] = id
		t.lines[h] = n
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("more than %d bytes: a tokens file is refused, not cut, above that size", MaxTokensFile)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return t, nil
}

// CheckCounterparts checks that every counterpart token names a counterpart known to the
// directory (known reports whether an id is in it); the first that does not is an error
// naming its line.
func (t *Tokens) CheckCounterparts(known func(id string) bool) error {
	first := 0
	var bad string
	for h, id := range t.byHash {
		if id.Role == RoleCounterpart && !known(id.Counterpart) {
			if l := t.lines[h]; first == 0 || l < first {
				first, bad = l, id.Counterpart
			}
		}
	}
	if first > 0 {
		return fmt.Errorf("line %d: counterpart %q is not in the counterpart directory", first, bad)
	}
	return nil
}

// validAgencyID: the directory's id rule (1 to 63 lowercase letters, digits and '-', not
// starting with '-').
func validAgencyID(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// validPerson: 1 to 128 of letters, digits and . _ @ + - (no '/': see pipeline.UploaderName).
func validPerson(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("._@+-", rune(c)) {
			return false
		}
	}
	return true
}

// CheckAgencies checks every token that names an agency against the agency directory
// (lookup returns an agency and whether it is there): an uploader's agency must be one that
// sends, a counterpart's one that receives, any other named agency must be listed. The first
// failing line is the error.
func (t *Tokens) CheckAgencies(lookup func(id string) (pipeline.Agency, bool)) error {
	first, msg := 0, ""
	for h, id := range t.byHash {
		var bad string
		switch a, ok := lookup(id.Agency); {
		case id.Agency == "":
			continue
		case !ok:
			bad = fmt.Sprintf("agency %q is not in the agency directory", id.Agency)
		case id.Role == RoleUploader && !a.Sends():
			bad = fmt.Sprintf("agency %s is an uploader's, but the agency directory does not let it send (role: send or both)", id.Agency)
		case id.Role == RoleCounterpart && !a.Receives():
			bad = fmt.Sprintf("agency %s is a counterpart's, but the agency directory does not let it receive", id.Agency)
		default:
			continue
		}
		if l := t.lines[h]; first == 0 || l < first {
			first, msg = l, bad
		}
	}
	if first > 0 {
		return fmt.Errorf("line %d: %s", first, msg)
	}
	return nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.byHash) }

// TokenFile is a tokens file kept in force while evx serves: Reload reads it again (Watch
// does when it changes; evx serve also on SIGHUP), so that a token is revoked by editing the
// file. A file that no longer loads leaves the tokens last loaded in force, and says so
// loudly in the log.
type TokenFile struct {
	path     string
	known    func(string) bool
	agencies func(string) (pipeline.Agency, bool)
	log      *slog.Logger
	cur      atomic.Pointer[Tokens]
	mu       sync.Mutex
	sum      [32]byte
	stamp    string // size and modification time of the file last read
}

// OpenTokenFile loads the tokens file at path; known, when not nil, checks counterpart ids
// (see CheckCounterparts). Any error here is a startup error.
func OpenTokenFile(path string, known func(string) bool, log *slog.Logger) (*TokenFile, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return openTokenFile(&TokenFile{path: path, known: known, log: log})
}

// OpenAgencyTokenFile is OpenTokenFile that also holds the tokens to the agency directory
// (lookup; see CheckAgencies): counterparts must be agencies that receive, uploaders'
// agencies agencies that send.
func OpenAgencyTokenFile(path string, lookup func(string) (pipeline.Agency, bool), log *slog.Logger) (*TokenFile, error) {
	known := func(id string) bool { a, ok := lookup(id); return ok && a.Receives() }
	return openTokenFile(&TokenFile{path: path, known: known, agencies: lookup, log: log})
}

func openTokenFile(f *TokenFile) (*TokenFile, error) {
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	t, sum, err := f.load()
	if err != nil {
		return nil, err
	}
	f.cur.Store(t)
	f.sum, f.stamp = sum, f.statStamp()
	return f, nil
}

func (f *TokenFile) load() (*Tokens, [32]byte, error) {
	t, sum, err := loadTokens(f.path)
	if err != nil {
		return nil, sum, err
	}
	if f.known != nil {
		if err := t.CheckCounterparts(f.known); err != nil {
			return nil, sum, fmt.Errorf("tokens file %s: %w", f.path, err)
		}
	}
	if f.agencies != nil {
		if err := t.CheckAgencies(f.agencies); err != nil {
			return nil, sum, fmt.Errorf("tokens file %s: %w", f.path, err)
		}
	}
	return t, sum, nil
}

func (f *TokenFile) statStamp() string {
	fi, err := os.Stat(f.path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
}

// Reload reads the file again. On success the new tokens are in force (changed reports
// whether they differ from the old); on failure the old stay in force and the error is
// logged at error level and returned.
func (f *TokenFile) Reload() (changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stamp = f.statStamp()
	t, sum, err := f.load()
	if err != nil {
		f.log.Error("TOKENS FILE NOT RELOADED: the tokens loaded before stay in force until the file is fixed", "file", f.path, "err", err)
		return false, err
	}
	if sum == f.sum {
		return false, nil
	}
	f.cur.Store(t)
	f.sum = sum
	f.log.Info("tokens file reloaded", "file", f.path, "tokens", t.Len())
	return true, nil
}

// Watch reloads the file whenever its size or modification time changes, checking every
// interval, until ctx ends.
func (f *TokenFile) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.mu.Lock()
			changed := f.statStamp() != f.stamp
			f.mu.Unlock()
			if changed {
				f.Reload()
			}
		}
	}
}

// Authenticate implements Authenticator with the tokens in force.
func (f *TokenFile) Authenticate(r *http.Request) (Identity, bool) {
	return f.cur.Load().Authenticate(r)
}

// Authenticate implements Authenticator for "Authorization: Bearer TOKEN".
func (t *Tokens) Authenticate(r *http.Request) (Identity, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return Identity{}, false
	}
	id, ok := t.byHash[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	return id, ok
}
