package dynamostate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The daily fixity pass's tally, one item a run in the same table:
//
//	counterpart "#fixity"  delivery <run, RFC 3339 UTC>  sent N  done M
//
// The daily run records how many work items it sent; each item done adds one. The next daily
// run reads the previous run's item, a day later, and counts what was not done.
const fixityPartition = "#fixity"

// FixitySent records that the run sent n work items (done is kept if items finished first).
func (t *Table) FixitySent(ctx context.Context, run string, n int) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &t.name, Key: key(fixityPartition, run),
		UpdateExpression:          aws.String("SET sent = :n ADD done :zero"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(n), ":zero": n64(0)}})
	if err != nil {
		return fmt.Errorf("fixity run %s: record items sent: %w", run, err)
	}
	return nil
}

// FixityDone adds one work item done to the run's tally.
func (t *Table) FixityDone(ctx context.Context, run string) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &t.name, Key: key(fixityPartition, run),
		UpdateExpression:          aws.String("ADD done :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}})
	if err != nil {
		return fmt.Errorf("fixity run %s: record an item done: %w", run, err)
	}
	return nil
}

// LastFixityRun returns the latest run before the run named (RFC 3339 UTC times sort as text)
// with the items it sent and those done; ok is false when there is none.
func (t *Table) LastFixityRun(ctx context.Context, before string) (run string, sent, done int, ok bool, err error) {
	out, err := t.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("counterpart = :p AND delivery < :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(fixityPartition), ":b": s(before)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return "", 0, 0, false, fmt.Errorf("last fixity run: %w", err)
	}
	if len(out.Items) == 0 {
		return "", 0, 0, false, nil
	}
	it := out.Items[0]
	sn, _ := getN(it, "sent") // absent: items done were recorded, the run's count was not
	dn, _ := getN(it, "done")
	return getS(it, "delivery"), int(sn), int(dn), true, nil
}

func n64(v int) types.AttributeValue { return n(int64(v)) }
