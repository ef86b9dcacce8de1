package e2e

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

type clients struct {
	s3  *s3.Client
	sqs *sqs.Client
	kms *kms.Client
	db  *dynamodb.Client
}

// awsClients builds the clients from the SDK's standard configuration.
func awsClients(ctx context.Context) (clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return clients{}, err
	}
	return clients{s3: s3.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg), db: dynamodb.NewFromConfig(cfg)}, nil
}
