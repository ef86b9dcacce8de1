package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

// witnessInputs are evx verify's witness flags: the verifier keys of the witnesses trusted
// and how many of them must have cosigned.
type witnessInputs struct {
	keys   repeated
	quorum int
}

func (in *witnessInputs) register(fs *flag.FlagSet) {
	fs.Var(&in.keys, "witness", "a trusted witness's verifier key file (C2SP vkey, as evx witness --new-key writes FILE.vkey); repeat for each")
	fs.IntVar(&in.quorum, "quorum", 0, "how many of the --witness keys must have cosigned the trail's checkpoint (default: all given)")
}

// apply reads the key files into opt. Its errors are unreadable input (exit 2).
func (in *witnessInputs) apply(opt *custody.VerifyOptions) error {
	q := in.quorum
	if q == 0 {
		q = len(in.keys)
	}
	if q < 0 || q > len(in.keys) {
		return fmt.Errorf("--quorum %d: want 1 to the %d --witness key(s) given", in.quorum, len(in.keys))
	}
	seen := map[string]string{}
	for _, f := range in.keys {
		b, err := readLimited(f, 4<<10)
		if err != nil {
			return err
		}
		vkey := strings.TrimSpace(string(b))
		v, err := custody.CosignatureVerifier(vkey)
		if err != nil {
			return fmt.Errorf("--witness %s: %w", f, err)
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if other, dup := seen[id]; dup {
			return fmt.Errorf("--witness %s: the same witness key as %s: a quorum counts distinct witnesses", f, other)
		}
		seen[id] = f
		opt.Witnesses = append(opt.Witnesses, vkey)
	}
	opt.Quorum = q
	return nil
}

// printCompleteness says what the verification proved of the trail's completeness.
func printCompleteness(w io.Writer, rep *custody.Report) {
	c := rep.Complete
	switch {
	case c == nil:
		fmt.Fprintln(w, "  completeness not proven: the trail's checkpoint commits to no bundle heads (a trail of an earlier evx)")
	case c.Witnessed:
		fmt.Fprintf(w, "  complete as of checkpoint %d, witnessed: cosigned by %s\n", c.Size, strings.Join(c.Cosigners, ", "))
	default:
		fmt.Fprintf(w, "  complete as of checkpoint %d, on evx's word (no witness quorum asked: see --witness, --quorum)\n", c.Size)
	}
}
