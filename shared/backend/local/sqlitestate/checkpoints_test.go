package sqlitestate

import (
	"context"
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

func TestCheckpointsConformance(t *testing.T) {
	statetest.RunCheckpoints(t, func(t *testing.T) pipeline.Checkpoints {
		c, err := NewCheckpoints(context.Background(), openTestDB(t))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}
