package custody

// The tamper vectors of testdata/tamper are generated (deterministically); a test checks that
// the committed copies are current.
//go:generate go run ./internal/tampergen -out testdata/tamper
