package dynamoledger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// recorder is a DynamoDB that keeps what the transactions put (enough for appends of new
// bundles: the log head is read back by its id) and records every Put.
type recorder struct {
	items map[string]map[string]types.AttributeValue // by "table/id"
	puts  []types.Put
}

func (r *recorder) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	id, _ := in.Key["id"].(*types.AttributeValueMemberS)
	if id == nil {
		return &dynamodb.GetItemOutput{}, nil
	}
	return &dynamodb.GetItemOutput{Item: r.items[*in.TableName+"/"+id.Value]}, nil
}

func (r *recorder) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil // every event of the test is the first of its bundle
}

func (r *recorder) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return &dynamodb.BatchGetItemOutput{}, nil
}

func (r *recorder) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, fmt.Errorf("a put outside a transaction: %+v", in)
}

func (r *recorder) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		if it.Put == nil {
			return nil, fmt.Errorf("a write that is not a Put: %+v", it)
		}
		r.puts = append(r.puts, *it.Put)
		if id, ok := it.Put.Item["id"].(*types.AttributeValueMemberS); ok {
			r.items[*it.Put.TableName+"/"+id.Value] = it.Put.Item
		}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// Every write of an append is a conditional Put: the event on its (bundle, seq) being free,
// each tree node on its id being free, the head on the size it was read at. So even a role
// allowed PutItem cannot replace a custody item or a node through the ledger.
func TestEveryCustodyWriteIsConditional(t *testing.T) {
	r := &recorder{items: map[string]map[string]types.AttributeValue{}}
	l := &Ledger{db: r, custody: "custody", log: "log"}
	ctx := context.Background()
	for i := range 9 { // sizes 1..9: nodes at every level up to 3
		e := custody.Event{BundleID: fmt.Sprintf("b-%d", i), Seq: 1, Type: custody.FixityCheck,
			Time: time.Date(2026, 11, 27, 8, 0, i, 0, time.UTC), Actor: custody.Actor{Kind: "system", ID: "evx"}}
		if err := custody.Seal(ctx, ledgertest.Signer(), &e); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	nodes := map[string]bool{}
	for _, p := range r.puts {
		id, _ := p.Item["id"].(*types.AttributeValueMemberS)
		cond := ""
		if p.ConditionExpression != nil {
			cond = *p.ConditionExpression
		}
		switch {
		case *p.TableName == "custody":
			if cond != "attribute_not_exists(bundle)" {
				t.Errorf("event put with condition %q, want attribute_not_exists(bundle)", cond)
			}
		case id != nil && id.Value == headID:
			if cond != "attribute_not_exists(id)" && cond != "#size = :size AND #key = :key" {
				t.Errorf("head put with condition %q", cond)
			}
		case id != nil && strings.HasPrefix(id.Value, "n/"):
			if cond != "attribute_not_exists(id)" {
				t.Errorf("node %s put with condition %q, want attribute_not_exists(id)", id.Value, cond)
			}
			if nodes[id.Value] {
				t.Errorf("node %s written twice", id.Value)
			}
			nodes[id.Value] = true
		default:
			t.Errorf("unexpected put %+v", p)
		}
	}
	if len(nodes) < 8 {
		t.Errorf("%d tree nodes written by 9 appends, want at least 8", len(nodes))
	}
}
