package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// sealFlags are the flags that seal a bag: the sending agency's private key and the agency
// and person the seal's statement names (docs/seals.md).
type sealFlags struct {
	key, agency, person *string
}

func (s *sealFlags) register(fs *flag.FlagSet) {
	s.key = fs.String("seal-key", "", "seal the bag with the sending agency's private key `FILE` (PEM, Ed25519 or ECDSA P-256; docs/seals.md)")
	s.agency = fs.String("agency", "", "with --seal-key: the sending agency's `ID` in the agency directory")
	s.person = fs.String("person", "", "with --seal-key: the `PERSON` of the agency who seals and sends")
}

// registerFor registers --seal-key and --person; agency is the command's own --agency.
func (s *sealFlags) registerFor(fs *flag.FlagSet, agency *string) {
	s.key = fs.String("seal-key", "", "seal the bag with the sending agency's private key `FILE` (PEM, Ed25519 or ECDSA P-256; docs/seals.md)")
	s.agency = agency
	s.person = fs.String("person", "", "with --seal-key: the `PERSON` of the agency who seals and sends")
}

// hook returns the bagit.CreateOptions.Seal function, nil without --seal-key.
func (s *sealFlags) hook(ctx context.Context) (func(map[string][]byte) (string, []byte, error), error) {
	if *s.key == "" {
		if *s.person != "" {
			return nil, errors.New("--person names who seals: give --seal-key too")
		}
		return nil, nil
	}
	if *s.agency == "" || *s.person == "" {
		return nil, errors.New("--seal-key needs --agency and --person: the seal names the sending agency and the person who sends")
	}
	data, err := os.ReadFile(*s.key)
	if err != nil {
		return nil, err
	}
	signer, err := custody.ParseSealKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *s.key, err)
	}
	return func(tags map[string][]byte) (string, []byte, error) {
		b, err := custody.SealBag(ctx, signer, *s.agency, *s.person, tags, time.Now())
		return custody.BagSealFile, b, err
	}, nil
}
