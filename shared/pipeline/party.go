package pipeline

import (
	"context"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

// Party is a person acting within an agency: the uploader who submits a bundle, the
// counterpart's officer who fetches, accepts or refuses it. Agency is the agency's id in the
// directory.
type Party struct {
	Agency string `json:"agency"`
	Person string `json:"person"`
}

type partyKey struct{}

// ActingAs returns ctx carrying p as the authenticated caller: the host (the API, evx's own
// commands) sets it once it has established who is calling, and every event the Service
// records for that call names p (custody.Actor Agency and Person).
func ActingAs(ctx context.Context, p Party) context.Context {
	return context.WithValue(ctx, partyKey{}, p)
}

// ActingParty returns the caller ActingAs set, and whether one was set.
func ActingParty(ctx context.Context) (Party, bool) {
	p, ok := ctx.Value(partyKey{}).(Party)
	return p, ok && p.Person != ""
}

// UploaderName is how an upload records a person of an agency as its uploader
// ("AGENCY/PERSON"; Upload.Uploader): agency ids never hold '/'.
func UploaderName(p Party) string {
	if p.Agency == "" {
		return p.Person
	}
	return p.Agency + "/" + p.Person
}

// UploaderParty reads UploaderName's form; an uploader recorded without an agency (before
// uploaders belonged to agencies) has an empty Agency.
func UploaderParty(uploader string) Party {
	if a, p, ok := strings.Cut(uploader, "/"); ok {
		return Party{Agency: a, Person: p}
	}
	return Party{Person: uploader}
}

// partyActor is the actor of an act of a party: kind (custody.ActorUser or
// custody.ActorCounterpart) and id as version 1 events spell them, with the agency and the
// person when known.
func partyActor(kind, id string, p Party) custody.Actor {
	return custody.Actor{Kind: kind, ID: id, Agency: p.Agency, Person: p.Person}
}

// counterpartActor is the actor of an act of counterpart's officer acting in ctx.
func counterpartActor(ctx context.Context, counterpart string) custody.Actor {
	p, ok := ActingParty(ctx)
	if !ok || p.Agency != counterpart {
		return custody.Actor{Kind: custody.ActorCounterpart, ID: counterpart}
	}
	return partyActor(custody.ActorCounterpart, counterpart, p)
}

// submitter is the actor of a submission by uploader (Upload.Uploader): the person and their
// agency when the upload records an agency, else fallback (an upload recorded before
// uploaders belonged to agencies, or by a host that names none).
func submitter(uploader string, fallback custody.Actor) custody.Actor {
	p := UploaderParty(uploader)
	if p.Agency == "" || p.Person == "" {
		return fallback
	}
	return partyActor(custody.ActorUser, uploader, p)
}
