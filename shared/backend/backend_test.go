package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMirror holds the table of doc.go to the tree: each conformance suite is run by the
// embedded backend and by the AWS backend of its port, and neither set imports the other.
func TestMirror(t *testing.T) {
	suites := []struct {
		call       string
		local, aws string
	}{
		{"blobtest.Run(", "local/fileblob", "aws/s3blob"},
		{"ledgertest.Run(", "local/sqliteledger", "aws/dynamoledger"},
		{"queuetest.Run(", "local/sqlitequeue", "aws/sqsqueue"},
		{"statetest.RunUploads(", "local/sqlitestate", "aws/dynamostate"},
		{"statetest.RunDeliveries(", "local/sqlitestate", "aws/dynamostate"},
		{"statetest.RunReceipts(", "local/sqlitestate", "aws/dynamostate"},
		{"statetest.RunSubmissions(", "local/sqlitestate", "aws/dynamostate"},
		{"statetest.RunCheckpoints(", "local/sqlitestate", "aws/dynamostate"},
	}
	for _, s := range suites {
		for _, dir := range []string{s.local, s.aws} {
			if !dirContains(t, dir, s.call, "_test.go") {
				t.Errorf("%s: no test calls %s", dir, s.call)
			}
		}
	}
	for set, other := range map[string]string{"local": "shared/backend/aws", "aws": "shared/backend/local"} {
		filepath.WalkDir(set, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "evx/"+other) {
				t.Errorf("%s imports %s: the two sets of backends never import each other", path, other)
			}
			return nil
		})
	}
}

func dirContains(t *testing.T, dir, s, suffix string) bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}
