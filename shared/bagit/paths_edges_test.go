package bagit

import "testing"

// TestCheckPathDriveLetterEdges holds the drive-letter rule at the edges of the alphabet: A,
// Z, a and z are drive letters, the characters just outside them ('@', '[', '`', '{') are not,
// at the start of a path and in a later segment alike.
func TestCheckPathDriveLetterEdges(t *testing.T) {
	for _, c := range []string{"A", "Z", "a", "z"} {
		for _, p := range []string{c + ":x", "data/" + c + ":/x"} {
			if got := checkPath(p); got != "drive letter" {
				t.Errorf("checkPath(%q) = %q, want %q", p, got, "drive letter")
			}
		}
	}
	for _, c := range []string{"@", "[", "`", "{"} {
		for _, p := range []string{c + ":x", "data/" + c + ":x"} {
			if got := checkPath(p); got != "" {
				t.Errorf("checkPath(%q) = %q, want safe", p, got)
			}
		}
	}
}
