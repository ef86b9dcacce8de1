package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// SyncAgencyKeys records every change to the agencies' seal keys that the log does not hold
// yet, on each agency's subject (custody.AgencySubject): a key new to the log as
// AgencyKeyAdded (AgencyKeyRotated, with the previous key's signature, when the directory
// says it replaces one; the directory checked that signature), a key the directory marks
// revoked as AgencyKeyRevoked, a key past its not_after at now as AgencyKeyExpired. Each is
// recorded once, so evx serve runs it at every start. It returns the events recorded.
func (s *Service) SyncAgencyKeys(ctx context.Context, agencies []Agency, now time.Time) ([]custody.Entry, error) {
	var out []custody.Entry
	for _, a := range agencies {
		subject := custody.AgencySubject(a.ID)
		for _, k := range a.AllSealKeys() {
			due := []custody.EventType{custody.AgencyKeyAdded}
			if k.RotatedFrom != "" {
				due[0] = custody.AgencyKeyRotated
			}
			if k.Revoked != "" {
				due = append(due, custody.AgencyKeyRevoked)
			}
			if k.NotAfter != "" {
				if t, err := time.Parse(custody.TimeFormat, k.NotAfter); err == nil && !now.Before(t) {
					due = append(due, custody.AgencyKeyExpired)
				}
			}
			for _, typ := range due {
				en, ok, err := s.appendOnce(ctx, subject, func(trail []custody.Entry) (*decision, error) {
					if _, done := find(trail, func(e custody.Event) bool {
						return e.Type == typ && e.Details.KeyChange != nil && e.Details.KeyChange.Key.KeyID == k.KeyID
					}); done {
						return nil, nil
					}
					kc := &custody.KeyChange{Agency: a.ID, Key: k}
					if typ == custody.AgencyKeyRotated {
						kc.PreviousKeyID, kc.RotationSignature = k.RotatedFrom, k.RotationSignature
					}
					return &decision{typ: typ, actor: system("directory"), details: custody.Details{Counterpart: a.ID, KeyChange: kc}}, nil
				})
				if err != nil {
					return out, fmt.Errorf("record %s of %s for %s: %w", typ, k.KeyID, a.ID, err)
				}
				if ok {
					out = append(out, en)
				}
			}
		}
	}
	return out, nil
}
