package api

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
)

// Role is what a caller may do.
type Role string

const (
	RoleUploader    Role = "uploader"    // sends bundles, reads the status of its own
	RoleCounterpart Role = "counterpart" // lists, fetches and acknowledges its own deliveries
	RoleLegal       Role = "legal"       // reads trails and verification results of every bundle
)

// Identity is the caller as the host established it.
type Identity struct {
	Role        Role
	Subject     string // who: a user id, or the counterpart id
	Counterpart string // for RoleCounterpart: its directory id
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
}

// MaxTokensFile bounds the tokens file.
const MaxTokensFile = 1 << 20

// LoadTokens reads a tokens file: one "TOKEN ROLE [SUBJECT]" line per caller, '#' starting a
// comment. ROLE is uploader, counterpart or legal; for a counterpart SUBJECT is its id in the
// counterpart directory (required), for the others the user's name (default: the role). Tokens
// must be at least 16 characters. The file must not be readable by others (mode 0600).
func LoadTokens(path string) (*Tokens, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tokens file %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	t, err := ParseTokens(io.LimitReader(f, MaxTokensFile+1))
	if err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads the tokens file format (see LoadTokens).
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{byHash: map[[32]byte]Identity{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("line %d: want TOKEN ROLE [SUBJECT]", n)
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
			id.Subject = f[2]
		}
		if id.Role == RoleCounterpart {
			if len(f) != 3 {
				return nil, fmt.Errorf("line %d: a counterpart token needs the counterpart id", n)
			}
			id.Counterpart = f[2]
		}
		h := sha256.Sum256([]byte(f[0]))
		if _, dup := t.byHash[h]; dup {
			return nil, fmt.Errorf("line %d: token listed twice", n)
		}
		t.byHash[h] = id
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
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
