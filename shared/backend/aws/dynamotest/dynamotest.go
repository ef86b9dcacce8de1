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
func Table(t testing.TB, endpoint, suffix, hash string, rng ...string) (*dynamodb.Client, string) {
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
	Create(t, db, Input(name, append([]string{hash}, rng...)...))
	return db, name
}

// Input is the CreateTableInput of an on-demand table keyed by keys: the hash key, then the
// range key if given, string keys unless named "name:N" (a number).
func Input(name string, keys ...string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for i, k := range keys {
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
	return in
}

// Creator is the DynamoDB call Create makes.
type Creator interface {
	CreateTable(ctx context.Context, params *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DeleteTable(ctx context.Context, params *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

// Create makes the table in (whose name the caller made random) and deletes it when the test
// ends. A table of that name already there is this call's own: the SDK retried a CreateTable
// whose first answer was lost (seen on moto and DynamoDB Local under load).
func Create(t testing.TB, db Creator, in *dynamodb.CreateTableInput) {
	t.Helper()
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			t.Fatalf("create table %s: %v", aws.ToString(in.TableName), err)
		}
	}
	name := aws.ToString(in.TableName)
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
}
