//go:build integration

package dynamoindex_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/evx-project/evx/shared/backend/aws/dynamoindex"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/indextest"
)

// newIndex makes a fresh table with the keys template.yaml gives IdentifierIndexTable.
func newIndex(t *testing.T, endpoint string) (*dynamoindex.Index, *dynamodb.Client, string) {
	t.Helper()
	db, name := dynamotest.Table(t, endpoint, "identifiers", "key", "bundle")
	return dynamoindex.New(db, name), db, name
}

func run(t *testing.T, endpoint string) {
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	indextest.Run(t, func(t *testing.T) pipeline.IdentifierIndex { x, _, _ := newIndex(t, endpoint); return x })
	// An item that is not of the layout's form is an *ItemError, never a holding.
	t.Run("bad-item", func(t *testing.T) {
		x, db, name := newIndex(t, endpoint)
		key := make([]byte, 32)
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &name, Item: map[string]types.AttributeValue{
			"key": &types.AttributeValueMemberS{Value: hex.EncodeToString(key)}, "bundle": &types.AttributeValueMemberS{Value: "b"},
			"type": &types.AttributeValueMemberS{Value: "container"}, "agency": &types.AttributeValueMemberS{Value: "nl-om"},
			"matching": &types.AttributeValueMemberS{Value: "yes"},
		}}); err != nil {
			t.Fatal(err)
		}
		var ie *dynamoindex.ItemError
		if _, err := x.Lookup(context.Background(), [32]byte{}, 10); !errors.As(err, &ie) {
			t.Fatalf("Lookup of a malformed item = %v, want *ItemError", err)
		}
	})
}

func TestIntegrationIndexMoto(t *testing.T) { run(t, os.Getenv("AWS_ENDPOINT_URL")) }

func TestIntegrationIndexDynamoDBLocal(t *testing.T) { run(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL")) }
