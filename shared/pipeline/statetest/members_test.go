package statetest

import (
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
)

func TestMemMembers(t *testing.T) {
	RunMembers(t, func(t *testing.T) pipeline.Members { return &MemMembers{} })
}
