//go:build integration

package dynamoledger_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// counting is a DynamoDB client that counts the requests of each kind and their time, for the
// benchmark (a transaction counts by its items: Transact2 the event's, Transact3 up to 100).
type counting struct {
	*dynamodb.Client
	mu sync.Mutex
	n  map[string]int
	d  map[string]time.Duration
}

func (c *counting) add(op string, t0 time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n, c.d = map[string]int{}, map[string]time.Duration{}
	}
	c.n[op]++
	c.d[op] += time.Since(t0)
}
func (c *counting) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.d = nil, nil
}

func (c *counting) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ks []string
	for k := range c.n {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	s := ""
	for _, k := range ks {
		s += fmt.Sprintf("%s %d (%.1f ms avg); ", k, c.n[k], float64(c.d[k].Microseconds())/1000/float64(c.n[k]))
	}
	return s
}
func (c *counting) GetItem(ctx context.Context, p *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	defer c.add("GetItem", time.Now())
	return c.Client.GetItem(ctx, p, o...)
}
func (c *counting) Query(ctx context.Context, p *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	defer c.add("Query", time.Now())
	return c.Client.Query(ctx, p, o...)
}
func (c *counting) BatchGetItem(ctx context.Context, p *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	// Named by the keys it reads: BatchGet2 a check (the previous event and the head),
	// BatchGet3 a writer's look (its index item, the head, the lease).
	keys := 0
	for _, ka := range p.RequestItems {
		keys += len(ka.Keys)
	}
	defer c.add(fmt.Sprintf("BatchGet%d", min(keys, 4)), time.Now())
	return c.Client.BatchGetItem(ctx, p, o...)
}
func (c *counting) TransactWriteItems(ctx context.Context, p *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	t0 := time.Now()
	out, err := c.Client.TransactWriteItems(ctx, p, o...)
	op := fmt.Sprintf("Transact%d", min(len(p.TransactItems), 3))
	if p.TransactItems[0].Delete != nil {
		op = "TransactDelete"
	}
	if err != nil {
		op += "-fail"
	}
	c.add(op, t0)
	return out, err
}
func (c *counting) PutItem(ctx context.Context, p *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	defer c.add("PutItem", time.Now())
	return c.Client.PutItem(ctx, p, o...)
}
