package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// fanOutFromEnv is pipeline.DefaultFanOut with the EVX_FANOUT_* settings that are set:
// EVX_FANOUT_MIN_BYTES, EVX_FANOUT_MIN_MEMBERS (a bag past either is split),
// EVX_FANOUT_CHUNK_BYTES, EVX_FANOUT_CHUNK_MEMBERS (a chunk's bounds), EVX_FANOUT_PARALLEL
// (members in flight in a chunk) and EVX_FANOUT_MARGIN (a Go duration: no member is started
// with less left before the invocation's deadline). docs/volumes.md says how to choose them.
func fanOutFromEnv(getenv func(string) string) (pipeline.FanOut, error) {
	f := pipeline.DefaultFanOut()
	ints := []struct {
		name     string
		min, max int64
		set      func(int64)
	}{
		{"EVX_FANOUT_MIN_BYTES", 0, 1 << 50, func(v int64) { f.MinBytes = v }},
		{"EVX_FANOUT_MIN_MEMBERS", 0, 1 << 30, func(v int64) { f.MinMembers = int(v) }},
		{"EVX_FANOUT_CHUNK_BYTES", 1, 1 << 50, func(v int64) { f.ChunkBytes = v }},
		{"EVX_FANOUT_CHUNK_MEMBERS", 1, 1 << 20, func(v int64) { f.ChunkMembers = int(v) }},
		{"EVX_FANOUT_PARALLEL", 1, 64, func(v int64) { f.Parallel = int(v) }},
	}
	for _, s := range ints {
		raw := getenv(s.name)
		if raw == "" {
			continue
		}
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || v < s.min || v > s.max {
			return f, fmt.Errorf("%s=%q: want an integer from %d to %d", s.name, raw, s.min, s.max)
		}
		s.set(v)
	}
	if raw := getenv("EVX_FANOUT_MARGIN"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 || d > 15*time.Minute {
			return f, fmt.Errorf("EVX_FANOUT_MARGIN=%q: want a duration from 0 to 15m", raw)
		}
		f.Margin = d
	}
	return f, nil
}
