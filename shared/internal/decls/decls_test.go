package decls

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestErrorTypes(t *testing.T) {
	src := `package p

type AError struct{ X int }
type (
	BError struct{}
	notAnErr struct{}
	Iface interface{ Error() string }
	IfaceError interface{ Error() string }
)
type CError = struct{}
var DError struct{}
`
	path := filepath.Join(t.TempDir(), "p.go")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ErrorTypes(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"AError", "BError", "CError"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ErrorTypes = %q, want %q", got, want)
	}
	if _, err := ErrorTypes(filepath.Join(t.TempDir(), "none.go")); err == nil {
		t.Error("ErrorTypes(missing file) = nil error, want one")
	}
}

// recorder is a testing.TB that counts the failures reported to it.
type recorder struct {
	testing.TB
	failures int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failures++ }
func (r *recorder) Fatal(...any)          { r.failures++ }

func TestCheckErrorTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "errors.go")
	if err := os.WriteFile(path, []byte("package p\n\ntype AError struct{}\ntype BError struct{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		described map[string]bool
		fails     bool
	}{
		{map[string]bool{"AError": true, "BError": true}, false},
		{map[string]bool{"AError": true}, true},                 // BError has no case
		{map[string]bool{"AError": true, "CError": true}, true}, // a case for a type not declared
		{map[string]bool{"AError": true, "BError": true, "CError": true}, true},
	} {
		r := &recorder{TB: t}
		CheckErrorTypes(r, path, tc.described)
		if got := r.failures > 0; got != tc.fails {
			t.Errorf("CheckErrorTypes(%v) failed = %v, want %v", tc.described, got, tc.fails)
		}
	}
}
