// Command echo is the smallest Lambda function: it returns its event with the request id,
// so lambdatest can check a real bootstrap under the runtime interface emulator.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, event json.RawMessage) (map[string]any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	var id string
	if lc != nil {
		id = lc.AwsRequestID
	}
	return map[string]any{"event": event, "request_id": id}, nil
}

func main() { lambda.Start(handle) }
