package client

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// NameError: a name the server sent (a delivery or bundle id, a document name) is not of the
// form the API promises. A caller that makes file names of server-given names must refuse it:
// a spoofed server could otherwise steer writes outside the caller's folder.
type NameError struct {
	Kind   string // "delivery id", "bundle id", "document name"
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	n := e.Name
	if len(n) > 80 {
		n = n[:80] + "..."
	}
	return fmt.Sprintf("%s %q from the server: %s", e.Kind, n, e.Reason)
}

var (
	deliveryIDPattern = regexp.MustCompile(`^d-[0-9a-f]{32}$`)
	bundleIDPattern   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// CheckDeliveryID checks a delivery id against its exact format: "d-" and 32 lowercase hex
// digits (pipeline.DeliveryID).
func CheckDeliveryID(id string) error {
	if !deliveryIDPattern.MatchString(id) {
		return &NameError{Kind: "delivery id", Name: id, Reason: `want "d-" and 32 lowercase hex digits`}
	}
	return nil
}

// CheckBundleID checks a bundle id of the embedded server against its exact format: the
// SHA-256 of the uploaded bag, 64 lowercase hex digits.
func CheckBundleID(id string) error {
	if !bundleIDPattern.MatchString(id) {
		return &NameError{Kind: "bundle id", Name: id, Reason: "want 64 lowercase hex digits"}
	}
	return nil
}

// Limits of a document name.
const (
	MaxDocumentName = 4096 // bytes of the whole name
	MaxNameSegment  = 255  // bytes of one segment, as most file systems allow
)

// CheckDocumentName checks a document name of a manifest: a slash-separated path under
// "data/" whose every segment can be a file name on any common system. It refuses "..", ".",
// empty segments, absolute paths, backslashes, drive letters, "~", control characters
// (CR and LF included) and invalid UTF-8.
func CheckDocumentName(name string) error {
	fail := func(reason string) error { return &NameError{Kind: "document name", Name: name, Reason: reason} }
	switch {
	case len(name) > MaxDocumentName:
		return fail(fmt.Sprintf("longer than %d bytes", MaxDocumentName))
	case !strings.HasPrefix(name, "data/"):
		return fail(`not under "data/"`)
	case !utf8.ValidString(name):
		return fail("not valid UTF-8")
	case strings.ContainsRune(name, '\\'):
		return fail("backslash (a Windows separator)")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fail("control character")
		}
	}
	for _, seg := range strings.Split(name, "/")[1:] {
		switch {
		case seg == "":
			return fail("empty segment")
		case seg == "." || seg == "..":
			return fail("segment " + seg)
		case len(seg) > MaxNameSegment:
			return fail(fmt.Sprintf("segment longer than %d bytes", MaxNameSegment))
		case strings.HasPrefix(seg, "~"):
			return fail("home directory shortcut (~)")
		case len(seg) >= 2 && seg[1] == ':' && (seg[0]|0x20 >= 'a' && seg[0]|0x20 <= 'z'):
			return fail("drive letter")
		}
	}
	return nil
}
