package main

import (
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

func TestFanOutFromEnv(t *testing.T) {
	def := pipeline.DefaultFanOut()
	small := def
	small.ChunkMembers, small.Parallel, small.Margin = 50, 2, 5*time.Second
	for _, tc := range []struct {
		name string
		env  map[string]string
		want pipeline.FanOut
		err  bool
	}{
		{"defaults", nil, def, false},
		{"set", map[string]string{"EVX_FANOUT_CHUNK_MEMBERS": "50", "EVX_FANOUT_PARALLEL": "2", "EVX_FANOUT_MARGIN": "5s"}, small, false},
		{"zero chunk", map[string]string{"EVX_FANOUT_CHUNK_MEMBERS": "0"}, def, true},
		{"too parallel", map[string]string{"EVX_FANOUT_PARALLEL": "65"}, def, true},
		{"not a number", map[string]string{"EVX_FANOUT_MIN_BYTES": "2GiB"}, def, true},
		{"margin past the limit", map[string]string{"EVX_FANOUT_MARGIN": "16m"}, def, true},
		{"negative margin", map[string]string{"EVX_FANOUT_MARGIN": "-1s"}, def, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fanOutFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.err {
				t.Fatalf("fanOutFromEnv = %v, want error %v", err, tc.err)
			}
			if !tc.err && got != tc.want {
				t.Errorf("fanOutFromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}
