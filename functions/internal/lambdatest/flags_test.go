package lambdatest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/functions/internal/lambdatest"
)

// TestBuildFlags reads the module's functions/lambda.mk, the one place that holds the flags.
func TestBuildFlags(t *testing.T) {
	got, err := lambdatest.BuildFlags(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"-tags", "lambda.norpc,evx.nophone", "-trimpath", "-ldflags", "-s -w"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("BuildFlags = %q, want %q", got, want)
	}
}

func TestBuildFlagsErrors(t *testing.T) {
	for _, tc := range []struct{ name, mk, want string }{
		{"missing line", "LAMBDA_GOENV := GOOS=linux\n", "no LAMBDA_GOFLAGS"},
		{"unclosed quote", "LAMBDA_GOFLAGS := -ldflags '-s -w\n", "unclosed quote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "functions"), 0o755)
			os.WriteFile(filepath.Join(root, "functions", "lambda.mk"), []byte(tc.mk), 0o644)
			if _, err := lambdatest.BuildFlags(root); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("BuildFlags(%q) = %v, want an error with %q", tc.mk, err, tc.want)
			}
		})
	}
	if _, err := lambdatest.BuildFlags(t.TempDir()); err == nil {
		t.Error("BuildFlags(no lambda.mk) = nil error")
	}
}
