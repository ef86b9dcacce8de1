package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	if err != nil {
		return en, err
	}
	if use == custody.UseDissemination {
		// A bundle withheld for want of this consent goes out now.
		if err := s.rerouteAfterGrant(ctx, bundleID, asker, to); err != nil {
			return en, err
		}
	}
	return en, nil
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

// withheld are the counterparts of bundle acc (its SubmissionAcceptance) that routing must
// not consign to under H2 (no further dissemination without permission): a document of the
// bundle is content-addressed, so when the bundle's sending agency received the same document
// (same SHA-256) in an H2 bundle from another agency, the bundle goes to no third agency
// that original sender has not consented to (ConsentGranted, use=dissemination, to=AGENCY,
// on the original bundle's chain). For each such counterpart the consent is asked for on the
// original bundle (ConsentRequested by route, once, with "for=BUNDLE" naming this one), and
// GrantConsent routes this bundle again once it is granted. The original sender itself is
// never withheld.
func (s *Service) withheld(ctx context.Context, bundleID string, acc custody.Event) (map[string]string, error) {
	sender := acc.Actor.Agency
	if sender == "" || len(acc.Details.Documents) == 0 && acc.Details.DocumentManifest == nil {
		return nil, nil
	}
	accDocs, err := s.EventDocuments(ctx, acc)
	if err != nil {
		return nil, err
	}
	mine := map[string]string{}
	for _, d := range accDocs {
		mine[d.SHA256] = d.Name
	}
	received, err := s.c.Deliveries.ListDeliveries(ctx, sender)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", sender, err)
	}
	out := map[string]string{}
	for _, d := range received {
		if d.BundleID == bundleID || (d.Handling != "" && d.Handling != custody.HandlingH2) {
			continue // only H2 bundles, and those indexed before deliveries kept their code, are read
		}
		trail, err := s.c.Ledger.Events(ctx, d.BundleID)
		if err != nil {
			return nil, fmt.Errorf("read trail of %s: %w", d.BundleID, err)
		}
		evs := custody.EntryEvents(trail)
		if custody.BundleHandlingCode(evs) != custody.HandlingH2 {
			continue
		}
		shared := ""
		theirs, err := s.EventDocuments(ctx, evs[0])
		if err != nil {
			return nil, err
		}
		for _, doc := range theirs {
			if n, ok := mine[doc.SHA256]; ok {
				shared = n
				break
			}
		}
		if shared == "" {
			continue
		}
		origin := custody.Sender(evs)
		for _, cp := range acc.Details.Counterparts {
			if cp == origin || out[cp] != "" || custody.Consented(evs, custody.UseDissemination, cp) {
				continue
			}
			out[cp] = fmt.Sprintf("%s was received under H2 from %s in bundle %s; %s has not consented to its dissemination to %s", shared, or(origin, "its sender"), d.BundleID, or(origin, "the sender"), cp)
			if err := s.askDissemination(ctx, d.BundleID, sender, cp, bundleID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// askDissemination records, once, on the original bundle, that asker asks to pass its
// documents on to to in bundle forBundle.
func (s *Service) askDissemination(ctx context.Context, original, asker, to, forBundle string) error {
	_, _, err := s.appendOnce(ctx, original, func(trail []custody.Entry) (*decision, error) {
		for _, x := range trail {
			u, t := custody.ConsentOf(x.Event.Details)
			if x.Event.Type == custody.ConsentRequested && x.Event.Details.Counterpart == asker && u == custody.UseDissemination && t == to &&
				slices.Contains(x.Event.Details.Reasons, "for="+forBundle) {
				return nil, nil
			}
		}
		return &decision{typ: custody.ConsentRequested, actor: system("route"), details: custody.Details{
			Counterpart: asker, Reasons: append(custody.ConsentReasons(custody.UseDissemination, to), "for="+forBundle)}}, nil
	})
	return err
}

// rerouteAfterGrant routes again every bundle that route withheld from to for want of this
// consent on original (the "for=BUNDLE" of its ConsentRequested events).
func (s *Service) rerouteAfterGrant(ctx context.Context, original, asker, to string) error {
	trail, err := s.c.Ledger.Events(ctx, original)
	if err != nil {
		return fmt.Errorf("read trail of %s: %w", original, err)
	}
	for _, x := range trail {
		u, t := custody.ConsentOf(x.Event.Details)
		if x.Event.Type != custody.ConsentRequested || x.Event.Details.Counterpart != asker || u != custody.UseDissemination || t != to {
			continue
		}
		for _, r := range x.Event.Details.Reasons {
			if b, ok := strings.CutPrefix(r, "for="); ok {
				if _, err := s.Route(ctx, b); err != nil {
					return fmt.Errorf("route %s after consent: %w", b, err)
				}
			}
		}
	}
	return nil
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
