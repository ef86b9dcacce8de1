package multipart

import (
	"errors"
	"strings"
	"testing"
)

var sum = strings.Repeat("0f", 32)

func TestPlan(t *testing.T) {
	l := Limits{MinPartSize: 100, MaxPartSize: 1000, MaxParts: 10, MaxSize: 5000}
	cases := []struct {
		name           string
		size, partSize int64
		sha            string
		parts          int
		err            any
	}{
		{"exact", 1000, 100, sum, 10, nil},
		{"last-short", 1001, 1000, sum, 2, nil},
		{"one-small-part", 10, 10, sum, 1, nil},
		{"part-larger-than-bag", 10, 1000, sum, 1, nil},
		{"too-many-parts", 1001, 100, sum, 0, new(*LimitError)},
		{"part-under-min", 1000, 99, sum, 0, new(*LimitError)},
		{"part-over-max", 5000, 1001, sum, 0, new(*LimitError)},
		{"bag-over-max", 5001, 1000, sum, 0, new(*LimitError)},
		{"zero-size", 0, 100, sum, 0, new(*InvalidError)},
		{"negative-part", 100, -1, sum, 0, new(*InvalidError)},
		{"uppercase-sha", 100, 100, strings.ToUpper(sum), 0, new(*InvalidError)},
		{"short-sha", 100, 100, sum[:63], 0, new(*InvalidError)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Plan(tc.size, tc.sha, tc.partSize, l)
			switch want := tc.err.(type) {
			case nil:
				if err != nil || n != tc.parts {
					t.Errorf("Plan = %d, %v, want %d", n, err, tc.parts)
				}
			case **LimitError:
				if !errors.As(err, want) {
					t.Errorf("Plan = %d, %v, want a *LimitError", n, err)
				}
			case **InvalidError:
				if !errors.As(err, want) {
					t.Errorf("Plan = %d, %v, want an *InvalidError", n, err)
				}
			}
		})
	}
}

// FuzzPlan: whatever a caller declares, an accepted plan's parts add up to the size, each
// within 1..PartSize bytes, and the count is within the limit.
func FuzzPlan(f *testing.F) {
	f.Add(int64(1001), int64(100))
	f.Add(int64(1<<40), int64(1<<20))
	f.Add(int64(-1), int64(0))
	f.Add(int64(1<<62), int64(1))
	l := Limits{MinPartSize: 1, MaxPartSize: 1 << 30, MaxParts: 10000, MaxSize: 1 << 50}
	f.Fuzz(func(t *testing.T, size, partSize int64) {
		n, err := Plan(size, sum, partSize, l)
		if err != nil {
			return
		}
		if n < 1 || n > l.MaxParts {
			t.Fatalf("Plan(%d, %d) = %d parts", size, partSize, n)
		}
		u := Upload{Size: size, PartSize: partSize, Parts: n}
		var total int64
		for k := 1; k <= n; k++ {
			p := u.PartLen(k)
			if p < 1 || p > partSize {
				t.Fatalf("part %d of %d: %d bytes (part size %d, size %d)", k, n, p, partSize, size)
			}
			total += p
		}
		if total != size {
			t.Fatalf("parts add up to %d, want %d", total, size)
		}
	})
}

func TestParseTargetsRequest(t *testing.T) {
	u := &Upload{Size: 2500, PartSize: 1000, Parts: 3}
	many := `{"parts":[`
	for n := 1; n <= MaxTargets+1; n++ {
		if n > 1 {
			many += ","
		}
		many += `{"n":1,"sha256":"` + sum + `"}`
	}
	many += `]}`
	cases := []struct {
		name, body string
		parts      int
		err        any
	}{
		{"one", `{"parts":[{"n":3,"sha256":"` + sum + `"}]}`, 1, nil},
		{"window", `{"parts":[{"n":1,"sha256":"` + sum + `"},{"n":2,"sha256":"` + sum + `"}]}`, 2, nil},
		{"none", `{"parts":[]}`, 0, new(*InvalidError)},
		{"zero", `{"parts":[{"n":0,"sha256":"` + sum + `"}]}`, 0, new(*InvalidError)},
		{"past-last", `{"parts":[{"n":4,"sha256":"` + sum + `"}]}`, 0, new(*InvalidError)},
		{"twice", `{"parts":[{"n":1,"sha256":"` + sum + `"},{"n":1,"sha256":"` + sum + `"}]}`, 0, new(*InvalidError)},
		{"upper-sha", `{"parts":[{"n":1,"sha256":"` + strings.ToUpper(sum) + `"}]}`, 0, new(*InvalidError)},
		{"unknown-member", `{"parts":[{"n":1,"sha256":"` + sum + `","url":"x"}]}`, 0, new(*InvalidError)},
		{"trailing", `{"parts":[{"n":1,"sha256":"` + sum + `"}]} {}`, 0, new(*InvalidError)},
		{"not-json", `PK`, 0, new(*InvalidError)},
		{"too-many", many, 0, new(*LimitError)},
		{"too-large", `{"parts":[` + strings.Repeat(" ", MaxTargetsBody) + `]}`, 0, new(*LimitError)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseTargetsRequest([]byte(tc.body), u)
			switch want := tc.err.(type) {
			case nil:
				if err != nil || len(req.Parts) != tc.parts {
					t.Errorf("= %d parts, %v; want %d", len(req.Parts), err, tc.parts)
				}
			case **InvalidError:
				if !errors.As(err, want) {
					t.Errorf("err = %v, want *InvalidError", err)
				}
			case **LimitError:
				if !errors.As(err, want) {
					t.Errorf("err = %v, want *LimitError", err)
				}
			}
		})
	}
}

func FuzzParseTargetsRequest(f *testing.F) {
	f.Add([]byte(`{"parts":[{"n":1,"sha256":"` + sum + `"}]}`))
	f.Add([]byte(`{"parts":[{"n":-1}]}`))
	u := &Upload{Size: 2500, PartSize: 1000, Parts: 3}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := ParseTargetsRequest(raw, u)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, p := range req.Parts {
			if p.N < 1 || p.N > u.Parts || seen[p.N] || !ValidSum(p.SHA256) {
				t.Fatalf("accepted %+v", p)
			}
			seen[p.N] = true
		}
		if len(req.Parts) == 0 || len(req.Parts) > MaxTargets {
			t.Fatalf("accepted %d parts", len(req.Parts))
		}
	})
}
