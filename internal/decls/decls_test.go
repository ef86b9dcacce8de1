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
