//go:build integration

package sqsqueue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/queuetest"
)

func client(t *testing.T) *sqs.Client {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL") == "" && os.Getenv("AWS_ENDPOINT_URL_SQS") == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	c, err := sqsqueue.NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func prefix() string {
	var b [4]byte
	rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:]) + "-"
}

// createFIFO makes one FIFO queue as template.yaml does (explicit dedup ids, no
// content-based dedup) and returns its URL and ARN.
func createFIFO(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (string, string) {
	t.Helper()
	ctx := context.Background()
	a := map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false"}
	for k, v := range attrs {
		a[k] = v
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: a})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	got, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	return *out.QueueUrl, got.Attributes[string(types.QueueAttributeNameQueueArn)]
}

// newSentTable makes the dedup-id table as template.yaml declares it.
func newSentTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	name := prefix() + "sent"
	dynamotest.Create(t, db, dynamotest.Input(name, "id"))
	return db, name
}

// The conformance suite runs with the dedup-id table, as deployed: moto_server forgets a
// FIFO dedup id once its message is deleted (SQS keeps it five minutes), so without the table
// the suite's "acknowledged, then sent again" check fails there.
func TestIntegrationQueueConformance(t *testing.T) {
	c := client(t)
	queuetest.Run(t, func(t *testing.T) pipeline.Queue {
		p := prefix()
		for _, n := range queuetest.Names {
			createFIFO(t, c, sqsqueue.QueueName(p, n), nil)
		}
		db, table := newSentTable(t)
		return sqsqueue.New(c, sqsqueue.WithPrefix(p), sqsqueue.WithSentTable(db, table, 0))
	}, queuetest.SkipConcurrentReceivers("moto_server 5 receives without a lock: two of its threads can hand out one message (seen here once in a few runs); SQS serialises receives"))
}

// The dedup-id table keeps a retry from sending again long after SQS's window: here the
// first message is gone (received and acknowledged), which on moto_server also ends its
// FIFO dedup; the record alone stops the second send.
func TestIntegrationSentTable(t *testing.T) {
	c := client(t)
	p := prefix()
	createFIFO(t, c, sqsqueue.QueueName(p, "cp"), nil)
	db, table := newSentTable(t)
	q := sqsqueue.New(c, sqsqueue.WithPrefix(p), sqsqueue.WithSentTable(db, table, time.Hour))
	ctx := context.Background()
	if err := q.Send(ctx, "cp", "b-1:cp", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	ms, err := q.Receive(ctx, "cp", 10, 30*time.Second)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Receive = %d messages, %v; want 1", len(ms), err)
	}
	if err := q.Ack(ctx, "cp", ms[0].Handle); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, "cp", "b-1:cp", []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	if ms, err := q.Receive(ctx, "cp", 10, 30*time.Second); err != nil || len(ms) != 0 {
		t.Fatalf("after a repeated dedup id: Receive = %d messages, %v; want none", len(ms), err)
	}
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table,
		Key: map[string]dbtypes.AttributeValue{"id": &dbtypes.AttributeValueMemberS{Value: "cp b-1:cp"}}})
	if err != nil || got.Item == nil {
		t.Fatalf("dedup record = %v, %v; want it stored", got, err)
	}
	exp, ok := got.Item["expires"].(*dbtypes.AttributeValueMemberN)
	if !ok {
		t.Fatalf("dedup record has no numeric expires: %v", got.Item)
	}
	if n, _ := strconv.ParseInt(exp.Value, 10, 64); n < time.Now().Add(50*time.Minute).Unix() || n > time.Now().Add(61*time.Minute).Unix() {
		t.Errorf("expires = %s, want about an hour from now", exp.Value)
	}
}

