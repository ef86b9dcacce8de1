package awsenv_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/awsenv"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestFromEnvNamesEveryMissingVariable(t *testing.T) {
	_, err := awsenv.FromEnv(func(string) string { return "" })
	var me *awsenv.MissingError
	if !errors.As(err, &me) || len(me.Vars) != 6 {
		t.Fatalf("FromEnv(empty) = %v, want all six required variables named", err)
	}
	env := map[string]string{"EVX_BUCKET": "b", "EVX_CUSTODY_TABLE": "c", "EVX_LOG_TABLE": "l", "EVX_DELIVERIES_TABLE": "d",
		"EVX_SENT_TABLE": "s", "EVX_SIGNING_KEY": "k", "LAMBDA_TASK_ROOT": "/var/task"}
	c, err := awsenv.FromEnv(func(k string) string { return env[k] })
	if err != nil || c.Directory != "/var/task/counterparts.yaml" || c.Origin != awsenv.DefaultOrigin {
		t.Errorf("FromEnv = %+v, %v", c, err)
	}
}

// The directory the functions ship, infra/counterparts.yaml, loads.
func TestLoadDirectory(t *testing.T) {
	d, err := awsenv.LoadDirectory("../../infra/counterparts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.Counterpart(context.Background(), "nl-om"); err != nil || !c.Active || c.Country != "NL" {
		t.Errorf("nl-om = %+v, %v", c, err)
	}
	if _, err := d.Counterpart(context.Background(), "xx"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("unknown = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"counterparts:\n  - id: a\n", "counterparts:\n  - {id: a, active: true}\n  - {id: a, active: true}\n", "counterparts:\n  - {id: a, active: true, colour: red}\n"} {
		p := filepath.Join(t.TempDir(), "d.yaml")
		os.WriteFile(p, []byte(bad), 0o600)
		if _, err := awsenv.LoadDirectory(p); err == nil {
			t.Errorf("LoadDirectory(%q): no error", bad)
		}
	}
}
