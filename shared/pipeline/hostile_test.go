package pipeline_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

type member struct {
	name string
	data []byte
	typ  byte // tar type flag; 0 for a regular file
	link string
}

// bagFolder creates a valid bag folder of the sample evidence and returns it.
func bagFolder(t testing.TB, in bagit.Info) string {
	out := filepath.Join(t.TempDir(), "bag")
	if _, err := bagit.Create(out, evidence(t), bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	return out
}

// members lists a bag folder's files, tag files first as Create writes them.
func members(t testing.TB, dir string) []member {
	var tags, payload []member
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m := member{name: filepath.ToSlash(rel), data: b}
		if strings.HasPrefix(m.name, "data/") {
			payload = append(payload, m)
		} else {
			tags = append(tags, m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(tags, payload...)
}

func zipMembers(t testing.TB, ms []member) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarMembers(t testing.TB, ms []member) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
		if m.typ != 0 {
			h.Typeflag, h.Linkname, h.Size = m.typ, m.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == 0 {
			tw.Write(m.data)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func edit(ms []member, name string, f func(m *member)) []member {
	out := make([]member, 0, len(ms))
	for _, m := range ms {
		if m.name == name {
			f(&m)
			if m.name == "" {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// TestHostileBundlesRejected feeds bags that break the bundle rules, each named for what it
// breaks, through the whole pipeline: each must be rejected with every reason, deliver
// nothing, and leave a verifying trail.
func TestHostileBundlesRejected(t *testing.T) {
	good := members(t, bagFolder(t, info("nl-om", "es-fge")))
	noCP := members(t, bagFolder(t, info()))
	unknownOnly := members(t, bagFolder(t, info("xx-nobody")))
	inactiveOnly := members(t, bagFolder(t, info("pt-pj")))
	basisOnly := members(t, bagFolder(t, info("co-fgn")))
	flip := func(m *member) { m.data = append([]byte{m.data[0] ^ 1}, m.data[1:]...) }
	zeros := make([]byte, 8<<20)
	bomb := zipMembers(t, append(good, member{name: "data/zeros.bin", data: zeros}))

	cases := []struct {
		name string
		data []byte
		want []string // substrings of the reasons, all required
	}{
		{"payload-bit-flip", zipMembers(t, edit(good, "data/ledger.csv", flip)), []string{"data/ledger.csv"}},
		{"payload-missing", zipMembers(t, edit(good, "data/messages.eml", func(m *member) { m.name = "" })), []string{"data/messages.eml"}},
		{"payload-unlisted-and-bit-flip", zipMembers(t, append(edit(good, "data/ledger.csv", flip), member{name: "data/extra.txt", data: []byte("x")})),
			[]string{"data/extra.txt", "data/ledger.csv"}},
		{"fetch-txt", zipMembers(t, append(good[:1:1], append([]member{{name: "fetch.txt", data: []byte("https://example.org/x 1 data/x\n")}}, good[1:]...)...)), []string{"fetch.txt"}},
		{"no-counterpart", zipMembers(t, noCP), []string{"EVX-Counterpart"}},
		{"counterpart-unknown", zipMembers(t, unknownOnly), []string{"no counterpart", `"xx-nobody" is not in the counterpart directory`}},
		{"counterpart-inactive", zipMembers(t, inactiveOnly), []string{"pt-pj", "inactive"}},
		{"legal-basis-refused", zipMembers(t, basisOnly), []string{`co-fgn does not accept legal basis "EU-EIO"`}},
		{"zip-slip-dotdot", zipMembers(t, append(good, member{name: "../evil.txt", data: []byte("x")})), []string{"../evil.txt"}},
		{"zip-slip-absolute", zipMembers(t, append(good, member{name: "/etc/cron.d/evil", data: []byte("x")})), []string{"/etc/cron.d/evil"}},
		{"tar-symlink", tarMembers(t, append(good, member{name: "data/link", typ: tar.TypeSymlink, link: "/etc/passwd"})), []string{"data/link"}},
		{"tar-hardlink", tarMembers(t, append(good, member{name: "data/hard", typ: tar.TypeLink, link: "../../etc/passwd"})), []string{"data/hard"}},
		{"zip-bomb-ratio", bomb, []string{"MaxRatio"}},
		{"zip-truncated", func() []byte { z := zipMembers(t, good); return z[:len(z)/2] }(), nil},
		{"not-an-archive", []byte("this is a seizure report, not a bag\n"), nil},
		{"empty-file", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			n := openNode(t, t.TempDir(), newClock())
			id := upload(t, n, tc.data)
			st, err := n.Service.Process(ctx, id)
			if err != nil {
				t.Fatalf("Process = %v, want a rejection", err)
			}
			if st.Ingest.Accepted || st.Upload.State != pipeline.UploadRejected || len(st.Deliveries) != 0 {
				t.Fatalf("Process = accepted %v, state %s, %d deliveries; want rejected", st.Ingest.Accepted, st.Upload.State, len(st.Deliveries))
			}
			if len(st.Ingest.Reasons) == 0 {
				t.Fatal("rejected without a reason")
			}
			joined := strings.Join(st.Ingest.Reasons, "\n")
			t.Logf("reasons: %q", st.Ingest.Reasons)
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Errorf("reasons %q do not mention %q", st.Ingest.Reasons, w)
				}
			}
			if got := types(t, n.Service, id); len(got) != 1 || got[0] != custody.SubmissionRejection {
				t.Errorf("trail %v, want [SubmissionRejection]", got)
			}
			if _, err := n.Service.Route(ctx, id); err == nil {
				t.Error("Route of a rejected bundle succeeded")
			}
			for _, cp := range []string{"nl-om", "es-fge", "co-fgn", "pt-pj"} {
				if ds, _ := n.Service.ListDeliveries(ctx, cp); len(ds) != 0 {
					t.Errorf("%s has %d deliveries of a rejected bundle", cp, len(ds))
				}
			}
			verifyTrail(t, n, id)
			// The node keeps serving: a good bundle afterwards goes through.
			gid := upload(t, n, zipMembers(t, good))
			if st, err := n.Service.Process(ctx, gid); err != nil || !st.Ingest.Accepted {
				t.Fatalf("good bundle after a hostile one: %v, %v", st, err)
			}
		})
	}
}
