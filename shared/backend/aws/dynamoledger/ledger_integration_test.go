//go:build integration

package dynamoledger_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// createTables makes the custody and log tables with the keys template.yaml declares.
func createTables(t *testing.T, db *dynamodb.Client) (string, string) {
	t.Helper()
	ctx := context.Background()
	var b [4]byte
	rand.Read(b[:])
	p := "t" + hex.EncodeToString(b[:])
	custodyTable, logTable := p+"-custody", p+"-log"
	mk := func(name string, keys []types.KeySchemaElement, attrs []types.AttributeDefinition) {
		if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: &name, BillingMode: types.BillingModePayPerRequest, KeySchema: keys, AttributeDefinitions: attrs,
		}); err != nil {
			t.Fatalf("create table %s: %v", name, err)
		}
		t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	}
	mk(custodyTable,
		[]types.KeySchemaElement{{AttributeName: aws.String("bundle"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("seq"), KeyType: types.KeyTypeRange}},
		[]types.AttributeDefinition{{AttributeName: aws.String("bundle"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("seq"), AttributeType: types.ScalarAttributeTypeN}})
	mk(logTable,
		[]types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		[]types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}})
	return custodyTable, logTable
}

func run(t *testing.T, endpoint string) {
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	db, err := dynamoledger.NewClient(context.Background(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if err != nil {
		t.Fatal(err)
	}
	ledgertest.Run(t, func(t *testing.T) custody.Ledger {
		c, l := createTables(t, db)
		return dynamoledger.New(db, c, l).WithHeads()
	})
	t.Run("only-the-logs-key-appends", func(t *testing.T) {
		c, l := createTables(t, db)
		dynamoledger.TestKeyRule(t, dynamoledger.New(db, c, l))
	})
}

// The ledger conformance suite on AWS's own emulator, DynamoDB Local. It does not run on
// moto_server: moto 5.2.1 does not isolate concurrent conditional transactions, and the
// suite's ConcurrentBundles case loses log-head updates there (LogSize 116 of 120 when tried),
// while DynamoDB Local, like DynamoDB, serializes them.
func TestIntegrationLedgerDynamoDBLocal(t *testing.T) { run(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL")) }

// An event DynamoDB cannot store (an item over 400 KB: a bundle of some 2,500 documents or
// more lists them all in its SubmissionAcceptance) fails with nothing written.
func TestIntegrationLedgerOversizedEvent(t *testing.T) {
	endpoint := os.Getenv("EVX_DYNAMODB_LOCAL_URL")
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	ctx := context.Background()
	db, err := dynamoledger.NewClient(ctx, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if err != nil {
		t.Fatal(err)
	}
	c, lt := createTables(t, db)
	l := dynamoledger.New(db, c, lt)
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.test/custody"}
	var docs []custody.Document
	for i := range 4000 {
		docs = append(docs, custody.Document{Name: fmt.Sprintf("data/scan-%05d.pdf", i), Size: 1,
			SHA256: strings.Repeat("ab", 32)})
	}
	_, err = k.Record(ctx, "big", custody.SubmissionAcceptance, custody.Actor{Kind: custody.ActorSystem, ID: "t"}, custody.Details{Documents: docs})
	if err == nil {
		t.Fatal("Record of an event over 400 KB succeeded")
	}
	if n, _ := l.LogSize(ctx); n != 0 {
		t.Errorf("LogSize = %d after a failed append, want 0", n)
	}
	t.Logf("refused: %v", err)
}
