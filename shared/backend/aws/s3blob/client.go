package s3blob

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewClient builds an S3 client from the SDK's standard configuration: region, credentials
// and endpoint come from the environment (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// ...) and the shared config files, so the same binary talks to AWS or to an emulator. An
// endpoint given by IP address (an emulator) is addressed path-style by the SDK itself.
func NewClient(ctx context.Context, optFns ...func(*s3.Options)) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return s3.NewFromConfig(cfg, optFns...), nil
}
