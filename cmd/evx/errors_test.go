package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestActionableErrors: an unreachable server names its URL and --server; a refused token
// names --token and $EVX_TOKEN; a plain-HTTP token to another host is warned about.
func TestActionableErrors(t *testing.T) {
	clearEnv(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String()
	ln.Close()
	code, _, errs := runCmd(t, "pull", "--server", down, "--token", "some-token-00000001")
	if code != exitInvalid || !strings.Contains(errs, "cannot reach the evx server at "+down) || !strings.Contains(errs, "check --server") {
		t.Errorf("pull from a closed port = %d %q; want the URL and --server named", code, errs)
	}

	url, _ := pullServer(t, false)
	code, _, errs = runCmd(t, "pull", "--server", url, "--token", "wrong-token-0000001", "--out", t.TempDir())
	if code != exitInvalid || !strings.Contains(errs, "rejected the token") || !strings.Contains(errs, "--token") || !strings.Contains(errs, "$EVX_TOKEN") {
		t.Errorf("pull with a wrong token = %d %q; want --token and $EVX_TOKEN named", code, errs)
	}
}

func TestInsecureTokenWarning(t *testing.T) {
	clearEnv(t)
	// Nothing listens on a documentation address's port 9; only the warning matters.
	for _, tc := range []struct {
		server string
		warn   bool
	}{
		{"http://127.0.0.1:9", false},
		{"http://localhost:9", false},
		{"http://192.0.2.1:9", true},
	} {
		var out, errb bytes.Buffer
		// An unreachable address fails fast enough with a context already ended; the
		// warning comes before any request.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		run(ctx, []string{"trail", "--server", tc.server, "--token", "some-token-00000001", strings.Repeat("0", 64)}, &out, &errb)
		if got := strings.Contains(errb.String(), "over plain HTTP"); got != tc.warn {
			t.Errorf("trail --server %s: warned %v, want %v (%q)", tc.server, got, tc.warn, errb.String())
		}
	}
}

func TestMistypedLabel(t *testing.T) {
	for _, tc := range []struct {
		field, want string
	}{
		{"EVX-Handlng-Code=H1", "did you mean EVX-Handling-Code?"},
		{"EVX-Legal-Bases=EU-EIO", "did you mean EVX-Legal-Basis?"},
		{"evx-counterpart=nl-om", ""}, // known, other letter case: accepted
		{"EVX-Something-Else=x", "evx's fields are"},
	} {
		code, _, errs := runCmd(t, "bag", "create", "--counterpart", "nl-om", "--field", tc.field, "-o", t.TempDir()+"/b.zip", sampleFiles(t)[0])
		if tc.want == "" {
			if code != exitOK {
				t.Errorf("--field %s = %d %q, want accepted", tc.field, code, errs)
			}
			continue
		}
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("--field %s = %d %q, want 2 and %q", tc.field, code, errs, tc.want)
		}
	}
	info, err := bagInfo(nil, []string{"evx-handling-code=H2"})
	if err != nil || info[0].Label != "EVX-Handling-Code" {
		t.Errorf("bagInfo(evx-handling-code) = %v, %v; want the label in its own spelling", info, err)
	}
}

// TestMissingArgument: a command missing its argument names it.
func TestMissingArgument(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trail", "--data", t.TempDir()}, "missing argument BUNDLE"},
		{[]string{"verify", "--key", "k.pem"}, "missing argument TRAIL.json"},
		{[]string{"upload", "--counterpart", "nl-om"}, "missing argument FILE|FOLDER|BAG.zip"},
		{[]string{"report"}, "missing argument"},
		{[]string{"extract"}, "missing argument FILE"},
		{[]string{"verify", "trail.json"}, "--key is required"},
		{[]string{"pul"}, `did you mean "pull"?`},
	} {
		code, _, errs := runCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("evx %v = %d %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := runCmd(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "evx ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("evx %v = %d %q, want the version and %s", args, code, out, runtime.Version())
		}
	}
	code, out, _ := runCmd(t, "version", "--json")
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); code != exitOK || err != nil || b.Go != runtime.Version() || b.Module == "" || b.Version == "" {
		t.Errorf("evx version --json = %d %s (%v)", code, out, err)
	}
}

// TestProgress: on a terminal the meter shows bytes, total, rate, time left and the file;
// elsewhere plain lines at most every plainEvery; with --json nothing.
func TestProgress(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var tw fakeTerminal
	m := newMeter(&tw, false, "uploading", 100<<20)
	m.now = now
	m.start, m.last = clock, clock
	m.file("data/big.pdf")
	m.add(10 << 20) // within the first second: nothing yet
	if tw.Len() != 0 {
		t.Errorf("meter drew %q within the first second", tw.String())
	}
	clock = clock.Add(2 * time.Second)
	m.add(10 << 20)
	want := "\ruploading 20.0 MiB of 100 MiB (20%), 10.0 MiB/s, 8s left: data/big.pdf"
	if tw.String() != want {
		t.Errorf("terminal line %q, want %q", tw.String(), want)
	}
	m.finish()
	if !strings.HasSuffix(tw.String(), "\r\033[K") {
		t.Errorf("finish left %q, want the line cleared", tw.String())
	}

	var plain bytes.Buffer
	p := newMeter(&plain, false, "pulling", 0)
	p.now = now
	p.start, p.last = clock, clock
	clock = clock.Add(2 * time.Second)
	p.add(1)
	clock = clock.Add(time.Second)
	p.add(1) // within plainEvery of the last line
	if got := strings.Count(plain.String(), "\n"); got != 1 || strings.Contains(plain.String(), "\r") || !strings.HasPrefix(plain.String(), "evx: pulling 1 byte") {
		t.Errorf("plain output %q, want one plain line", plain.String())
	}
	if newMeter(&tw, true, "x", 1) != nil {
		t.Error("--json meter is not off")
	}
	// --json on a terminal: bag validate prints no progress on stderr.
	tw.Reset()
	bag := createSample(t, "b.zip")
	var out bytes.Buffer
	if code := run(t.Context(), []string{"bag", "validate", "--json", bag}, &out, &tw); code != exitOK || tw.Len() != 0 {
		t.Errorf("bag validate --json = %d, stderr %q; want nothing on stderr", code, tw.String())
	}
}

type fakeTerminal struct{ bytes.Buffer }

func (*fakeTerminal) IsTerminal() bool { return true }

func TestHumanUnits(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 1023: "1023 bytes", 1536: "1.5 KiB", 5 << 30: "5.0 GiB", 300 << 20: "300 MiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := count(1, "document"); got != "1 document" {
		t.Errorf("count(1) = %q", got)
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 200 * time.Second: "3m20s", 2*time.Hour + 5*time.Minute: "2h05m"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
