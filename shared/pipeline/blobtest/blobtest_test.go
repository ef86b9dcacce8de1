package blobtest

import (
	"bytes"
	"io"
	"testing"
)

// TestGenerate checks that the generated stream depends only on seed and length, not on
// how it is read.
func TestGenerate(t *testing.T) {
	const n = 100_003
	want, _ := io.ReadAll(Generate(42, n))
	if len(want) != n {
		t.Fatalf("Generate(42, %d) gave %d bytes", n, len(want))
	}
	for _, chunk := range []int{1, 3, 7, 8, 9, 4096, 65537} {
		var got bytes.Buffer
		r := Generate(42, n)
		buf := make([]byte, chunk)
		for {
			k, err := r.Read(buf)
			got.Write(buf[:k])
			if err == io.EOF {
				break
			}
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("reading in chunks of %d gave other bytes", chunk)
		}
	}
	if other, _ := io.ReadAll(Generate(43, n)); bytes.Equal(other, want) {
		t.Errorf("seeds 42 and 43 gave the same bytes")
	}
	if got := GenerateSum(42, n); got != Sum(want) {
		t.Errorf("GenerateSum = %s, want %s", got, Sum(want))
	}
}
