package main

// The sample evidence (testdata/sample) and its custody trail (testdata/sample-trail) are
// generated (the same bytes on every run); a test checks that the committed copies are current.
//go:generate go run . -out ../../testdata/sample -trail-out ../../testdata/sample-trail -fonts ../../shared/report/fonts