// SendStandard on a standard queue (the ingest queue): a dedup id sent twice makes one message,
// and two ids two.
func TestIntegrationSendStandard(t *testing.T) {
	c := client(t)
	p := prefix()
	name := p + "ingest"
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		t.Fatal(err)
	}
	db, table := newSentTable(t)
	q := sqsqueue.New(c, sqsqueue.WithPrefix(p), sqsqueue.WithSentTable(db, table, time.Hour))
	ctx := context.Background()
	for _, id := range []string{"chunk/b/0/1", "chunk/b/0/1", "chunk/b/1/0"} {
		if err := q.SendStandard(ctx, name, id, []byte(`{"chunk":{}}`)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 2 {
		t.Fatalf("ReceiveMessage = %d messages, %v; want 2", len(got.Messages), err)
	}
	if err := q.SendStandard(ctx, name+".fifo", "x", []byte("{}")); err == nil {
		t.Error("SendStandard to a name with a dot: no error")
	}
}

func TestIntegrationUnknownQueue(t *testing.T) {
	q := sqsqueue.New(client(t), sqsqueue.WithPrefix(prefix()))
	err := q.Send(context.Background(), "nobody", "d-1", []byte("{}"))
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("Send(queue that does not exist) = %v, want ErrNotFound", err)
	}
}

// A message that keeps failing ends in the dead-letter queue after maxReceiveCount receives,
// as template.yaml configures every queue.
func TestIntegrationDeadLetterRedrive(t *testing.T) {
	c := client(t)
	p := prefix()
	_, dlqARN := createFIFO(t, c, sqsqueue.QueueName(p, "cp-dlq"), nil)
	createFIFO(t, c, sqsqueue.QueueName(p, "cp"), map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":2}`, dlqARN),
	})
	q := sqsqueue.New(c, sqsqueue.WithPrefix(p))
	ctx := context.Background()
	if err := q.Send(ctx, "cp", "poison-1", []byte(`{"bundle":"poison"}`)); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, "cp", "good-1", []byte(`{"bundle":"good"}`)); err != nil {
		t.Fatal(err)
	}
	receives := 0
	// A bound for a loaded machine (moto under the race-enabled suite), not a speed goal.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := q.Receive(ctx, "cp", 10, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if string(m.Body) == `{"bundle":"good"}` {
				if err := q.Ack(ctx, "cp", m.Handle); err != nil {
					t.Fatal(err)
				}
				continue
			}
			receives++ // the poisoned one fails and is never acknowledged
			if m.Receives != receives {
				t.Errorf("poisoned message receive %d: Receives = %d", receives, m.Receives)
			}
		}
		if receives >= 2 {
			// Past its visibility timeout SQS moves it on the next receive.
			time.Sleep(1500 * time.Millisecond)
			if ms, err := q.Receive(ctx, "cp", 10, time.Second); err != nil || len(ms) != 0 {
				t.Fatalf("third receive = %d messages, %v; want none (moved to the DLQ)", len(ms), err)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if receives != 2 {
		t.Fatalf("poisoned message received %d times, want 2", receives)
	}
	ms, err := q.Receive(ctx, "cp-dlq", 10, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || string(ms[0].Body) != `{"bundle":"poison"}` {
		t.Fatalf("dead-letter queue holds %d messages (%v), want the poisoned one", len(ms), ms)
	}
}

// The URL of each queue is looked up once.
func TestIntegrationURLCached(t *testing.T) {
	c := client(t)
	p := prefix()
	url, _ := createFIFO(t, c, sqsqueue.QueueName(p, "cp"), nil)
	q := sqsqueue.New(c, sqsqueue.WithPrefix(p))
	ctx := context.Background()
	if err := q.Send(ctx, "cp", "u-1", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	// Delete the queue behind the cache's back: a second GetQueueUrl would now fail, the
	// cached URL reaches SQS and gets its "does not exist".
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	err := q.Send(ctx, "cp", "u-2", []byte("{}"))
	if err == nil {
		t.Fatal("Send to a deleted queue succeeded")
	}
	if errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Send resolved the name again (%v), want the cached URL used", err)
	}
}
