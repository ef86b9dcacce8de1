package dynamoledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/custody"
)

// The log head names the key that signs the log: another key cannot append, until a
// KeyRotation signed by the current key moves the head to its successor; then the retired
// key cannot append.
func TestAppendOnlyByTheLogsKey(t *testing.T) {
	testKeyRule(t, &Ledger{db: &recorder{items: map[string]map[string]types.AttributeValue{}}, custody: "custody", log: "log"})
}

// testKeyRule runs the key rule against l (the recorder here, the emulators in the
// integration tests).
func testKeyRule(t *testing.T, l *Ledger) {
	t.Helper()
	signer := func() *custody.Ed25519Signer {
		_, priv, _ := ed25519.GenerateKey(nil)
		s, err := custody.NewEd25519Signer(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := signer(), signer()
	ctx := context.Background()
	i := 0
	appendBy := func(s custody.Signer) error {
		i++
		e := custody.Event{BundleID: fmt.Sprintf("b-%d", i), Seq: 1, Type: custody.FixityCheck,
			Time: time.Date(2026, 11, 27, 8, 0, i, 0, time.UTC), Actor: custody.Actor{Kind: "system", ID: "evx"}}
		if err := custody.Seal(ctx, s, &e); err != nil {
			t.Fatal(err)
		}
		_, err := l.Append(ctx, e)
		return err
	}
	var ke *KeyError
	if err := appendBy(a); err != nil {
		t.Fatalf("first append: %v", err)
	}
	if err := appendBy(b); !errors.As(err, &ke) || ke.Want != a.KeyID() || ke.Got != b.KeyID() {
		t.Fatalf("append by another key = %v, want *KeyError naming both", err)
	}
	k := &custody.Keeper{Ledger: l, Signer: a, Origin: "evx.example/custody", Now: func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }}
	if _, err := k.RotateKey(ctx, b.Public(), custody.Actor{Kind: "system", ID: "key-rotate"}, ""); err != nil {
		t.Fatalf("rotation by the log's key: %v", err)
	}
	if err := appendBy(a); !errors.As(err, &ke) || ke.Want != b.KeyID() {
		t.Fatalf("append by the retired key = %v, want *KeyError wanting the new key", err)
	}
	if err := appendBy(b); err != nil {
		t.Fatalf("append by the new key: %v", err)
	}
}
