package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/evx-project/evx/shared/backend/local/internal/fsync"
	"github.com/evx-project/evx/shared/backend/local/keyfile"
	"github.com/evx-project/evx/shared/backend/local/sqliteledger"
	"github.com/evx-project/evx/shared/custody"
)

// NextKeyFile is the key a rotation introduces, in the data folder until the rotation is
// recorded and the key takes signing.key's place.
const NextKeyFile = "signing.key.next"

// Rotation is the result of RotateKey.
type Rotation struct {
	Retired, Introduced string        // key ids
	Event               custody.Entry // the KeyRotation event on custody.KeyLogSubject
	PublicKeyPEM        []byte        // the new key's public key (PKIX PEM)
}

// RotateKey replaces the data folder's signing key by a new Ed25519 key: the new key is
// written to signing.key.next (0600), the current key signs the KeyRotation statement
// introducing it (custody.Keeper.RotateKey, an event of the log itself), and then the new
// key takes signing.key's place; the retired private key is gone, its public key stays in
// the statement. It holds the data folder's lock throughout (an *InUseError while evx serve
// runs). A rotation interrupted after its statement was recorded is finished by the next
// OpenNode; one interrupted before leaves signing.key.next, which the next rotation uses.
func RotateKey(ctx context.Context, dir string, opt NodeOptions, reason string) (*Rotation, error) {
	lock, err := LockDataDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	n, err := OpenNode(ctx, dir, opt)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	next, err := keyfile.LoadOrCreate(filepath.Join(dir, NextKeyFile))
	if err != nil {
		return nil, fmt.Errorf("new signing key: %w", err)
	}
	origin := opt.Origin
	if origin == "" {
		origin = DefaultOrigin
	}
	now := time.Now
	if opt.Clock != nil {
		now = opt.Clock
	}
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: origin, Now: now}
	en, err := k.RotateKey(ctx, next.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, reason)
	if err != nil {
		return nil, err
	}
	if err := installNextKey(dir); err != nil {
		return nil, err
	}
	return &Rotation{Retired: n.Signer.KeyID(), Introduced: next.KeyID(), Event: en, PublicKeyPEM: next.PublicKeyPEM()}, nil
}

// installNextKey moves signing.key.next over signing.key (rename(2) replaces it in one step)
// and syncs the folder.
func installNextKey(dir string) error {
	if err := os.Rename(filepath.Join(dir, NextKeyFile), filepath.Join(dir, KeyFile)); err != nil {
		return fmt.Errorf("install new signing key: %w", err)
	}
	return fsync.Dir(dir)
}

// ledgerKey is the key the ledger expects to be signed with from now on: the key of its
// latest event, or, when that event is the latest rotation's own statement, the key the
// rotation introduced. A rotation whose statement was recorded but whose new key was not yet
// installed (RotateKey interrupted) is finished here.
func ledgerKey(ctx context.Context, dir string, l *sqliteledger.Ledger) (want string, used bool, err error) {
	want, used, err = l.LatestKeyID(ctx)
	if err != nil || !used {
		return want, used, err
	}
	last, ok, err := l.Last(ctx, custody.KeyLogSubject)
	if err != nil {
		return "", false, err
	}
	if !ok || last.Event.Type != custody.KeyRotation || last.Event.KeyID != want {
		return want, used, nil
	}
	want = last.Event.Details.Reference
	nextPath := filepath.Join(dir, NextKeyFile)
	if _, err := os.Stat(nextPath); errors.Is(err, fs.ErrNotExist) {
		return want, used, nil
	}
	next, err := keyfile.LoadOrCreate(nextPath) // present: loaded, never created
	if err == nil && next.KeyID() == want {
		if err := installNextKey(dir); err != nil {
			return "", false, err
		}
	}
	return want, used, nil
}
