package awsenv_test

import (
	"fmt"

	"github.com/evx-project/evx/shared/backend/aws/awsenv"
)

// A function reads its configuration once, from the variables template.yaml sets.
func ExampleFromEnv() {
	env := map[string]string{
		"EVX_BUCKET": "evx-evidence-123456789012", "EVX_CUSTODY_TABLE": "evx-custody", "EVX_LOG_TABLE": "evx-log",
		"EVX_DELIVERIES_TABLE": "evx-deliveries", "EVX_SENT_TABLE": "evx-sent", "EVX_QUEUE_PREFIX": "evx-",
		"EVX_SIGNING_KEY": "alias/evx-signing", "LAMBDA_TASK_ROOT": "/var/task",
	}
	c, err := awsenv.FromEnv(func(k string) string { return env[k] })
	fmt.Println(c.Bucket, c.Directory, c.Origin, err)

	_, err = awsenv.FromEnv(func(k string) string { return "" })
	fmt.Println(err)
	// Output:
	// evx-evidence-123456789012 /var/task/counterparts.yaml evx.aws/custody <nil>
	// missing environment variables: EVX_BUCKET, EVX_CUSTODY_TABLE, EVX_LOG_TABLE, EVX_DELIVERIES_TABLE, EVX_SENT_TABLE, EVX_SIGNING_KEY
}
