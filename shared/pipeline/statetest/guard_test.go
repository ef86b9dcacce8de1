package statetest_test

import (
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

func TestMemGuard(t *testing.T) {
	statetest.RunGuard(t, func(t *testing.T) pipeline.DocumentGuard { return &statetest.MemGuard{} })
}
