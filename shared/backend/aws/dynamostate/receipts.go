package dynamostate

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// Receipts in the "#receipt" partition: a DynamoDB item holds at most 400 KB, so a receipt is
// cut into chunks of receiptChunk bytes. Chunk 0 lies under the delivery id and states the
// number of chunks (n); chunk k > 0 under "<id>#<k>". All chunks are written in one
// transaction, each on the condition that it is new, so the first writer wins whole and no
// reader sees part of a receipt.
const (
	receiptPartition = "#receipt"
	receiptChunk     = 300 << 10
	// MaxReceiptBytes is the largest receipt Table stores: a transaction carries at most
	// 4 MB, of which twelve chunks leave room for the keys.
	MaxReceiptBytes = 12 * receiptChunk
)

var _ pipeline.Receipts = (*Table)(nil)

// ReceiptTooLargeError: a signed receipt is larger than MaxReceiptBytes.
type ReceiptTooLargeError struct {
	DeliveryID string
	Size       int
}

func (e *ReceiptTooLargeError) Error() string {
	return fmt.Sprintf("receipt of %s is %d bytes; the DynamoDB state stores at most %d", e.DeliveryID, e.Size, MaxReceiptBytes)
}

func chunkKey(deliveryID string, k int) string {
	if k == 0 {
		return deliveryID
	}
	return deliveryID + "#" + strconv.Itoa(k)
}

// PutReceipt implements pipeline.Receipts.
func (t *Table) PutReceipt(ctx context.Context, deliveryID string, raw []byte) ([]byte, error) {
	if len(raw) > MaxReceiptBytes {
		return nil, &ReceiptTooLargeError{DeliveryID: deliveryID, Size: len(raw)}
	}
	chunks := max(1, (len(raw)+receiptChunk-1)/receiptChunk)
	cond := aws.String("attribute_not_exists(delivery)")
	var puts []types.TransactWriteItem
	for k := range chunks {
		item := key(receiptPartition, chunkKey(deliveryID, k))
		item["receipt"] = &types.AttributeValueMemberB{Value: raw[k*receiptChunk : min(len(raw), (k+1)*receiptChunk)]}
		if k == 0 {
			item["chunks"] = n(int64(chunks))
		}
		puts = append(puts, types.TransactWriteItem{Put: &types.Put{TableName: &t.name, Item: withVersion(item), ConditionExpression: cond}})
	}
	var err error
	if chunks == 1 {
		p := puts[0].Put
		_, err = t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression})
	} else {
		_, err = t.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: puts})
	}
	if err != nil && !isConditionFailed(err) {
		return nil, fmt.Errorf("put receipt of %s: %w", deliveryID, err)
	}
	return t.Receipt(ctx, deliveryID)
}

// Receipt implements pipeline.Receipts.
func (t *Table) Receipt(ctx context.Context, deliveryID string) ([]byte, error) {
	var out []byte
	chunks := int64(1)
	for k := 0; int64(k) < chunks; k++ {
		item, err := t.get(ctx, receiptPartition, chunkKey(deliveryID, k))
		if err != nil {
			return nil, fmt.Errorf("receipt of %s: %w", deliveryID, err)
		}
		if _, err := itemVersion(item, "receipt of "+deliveryID); err != nil {
			return nil, err
		}
		if k == 0 {
			if chunks, err = getN(item, "chunks"); err != nil {
				return nil, fmt.Errorf("receipt of %s: %w", deliveryID, err)
			}
			if chunks < 1 || chunks > MaxReceiptBytes/receiptChunk {
				return nil, fmt.Errorf("receipt of %s: %d chunks, want 1..%d", deliveryID, chunks, MaxReceiptBytes/receiptChunk)
			}
		}
		b, ok := item["receipt"].(*types.AttributeValueMemberB)
		if !ok {
			return nil, fmt.Errorf("receipt of %s: chunk %d has no bytes", deliveryID, k)
		}
		out = append(out, b.Value...)
	}
	return out, nil
}
