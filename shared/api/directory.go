package api

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/evx-project/evx/shared/pipeline"
)

// CounterpartLister lists the counterpart directory (directory.Directory.Counterparts).
type CounterpartLister interface {
	Counterparts() []pipeline.Counterpart
}

// DirectoryEntry is one counterpart as GET /v1/directory shows it: what a person needs to
// choose it and what it accepts, never how it authenticates (issuer, client id, AWS account).
type DirectoryEntry struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Country       string   `json:"country"`
	LegalBases    []string `json:"legal_bases"`
	HandlingCodes []string `json:"handling_codes"`
	Active        bool     `json:"active"`
}

// DirectoryResult is the body of GET /v1/directory.
type DirectoryResult struct {
	Counterparts []DirectoryEntry `json:"counterparts"`
	// HandlingCodes are the handling codes a bundle may carry, least restricted first.
	HandlingCodes []string `json:"handling_codes"`
	// Agency is the caller's own agency, for a person who acts for one: whether it must seal
	// what it sends and its receipts, and the ids of the seal keys it may seal with (the
	// pages check a key loaded in the browser against them before sealing).
	Agency *OwnAgency `json:"agency,omitempty"`
	// Home is the deployment's own agency (WithHomeAgency), which its uploaders send for
	// when their identity names no agency.
	Home string `json:"home,omitempty"`
}

// OwnAgency is the caller's agency as GET /v1/directory shows it to the caller.
type OwnAgency struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Country               string   `json:"country"`
	RequireSeal           bool     `json:"require_seal"`
	RequireSignedReceipts bool     `json:"require_signed_receipts"`
	SealKeys              []string `json:"seal_keys"`
}

// handlingCodes are the codes of EVX-Handling-Code (docs/bundles.md).
var handlingCodes = []string{"H0", "H1", "H2", "H3"}

// WithDirectory serves GET /v1/directory from d, so that the pages offer counterparts, legal
// bases and handling codes to choose from rather than to type. Each role sees what it may:
// an uploader the active counterparts it can send to; legal staff every counterpart,
// inactive ones too (bundles were sent to them); a counterpart only its own entry. It
// returns h.
//
// The report (GET /v1/bundles/{id}/report) then names agencies in full.
func (h *Handler) WithDirectory(d CounterpartLister) *Handler {
	h.agencyName = func(id string) string {
		for _, c := range d.Counterparts() {
			if c.ID == id {
				return c.Name
			}
		}
		return ""
	}
	h.mux.HandleFunc("GET /v1/directory", h.as(func(w http.ResponseWriter, r *http.Request) { h.getDirectory(w, r, d) }, RoleUploader, RoleCounterpart, RoleLegal))
	return h
}

func (h *Handler) getDirectory(w http.ResponseWriter, r *http.Request, d CounterpartLister) {
	id := identity(r)
	out := DirectoryResult{Counterparts: []DirectoryEntry{}, HandlingCodes: handlingCodes, Home: h.home}
	own := id.Agency
	if id.Role == RoleCounterpart {
		own = id.Counterpart
	}
	for _, c := range d.Counterparts() {
		if own != "" && c.ID == own {
			out.Agency = &OwnAgency{ID: c.ID, Name: c.Name, Country: c.Country, RequireSeal: c.RequireSeal, RequireSignedReceipts: c.RequireSignedReceipts, SealKeys: []string{}}
			for _, k := range c.AllSealKeys() {
				out.Agency.SealKeys = append(out.Agency.SealKeys, k.KeyID)
			}
		}
		switch {
		case !c.Receives():
			continue // an agency that only sends is no one's recipient
		case id.Role == RoleCounterpart && c.ID != id.Counterpart:
			continue
		case id.Role == RoleUploader && !c.Active:
			continue
		}
		out.Counterparts = append(out.Counterparts, DirectoryEntry{ID: c.ID, Name: c.Name, Country: c.Country,
			LegalBases: nonNil(c.LegalBases), HandlingCodes: nonNil(c.HandlingCodes), Active: c.Active})
	}
	slices.SortFunc(out.Counterparts, func(a, b DirectoryEntry) int {
		return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.ID, b.ID))
	})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
