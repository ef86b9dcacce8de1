// Package dynamotest makes the DynamoDB tables the emulator tests of the AWS backends run on.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table makes a fresh on-demand table at endpoint, named with a random prefix and suffix,
// keyed by hash and, when given, rng (string keys; "name:N" for a number), deleted when the
// test ends. It skips the test when endpoint is empty.
func Table(t *testing.T, endpoint, suffix, hash string, rng ...string) (*dynamodb.Client, string) {
	t.Helper()
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var b [4]byte
	rand.Read(b[:])
	name := "t" + hex.EncodeToString(b[:]) + "-" + suffix
	in := &dynamodb.CreateTableInput{TableName: &name, BillingMode: types.BillingModePayPerRequest}
	for i, k := range append([]string{hash}, rng...) {
		attr, kind := k, types.ScalarAttributeTypeS
		if n, ok := strings.CutSuffix(k, ":N"); ok {
			attr, kind = n, types.ScalarAttributeTypeN
		}
		kt := types.KeyTypeHash
		if i > 0 {
			kt = types.KeyTypeRange
		}
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(attr), KeyType: kt})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(attr), AttributeType: kind})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		// The name is random, so a table of that name is this call's own: the SDK retried a
		// CreateTable whose first answer was lost (seen on moto under load).
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			t.Fatalf("create table: %v", err)
		}
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	return db, name
}
