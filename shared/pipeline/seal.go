package pipeline

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
)

// checkSeal judges the sending agency's seal on bag (docs/seals.md) for a submission by
// uploader received at now. It returns the seal to record on SubmissionAcceptance (nil when
// the bag carries none and none is required), or the reasons to reject the bundle: a seal
// that is malformed, by a key the agency does not hold, that does not verify, covers other
// manifests, names another agency or person than the submitter, or is missing where the
// agency requires one. An error is returned only when the directory cannot be read.
func (s *Service) checkSeal(ctx context.Context, bag *bagit.Bag, uploader Party, now time.Time) (*custody.SealRecord, []string, error) {
	data, sealed := bag.TagFile(custody.BagSealFile)
	lookup := func(id string) (Agency, bool, error) {
		a, err := s.c.Directory.Counterpart(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Agency{}, false, nil
		}
		return a, err == nil, err
	}
	if !sealed {
		if uploader.Agency == "" {
			return nil, nil, nil
		}
		a, ok, err := lookup(uploader.Agency)
		if err != nil {
			return nil, nil, err
		}
		if ok && a.RequireSeal {
			return nil, []string{fmt.Sprintf("agency %s requires its seal on the bags it sends; the bag carries no %s (seal it: evx bag create --seal-key)", a.ID, custody.BagSealFile)}, nil
		}
		return nil, nil, nil
	}
	tag, err := custody.ParseBagSealTag(data)
	if err != nil {
		return nil, []string{err.Error()}, nil
	}
	st, _, err := custody.BagStatementOf(tag.Statement, tag.KeyID)
	if err != nil {
		return nil, []string{err.Error()}, nil
	}
	var reasons []string
	if uploader.Agency == "" {
		// The event names the submitter as evx authenticated them; a seal can only be held to
		// a submitter who belongs to an agency.
		return nil, []string{fmt.Sprintf("the bag is sealed by agency %s, but the submitter %q belongs to no agency in evx's identities (a tokens line \"TOKEN uploader AGENCY PERSON\" names one)", st.Agency, uploader.Person)}, nil
	}
	if st.Agency != uploader.Agency {
		reasons = append(reasons, fmt.Sprintf("the seal is agency %s's, the bundle was submitted by a person of %s", st.Agency, uploader.Agency))
	}
	if st.Person != uploader.Person {
		reasons = append(reasons, fmt.Sprintf("the seal names %s of %s as the sender, the bundle was submitted by %s", st.Person, st.Agency, uploader.Person))
	}
	a, ok, err := lookup(st.Agency)
	switch {
	case err != nil:
		return nil, nil, err
	case !ok:
		return nil, append(reasons, fmt.Sprintf("the seal names agency %q, which is not in the agency directory", st.Agency)), nil
	case !a.Sends():
		return nil, append(reasons, fmt.Sprintf("the seal names agency %s, which the agency directory does not let send", st.Agency)), nil
	}
	key, ok := a.SealKey(tag.KeyID)
	if !ok {
		return nil, append(reasons, (&custody.SealError{Agency: a.ID, KeyID: tag.KeyID, Reason: "the key is not one of the agency's seal keys in the agency directory"}).Error()), nil
	}
	files := map[string][]byte{}
	for _, n := range custody.SealFileNames(bag.TagFiles()) {
		files[n], _ = bag.TagFile(n)
	}
	if _, err := custody.CheckBagSeal(tag.Statement, tag.Signature, key, files, now); err != nil {
		return nil, append(reasons, err.Error()), nil
	}
	if len(reasons) > 0 {
		return nil, reasons, nil
	}
	rec := &custody.SealRecord{KeyID: tag.KeyID, Statement: tag.Statement, Signature: tag.Signature, Key: key}
	if m, ok := files["manifest-sha256.txt"]; ok {
		rec.Manifest = base64.StdEncoding.EncodeToString(m)
	}
	return rec, nil, nil
}
