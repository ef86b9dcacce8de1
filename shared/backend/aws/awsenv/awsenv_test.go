package awsenv_test

import (
	"errors"
	"testing"

	"github.com/evx-project/evx/shared/backend/aws/awsenv"
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
	if err != nil || c.Directory != "/var/task/counterparts.yaml" || c.Fonts != "/var/task/fonts" || c.Origin != awsenv.DefaultOrigin ||
		c.UploadsBucket != "b" || c.SigningPublicKey != nil || c.PendingTable != "" {
		t.Errorf("FromEnv = %+v, %v", c, err)
	}
	env["EVX_UPLOADS_BUCKET"], env["EVX_SIGNING_PUBLIC_KEY"], env["EVX_PENDING_TABLE"] = "u", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc=", "p"
	if c, err := awsenv.FromEnv(func(k string) string { return env[k] }); err != nil || c.UploadsBucket != "u" || len(c.SigningPublicKey) != 23 || c.PendingTable != "p" {
		t.Errorf("FromEnv with an uploads bucket and a public key = %+v, %v", c, err)
	}
	env["EVX_SIGNING_PUBLIC_KEY"] = "not base64!"
	var ie *awsenv.InvalidError
	if _, err := awsenv.FromEnv(func(k string) string { return env[k] }); !errors.As(err, &ie) || ie.Var != "EVX_SIGNING_PUBLIC_KEY" {
		t.Errorf("FromEnv with a bad public key = %v, want *InvalidError naming EVX_SIGNING_PUBLIC_KEY", err)
	}
}
