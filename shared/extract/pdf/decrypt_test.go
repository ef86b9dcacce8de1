package pdf

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
	"github.com/evx-project/evx/shared/extract/pdf/internal/rawpdf"
)

// TestEncrypted reads the encrypted files of gen_testdata.go: qpdf's (RC4 and AES-128)
// must give helvetica.pdf's text and metadata, the AES-256 one its own; files whose user
// password is not empty give the password-required outcome, not an error.
func TestEncrypted(t *testing.T) {
	plain, err := readPDF(t, extracttest.Testdata(t, "helvetica.pdf"), extractor.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, text, title string
		locked                    bool
	}{
		{"enc-rc4-40.pdf", "RC4 40-bit (R2)", plain.Text, plain.Meta.Title, false},
		{"enc-rc4-128.pdf", "RC4 128-bit (R3)", plain.Text, plain.Meta.Title, false},
		{"enc-aes-128.pdf", "AES-128 (R4)", plain.Text, plain.Meta.Title, false},
		{"enc-aes-256.pdf", "AES-256 (R6)", "Sealed request: AES-256 protects this page\n\f", "Sealed request", false},
		{"enc-rc4-40-user.pdf", "RC4 40-bit (R2)", "", "", true},
		{"enc-aes-256-user.pdf", "AES-256 (R6)", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := readPDF(t, extracttest.Testdata(t, tc.name), extractor.DefaultLimits())
			if err != nil {
				t.Fatalf("Read(%s) error %v, want none", tc.name, err)
			}
			if res.Meta.Encryption != tc.method {
				t.Errorf("Meta.Encryption = %q, want %q", res.Meta.Encryption, tc.method)
			}
			if res.Text != tc.text {
				t.Errorf("Text = %q, want %q", res.Text, tc.text)
			}
			if res.Meta.Title != tc.title {
				t.Errorf("Meta.Title = %q, want %q", res.Meta.Title, tc.title)
			}
			if res.PasswordRequired != tc.locked || (res.Unsupported != nil) != tc.locked || res.Partial {
				t.Errorf("PasswordRequired %v, Unsupported %v, Partial %v; want locked %v", res.PasswordRequired, res.Unsupported, res.Partial, tc.locked)
			}
		})
	}
}

// TestEncryptedDamage: an encryption dictionary that cannot be used is an error wrapping
// ErrEncrypted (a damaged file), and an unknown handler an unsupported outcome; neither
// is taken for a password-protected file.
func TestEncryptedDamage(t *testing.T) {
	good := extracttest.Testdata(t, "enc-aes-256.pdf")
	noU := bytes.Replace(good, []byte("/U <"), []byte("/X <"), 1)
	res, err := readPDF(t, noU, extractor.DefaultLimits())
	if !errors.Is(err, extractor.ErrEncrypted) {
		t.Errorf("without /U: %+v, %v; want an error wrapping ErrEncrypted", res, err)
	}
	pubsec := bytes.Replace(good, []byte("/Filter /Standard"), []byte("/Filter /Adobe.PubSec"), 1)
	res, err = readPDF(t, pubsec, extractor.DefaultLimits())
	if err != nil || res.Unsupported == nil || res.PasswordRequired || !strings.Contains(res.Unsupported.Reason, "Adobe.PubSec") {
		t.Errorf("public-key handler: %+v, %v; want an unsupported outcome naming it", res, err)
	}
	// An unencrypted file whose page shows the words of an encryption entry is read as it is.
	about := rawpdf.Of(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Filter /Standard /V 5 /R 6 >>",
		rawpdf.Stream("", []byte("BT /F1 12 Tf 72 700 Td (The trailer names /Encrypt 4 0 R here) Tj ET")),
	)
	res, err = readPDF(t, about, extractor.DefaultLimits())
	if err != nil || res.Unsupported != nil || res.Meta.Encryption != "" || !strings.Contains(res.Text, "/Encrypt 4 0 R") {
		t.Errorf("unencrypted file about encryption: %+v, %v; want its text", res, err)
	}
	// A flipped bit in U: the empty password no longer matches.
	flipped := bytes.Replace(good, []byte("/U <"), []byte("/U <0"), 1)
	res, err = readPDF(t, flipped, extractor.DefaultLimits())
	if err != nil || !res.PasswordRequired {
		t.Errorf("changed /U: %+v, %v; want password required", res, err)
	}
}

// TestEncryptedQPDF encrypts helvetica.pdf with qpdf's AES-256 (fresh salts and key on
// each run, which is why no such file is checked in) and reads it back.
func TestEncryptedQPDF(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Skip("qpdf not installed")
	}
	plain, err := readPDF(t, extracttest.Testdata(t, "helvetica.pdf"), extractor.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, user, owner string }{
		{"user-empty.pdf", "", "owner"},
		{"owner-empty.pdf", "secret", ""},
		{"object-streams.pdf", "", "owner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			args := []string{"--encrypt", tc.user, tc.owner, "256", "--"}
			if tc.name == "object-streams.pdf" {
				args = append([]string{"--object-streams=generate"}, args...)
			}
			args = append(args, filepath.Join("testdata", "helvetica.pdf"), out)
			if o, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
				t.Skipf("qpdf %v: %v: %s", args, err, o)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			res, err := readPDF(t, b, extractor.DefaultLimits())
			if err != nil || res.Text != plain.Text || res.Meta.Encryption != "AES-256 (R6)" {
				t.Errorf("Read(qpdf %s) = %+v, %v; want helvetica.pdf's text", tc.name, res, err)
			}
		})
	}
}

// FuzzDecrypt feeds whole files to the decryption (seeds: the encrypted test files): it
// must not panic and its copy stays within a bounded size of the input.
func FuzzDecrypt(f *testing.F) {
	for _, name := range []string{"enc-rc4-40.pdf", "enc-aes-128.pdf", "enc-aes-256.pdf", "enc-aes-256-user.pdf"} {
		f.Add(extracttest.Testdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := decryptFile(data, 1000)
		if err == nil && len(out) > 4*len(data)+1<<16 {
			t.Fatalf("decrypted copy of %d bytes from %d", len(out), len(data))
		}
	})
}

// TestDecryptMutations damages the encrypted test files at random (a fixed seed: the same
// cases each run) and reads them through the whole reader: no panic escapes, and every
// outcome is a result or a typed error.
func TestDecryptMutations(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	panics := 0
	for _, name := range []string{"enc-rc4-40.pdf", "enc-aes-128.pdf", "enc-aes-256.pdf", "enc-aes-256-user.pdf"} {
		orig := extracttest.Testdata(t, name)
		for i := 0; i < 200; i++ {
			b := bytes.Clone(orig)
			for k := 0; k < 1+rng.Intn(8); k++ {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
			if rng.Intn(4) == 0 {
				b = b[:rng.Intn(len(b))]
			}
			res, err := readPDF(t, b, extracttest.FuzzLimits())
			extracttest.CheckFuzz(t, res, err)
			if err == nil {
				err = res.Stop
			}
			if _, ok := extracttest.AsPanic(err); ok {
				panics++ // the PDF library's parse errors are panics, recovered by the reader
			}
		}
	}
	t.Logf("%d of 800 damaged files: a recovered panic of the library", panics)
}
