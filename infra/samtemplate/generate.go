package main

// The counterpart queues of template.yaml (between its "generated" markers) are generated from
// infra/counterparts.yaml; a test checks that the committed template is current.
//go:generate go run . -template ../../template.yaml -counterparts ../counterparts.yaml
