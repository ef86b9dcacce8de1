package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/evx-project/evx/shared/custody"
)

// ConsentError is a consent act that was refused: the caller is not the party that may ask
// or grant it, or the use is not one a consent is for.
type ConsentError struct {
	BundleID string
	Reason   string
}

func (e *ConsentError) Error() string {
	return fmt.Sprintf("consent on bundle %s refused: %s", e.BundleID, e.Reason)
}

// Consent is one consent event of a bundle, as evx consent list and the API show it.
type Consent struct {
	Seq    uint64 `json:"seq"`
	Type   string `json:"type"` // ConsentRequested or ConsentGranted
	Time   string `json:"time"`
	Use    string `json:"use"`
	To     string `json:"to,omitempty"`
	Asker  string `json:"asker"` // the agency that asked (Details.Counterpart)
	Agency string `json:"agency"`
	Person string `json:"person"`
}

func validUse(use, to string) error {
	switch {
	case use == custody.UseJudicial && to == "":
		return nil
	case use == custody.UseDissemination && to != "":
		return nil
	case use == custody.UseDissemination:
		return fmt.Errorf("a consent to dissemination names the agency the documents go to")
	case use == custody.UseJudicial:
		return fmt.Errorf("a consent to judicial use names no agency")
	}
	return fmt.Errorf("use %q is not %s or %s", use, custody.UseJudicial, custody.UseDissemination)
}

// acceptedTrail is the trail of an accepted bundle.
func (s *Service) acceptedTrail(ctx context.Context, bundleID string) ([]custody.Event, error) {
	trail, err := s.Events(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	if trail[0].Event.Type != custody.SubmissionAcceptance {
		return nil, &BundleNotFoundError{BundleID: bundleID}
	}
	return custody.EntryEvents(trail), nil
}

// consentCaller makes the checks asking and granting share: a known use, a caller that names
// its agency, an accepted bundle. It returns the caller and the bundle's events.
func (s *Service) consentCaller(ctx context.Context, bundleID, use, to string) (Party, []custody.Event, error) {
	if err := validUse(use, to); err != nil {
		return Party{}, nil, &ConsentError{BundleID: bundleID, Reason: err.Error()}
	}
	p, ok := ActingParty(ctx)
	if !ok || p.Agency == "" {
		return Party{}, nil, &ConsentError{BundleID: bundleID, Reason: "the caller names no agency"}
	}
	evs, err := s.acceptedTrail(ctx, bundleID)
	if err != nil {
		return Party{}, nil, err
	}
	return p, evs, nil
}

// RequestConsent records ConsentRequested: the caller's agency (ActingAs) asks the bundle's
// sender for consent to use (UseJudicial, or UseDissemination to agency to). The caller's
// agency must be one the bundle was consigned to. Asking again when the same consent is
// already asked or granted records nothing (a zero Entry, nil error).
func (s *Service) RequestConsent(ctx context.Context, bundleID, use, to string) (custody.Entry, error) {
	p, evs, err := s.consentCaller(ctx, bundleID, use, to)
	if err != nil {
		return custody.Entry{}, err
	}
	if !slices.Contains(evs[0].Details.Counterparts, p.Agency) {
		// Not a recipient: the bundle is not the caller's to ask about; as if it did not exist.
		return custody.Entry{}, &BundleNotFoundError{BundleID: bundleID}
	}
	en, _, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		for _, x := range trail {
			u, t := custody.ConsentOf(x.Event.Details)
			if (x.Event.Type == custody.ConsentRequested || x.Event.Type == custody.ConsentGranted) &&
				x.Event.Details.Counterpart == p.Agency && u == use && t == to {
				return nil, nil
			}
		}
		return &decision{typ: custody.ConsentRequested, actor: partyActor(custody.ActorCounterpart, p.Agency, p),
			details: custody.Details{Counterpart: p.Agency, Reasons: custody.ConsentReasons(use, to)}}, nil
	})
	return en, err
}

// GrantConsent records ConsentGranted: the bundle's sending agency (the caller, ActingAs)
// consents to use by agency asker (and, for dissemination, to agency to). Only the agency
// that submitted the bundle may grant; granting what is already granted records nothing.
func (s *Service) GrantConsent(ctx context.Context, bundleID, asker, use, to string) (custody.Entry, error) {
	p, evs, err := s.consentCaller(ctx, bundleID, use, to)
	if err != nil {
		return custody.Entry{}, err
	}
	if sender := custody.Sender(evs); sender != p.Agency {
		if slices.Contains(evs[0].Details.Counterparts, p.Agency) {
			return custody.Entry{}, &ConsentError{BundleID: bundleID, Reason: fmt.Sprintf("only the sending agency may grant consent; %s received the bundle", p.Agency)}
		}
		return custody.Entry{}, &BundleNotFoundError{BundleID: bundleID}
	}
	if asker == "" || !slices.Contains(evs[0].Details.Counterparts, asker) {
		return custody.Entry{}, &ConsentError{BundleID: bundleID, Reason: fmt.Sprintf("%q did not receive the bundle", asker)}
	}
	en, _, err := s.appendOnce(ctx, bundleID, func(trail []custody.Entry) (*decision, error) {
		for _, x := range trail {
			u, t := custody.ConsentOf(x.Event.Details)
			if x.Event.Type == custody.ConsentGranted && x.Event.Details.Counterpart == asker && u == use && t == to {
				return nil, nil
			}
		}
		return &decision{typ: custody.ConsentGranted, actor: partyActor(custody.ActorUser, UploaderName(p), p),
			details: custody.Details{Counterpart: asker, Reasons: custody.ConsentReasons(use, to)}}, nil
	})
	return en, err
}

// Consents lists the consent events of a bundle, for its sender or one of its recipients
// (anyone else: *BundleNotFoundError). A caller without an agency (the data folder's own
// operator) sees them all.
func (s *Service) Consents(ctx context.Context, bundleID string) ([]Consent, error) {
	evs, err := s.acceptedTrail(ctx, bundleID)
	if err != nil {
		return nil, err
	}
	if p, ok := ActingParty(ctx); ok && p.Agency != "" && p.Agency != custody.Sender(evs) && !slices.Contains(evs[0].Details.Counterparts, p.Agency) {
		return nil, &BundleNotFoundError{BundleID: bundleID}
	}
	out := []Consent{}
	for _, e := range evs {
		if e.Type != custody.ConsentRequested && e.Type != custody.ConsentGranted {
			continue
		}
		u, t := custody.ConsentOf(e.Details)
		out = append(out, Consent{Seq: e.Seq, Type: string(e.Type), Time: e.Time.UTC().Format(custody.TimeFormat),
			Use: u, To: t, Asker: e.Details.Counterpart, Agency: e.Actor.Agency, Person: e.Actor.Person})
	}
	return out, nil
}

// handlingOf is the handling code of the bundle event 1 of trail records, as access events
// carry it (H0: recorded on every access). nil when the bundle has none.
func handlingOf(trail []custody.Entry) *custody.Request {
	if len(trail) == 0 || trail[0].Event.Details.Request == nil || trail[0].Event.Details.Request.HandlingCode == "" {
		return nil
	}
	return &custody.Request{HandlingCode: trail[0].Event.Details.Request.HandlingCode}
}
