package dynamostate

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// Checkpoints shown to witnesses and their cosignatures, in the same table (pipeline.Checkpoints):
//
//	counterpart "#checkpoint"      delivery <size, 20 digits>  note B    (never replaced)
//	counterpart "#cosig:<size 20>" delivery <witness>          line B    (replaced by its next)
//
// Sizes are zero-padded to 20 digits so that text order is numeric order.
const (
	checkpointPartition = "#checkpoint"
	cosigPartition      = "#cosig:"
)

var _ pipeline.Checkpoints = (*Table)(nil)

func sizeKey(size uint64) string { return fmt.Sprintf("%020d", size) }

// PutCheckpoint implements pipeline.Checkpoints with a PutItem conditional on the size being new.
func (t *Table) PutCheckpoint(ctx context.Context, size uint64, note []byte) ([]byte, error) {
	item := key(checkpointPartition, sizeKey(size))
	item["note"] = &types.AttributeValueMemberB{Value: note}
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(delivery)")})
	if err != nil && !isConditionFailed(err) {
		return nil, fmt.Errorf("put checkpoint of size %d: %w", size, err)
	}
	return t.Checkpoint(ctx, size)
}

// Checkpoint implements pipeline.Checkpoints.
func (t *Table) Checkpoint(ctx context.Context, size uint64) ([]byte, error) {
	it, err := t.get(ctx, checkpointPartition, sizeKey(size))
	if err != nil {
		return nil, fmt.Errorf("checkpoint of size %d: %w", size, err)
	}
	b, ok := it["note"].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("checkpoint of size %d: stored item has no note", size)
	}
	return b.Value, nil
}

// RecentCheckpoints implements pipeline.Checkpoints: one Query of the checkpoint partition,
// newest first.
func (t *Table) RecentCheckpoints(ctx context.Context, limit int) ([]uint64, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := t.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("counterpart = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(checkpointPartition)},
		ProjectionExpression:      aws.String("delivery"),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(min(limit, 1000))),
	})
	if err != nil {
		return nil, fmt.Errorf("recent checkpoints: %w", err)
	}
	var sizes []uint64
	for _, it := range out.Items {
		n, err := strconv.ParseUint(getS(it, "delivery"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("recent checkpoints: stored size %q", getS(it, "delivery"))
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// PutCosignature implements pipeline.Checkpoints.
func (t *Table) PutCosignature(ctx context.Context, size uint64, witness string, line []byte) error {
	if witness == "" {
		return errors.New("put cosignature: no witness named")
	}
	item := key(cosigPartition+sizeKey(size), witness)
	item["line"] = &types.AttributeValueMemberB{Value: line}
	if _, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: item}); err != nil {
		return fmt.Errorf("put cosignature of %s on size %d: %w", witness, size, err)
	}
	return nil
}

// Cosignatures implements pipeline.Checkpoints.
func (t *Table) Cosignatures(ctx context.Context, size uint64) ([][]byte, error) {
	items, err := t.query(ctx, cosigPartition+sizeKey(size))
	if err != nil {
		return nil, fmt.Errorf("cosignatures of size %d: %w", size, err)
	}
	var out [][]byte
	for _, it := range items {
		b, ok := it["line"].(*types.AttributeValueMemberB)
		if !ok {
			return nil, fmt.Errorf("cosignatures of size %d: stored item has no line", size)
		}
		out = append(out, b.Value)
	}
	return out, nil
}
