package dynamostate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// The document guard (pipeline.DocumentGuard): one item a stored blob,
//
//	counterpart "#blob"  delivery <sha256>  holders SS (bundles), disposing S (the bundle
//	                                        whose disposal claims it), disposing_since N
//
// Every change is one conditional UpdateItem on that item, so ingests in many Lambdas and
// the disposal in the audit function are ordered by DynamoDB: a hold is added only while no
// claim stands, a claim is set only while no other bundle holds.
const blobPartition = "#blob"

// DefaultHoldWait bounds how long Hold waits for a disposal's claim to end.
const DefaultHoldWait = 2 * time.Minute

var _ pipeline.DocumentGuard = (*Table)(nil)

func ss(v string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: []string{v}} }

// Hold implements pipeline.DocumentGuard: it adds bundle to the blob's holders unless another
// bundle's disposal claims it, and then polls until the claim ends (Table.HoldWait, or ctx).
func (t *Table) Hold(ctx context.Context, sum, bundle string) error {
	wait := t.HoldWait
	if wait <= 0 {
		wait = DefaultHoldWait
	}
	deadline := time.Now().Add(wait)
	for try := 0; ; try++ {
		_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &t.name, Key: key(blobPartition, sum),
			UpdateExpression:          aws.String("ADD holders :b"),
			ConditionExpression:       aws.String("attribute_not_exists(disposing) OR disposing = :bs"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":b": ss(bundle), ":bs": s(bundle)},
		})
		if err == nil {
			return nil
		}
		if !isConditionFailed(err) {
			return fmt.Errorf("hold %s: %w", sum, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hold %s: a disposal claims it still after %v", sum, wait)
		}
		d := time.Duration(50+rand.IntN(50)) * time.Millisecond << min(try, 4) // to about 1.5 s
		select {
		case <-ctx.Done():
			return fmt.Errorf("hold %s: a disposal claims it: %w", sum, ctx.Err())
		case <-time.After(d):
		}
	}
}

// Claim implements pipeline.DocumentGuard.
func (t *Table) Claim(ctx context.Context, sum, bundle string) (string, bool, error) {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(blobPartition, sum),
		UpdateExpression: aws.String("SET disposing = :b, disposing_since = :now"),
		ConditionExpression: aws.String("(attribute_not_exists(disposing) OR disposing = :b) AND " +
			"(attribute_not_exists(holders) OR (size(holders) = :one AND contains(holders, :b)))"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": s(bundle), ":now": n(time.Now().UnixNano()), ":one": n(1)},
	})
	if err == nil {
		return "", true, nil
	}
	if !isConditionFailed(err) {
		return "", false, fmt.Errorf("claim %s: %w", sum, err)
	}
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key(blobPartition, sum), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", false, fmt.Errorf("claim %s: %w", sum, err)
	}
	if by := getS(out.Item, "disposing"); by != "" && by != bundle {
		return by, false, nil
	}
	if hs, ok := out.Item["holders"].(*types.AttributeValueMemberSS); ok {
		for _, h := range hs.Value {
			if h != bundle {
				return h, false, nil
			}
		}
	}
	// The item changed between the update and the read: let the caller try again.
	return "", false, fmt.Errorf("claim %s: lost a race with a concurrent change; retry", sum)
}

// Drop implements pipeline.DocumentGuard.
func (t *Table) Drop(ctx context.Context, sum, bundle string) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(blobPartition, sum),
		UpdateExpression:          aws.String("DELETE holders :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": ss(bundle)},
	})
	if err != nil {
		return fmt.Errorf("drop %s: %w", sum, err)
	}
	return nil
}

// Release implements pipeline.DocumentGuard; it changes nothing unless bundle claims sum.
func (t *Table) Release(ctx context.Context, sum, bundle string) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(blobPartition, sum),
		UpdateExpression:          aws.String("REMOVE disposing, disposing_since DELETE holders :bset"),
		ConditionExpression:       aws.String("disposing = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": s(bundle), ":bset": ss(bundle)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release %s: %w", sum, err)
	}
	return nil
}
