// Package custody records a tamper-evident chain of custody for evidence.
package custody
