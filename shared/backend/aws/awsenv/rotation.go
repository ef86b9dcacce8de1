package awsenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// RecordRotation makes sure the custody log records the rotation from the retired signing
// key to the current one: when the log's latest KeyRotation does not already introduce
// current, the retired key signs one that does (custody.Keeper.RotateKey). Every function's
// cold start may call it; the conditional append lets one win, and the others find its
// statement. It reports whether this call recorded it.
//
// On AWS a rotation is a configuration change: EVX_SIGNING_KEY names the new KMS key and
// EVX_RETIRED_SIGNING_KEY the key it replaces. dynamoledger then refuses appends signed by
// the retired key (a function still running with the old configuration cannot append
// after the statement), so every trail verifies across the rotation.
func RecordRotation(ctx context.Context, l custody.Ledger, retired, current custody.Signer, origin string, now func() time.Time) (bool, error) {
	done := func() (bool, error) {
		last, ok, err := l.Last(ctx, custody.KeyLogSubject)
		if err != nil {
			return false, fmt.Errorf("key rotations: %w", err)
		}
		return ok && last.Event.Type == custody.KeyRotation && last.Event.Details.Reference == current.KeyID(), nil
	}
	if ok, err := done(); ok || err != nil {
		return false, err
	}
	if retired.KeyID() == current.KeyID() {
		return false, fmt.Errorf("EVX_RETIRED_SIGNING_KEY names the current signing key %s", current.KeyID())
	}
	k := &custody.Keeper{Ledger: l, Signer: retired, Origin: origin, Now: now}
	_, err := k.RotateKey(ctx, current.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, "EVX_SIGNING_KEY names a new key")
	var ce *custody.ConflictError
	if errors.As(err, &ce) {
		if ok, derr := done(); ok || derr != nil { // another cold start recorded it first
			return false, derr
		}
	}
	if err != nil {
		return false, fmt.Errorf("record the key rotation: %w", err)
	}
	return true, nil
}
