package main

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// demoWitnesses lets each of the counterparts witness evx's log, as evx witness does: a key of
// its own under out/witness/, a state folder beside it, one auditing round (the log's leaves
// replayed, its heads line checked) against x(who). It returns
// their verifier keys (what a verifier is given) and what each round printed.
func demoWitnesses(ctx context.Context, out string, who []string, x func(who string) exchange, pub crypto.PublicKey) (vkeys, said []string, err error) {
	for _, w := range who {
		key := filepath.Join(out, "witness", w+".key")
		if _, _, err := createWitnessKey(key, w+".example/witness"); err != nil {
			return nil, nil, err
		}
		var stdout, stderr bytes.Buffer
		wf := witnessFlags{key: key, state: filepath.Join(out, "witness", w+"-state"), audit: true}
		if code := witnessRound(ctx, x(w), wf, pub, "witness "+w, false, &stdout, &stderr); code != exitOK {
			return nil, nil, fmt.Errorf("%s did not cosign: %s", w, strings.TrimSpace(stderr.String()))
		}
		vk, err := os.ReadFile(key + ".vkey")
		if err != nil {
			return nil, nil, err
		}
		vkeys = append(vkeys, strings.TrimSpace(string(vk)))
		said = append(said, strings.TrimSpace(stdout.String()))
	}
	return vkeys, said, nil
}
