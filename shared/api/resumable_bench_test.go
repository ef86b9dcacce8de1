package api_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/multipart"
)

func benchBag(b *testing.B, size int64) []byte {
	dir := b.TempDir()
	src := filepath.Join(dir, "image.bin")
	f, _ := os.Create(src)
	io.CopyN(f, rand.NewChaCha8([32]byte{9}), size)
	f.Close()
	out := filepath.Join(dir, "bundle.zip")
	if _, err := bagit.Create(out, []string{src}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
	}}); err != nil {
		b.Fatal(err)
	}
	raw, _ := os.ReadFile(out)
	return raw
}

// BenchmarkUpload32MiB posts a 32 MiB bag whole (the reference) and sends it resumably in
// 1 MiB and 16 MiB (evx upload's default) parts to the same kind of server, ingest included: the ratio of the two is the cost
// of the parts (each hashed, written, synced, then joined into the uploads folder).
func BenchmarkUpload32MiB(b *testing.B) {
	raw := benchBag(b, 32<<20)
	sum := hexSum(raw)
	for _, mode := range []string{"whole", "parts-1MiB", "parts-16MiB"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				b.StopTimer()
				e := newResumableEnvLimits(b, nil, multipart.Limits{})
				c, _ := client.New(e.srv.URL, client.WithToken(tokens["alice"]))
				b.StartTimer()
				var err error
				if mode == "whole" {
					_, err = c.Upload(b.Context(), bytes.NewReader(raw), int64(len(raw)))
				} else {
					_, err = c.UploadResumable(b.Context(), bytes.NewReader(raw), int64(len(raw)), sum, client.ResumeOptions{PartSize: map[string]int64{"parts-1MiB": 1 << 20, "parts-16MiB": 16 << 20}[mode]})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
