// Package sqsqueue carries evx's delivery messages on Amazon SQS.
//
// [Queue] implements pipeline.Queue over FIFO queues. Standard SQS queues have no
// deduplication, so every evx queue is a FIFO queue: a logical name such as "nl-om" or
// "evx-accepted" lives in SQS as Prefix + name + ".fifo" (template.yaml creates them, each
// with a dead-letter queue). Send passes the caller's dedupID as MessageDeduplicationId, so SQS
// drops a second message with the same id for five minutes (pipeline.DedupWindow); a retry
// after that is caught by the custody ledger, as the port documents. Each message is its own
// message group (the dedupID again): the port promises no order, and one group per message
// keeps an unacknowledged message from holding back the others.
//
// Five minutes are short for a step that an operator retries by hand the next day, and
// moto_server forgets a dedup id once its message is deleted. [WithSentTable] therefore adds a
// record of every sent dedup id in a DynamoDB table (string key "id" = queue + " " + dedupID,
// TTL attribute "expires"): Send looks the id up first and sends nothing when it is there,
// and records it once SQS has taken the message. A crash between the two is covered by SQS's
// own window.
//
// Receive long-polls for at most a second by default, asks SQS for ApproximateReceiveCount
// (Message.Receives) and sets the visibility timeout per call, rounded up to whole seconds.
// Queue URLs are resolved once per name and cached.
package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/evx-project/evx/shared/backend/aws/internal/dynamoitem"
	"github.com/evx-project/evx/shared/pipeline"
)

// api is the part of *sqs.Client the queue uses; the signatures are the SDK's.
type api interface {
	GetQueueUrl(ctx context.Context, params *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, params *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, params *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ api = (*sqs.Client)(nil)

// Queue is a pipeline.Queue on SQS FIFO queues. It is safe for concurrent use.
type Queue struct {
	client api
	prefix string
	wait   int32 // long-poll seconds

	sent    sentAPI // nil: SQS's dedup window only
	table   string
	keepFor time.Duration

	mu   sync.Mutex
	urls map[string]string // logical name (or "standard " + SQS name) -> queue URL
}

// sentAPI is the part of *dynamodb.Client the sent-id record uses.
type sentAPI interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var _ sentAPI = (*dynamodb.Client)(nil)

// DefaultKeepSent is how long WithSentTable remembers a dedup id.
const DefaultKeepSent = 400 * 24 * time.Hour

// WithSentTable remembers every sent dedup id in table for keepFor (0: DefaultKeepSent), so a
// retry long after SQS's five-minute window still sends nothing.
func WithSentTable(client *dynamodb.Client, table string, keepFor time.Duration) Option {
	return func(q *Queue) {
		q.sent, q.table, q.keepFor = client, table, keepFor
		if keepFor <= 0 {
			q.keepFor = DefaultKeepSent
		}
	}
}

var _ pipeline.Queue = (*Queue)(nil)

// Option changes a Queue.
type Option func(*Queue)

// WithPrefix puts prefix before every logical queue name (a stack name, say: "evx-prod-").
func WithPrefix(prefix string) Option { return func(q *Queue) { q.prefix = prefix } }

// WithWait sets how long Receive long-polls an empty queue (0 to 2 s; default 1 s).
func WithWait(d time.Duration) Option {
	return func(q *Queue) { q.wait = int32(min(max(d, 0), 2*time.Second) / time.Second) }
}

// New returns a Queue over client.
func New(client *sqs.Client, opts ...Option) *Queue {
	q := &Queue{client: client, wait: 1, urls: map[string]string{}}
	for _, o := range opts {
		o(q)
	}
	return q
}

// NewClient builds an SQS client from the SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS, the shared config files).
func NewClient(ctx context.Context, optFns ...func(*sqs.Options)) (*sqs.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return sqs.NewFromConfig(cfg, optFns...), nil
}

// QueueName is the SQS name of a logical queue: prefix + name + ".fifo".
func QueueName(prefix, name string) string { return prefix + name + ".fifo" }

func (q *Queue) url(ctx context.Context, name string) (string, error) {
	q.mu.Lock()
	u, ok := q.urls[name]
	q.mu.Unlock()
	if ok {
		return u, nil
	}
	out, err := q.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(QueueName(q.prefix, name))})
	if err != nil {
		var nx *types.QueueDoesNotExist
		if errors.As(err, &nx) || apiCode(err) == "AWS.SimpleQueueService.NonExistentQueue" {
			return "", fmt.Errorf("queue %s: %w", QueueName(q.prefix, name), pipeline.ErrNotFound)
		}
		return "", fmt.Errorf("queue %s: %w", QueueName(q.prefix, name), err)
	}
	q.mu.Lock()
	q.urls[name] = *out.QueueUrl
	q.mu.Unlock()
	return *out.QueueUrl, nil
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Send implements pipeline.Queue.
func (q *Queue) Send(ctx context.Context, queue, dedupID string, body []byte) error {
	if err := pipeline.CheckSend(queue, dedupID, body); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send to %s: %w", queue, err)
	}
	u, err := q.url(ctx, queue)
	if err != nil {
		return err
	}
	return q.send(ctx, queue, u, dedupID, body, true)
}

// SendStandard sends body to the standard queue whose SQS name is name (the ingest queue, to
// which EventBridge delivers: no FIFO queue). SQS deduplicates nothing on a standard queue;
// with a sent table (WithSentTable) a dedupID already sent to name is dropped, as Send drops
// it.
func (q *Queue) SendStandard(ctx context.Context, name, dedupID string, body []byte) error {
	if err := pipeline.CheckSend(name, dedupID, body); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send to %s: %w", name, err)
	}
	q.mu.Lock()
	u, ok := q.urls["standard "+name]
	q.mu.Unlock()
	if !ok {
		out, err := q.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
		if err != nil {
			return fmt.Errorf("queue %s: %w", name, err)
		}
		u = aws.ToString(out.QueueUrl)
		q.mu.Lock()
		q.urls["standard "+name] = u
		q.mu.Unlock()
	}
	return q.send(ctx, "standard "+name, u, dedupID, body, false)
}

// send sends body to the queue at url, unless the sent table holds (queue, dedupID).
func (q *Queue) send(ctx context.Context, queue, u, dedupID string, body []byte, fifo bool) error {
	id := map[string]dbtypes.AttributeValue{"id": &dbtypes.AttributeValueMemberS{Value: queue + " " + dedupID}}
	if q.sent != nil {
		got, err := q.sent.GetItem(ctx, &dynamodb.GetItemInput{TableName: &q.table, Key: id, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("send to %s: look up dedup id: %w", queue, err)
		}
		if got.Item != nil {
			return nil
		}
	}
	in := &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(string(body))}
	if fifo {
		in.MessageDeduplicationId, in.MessageGroupId = &dedupID, &dedupID
	}
	if _, err := q.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send to %s: %w", queue, err)
	}
	if q.sent != nil {
		now := time.Now().UTC()
		// The item carries its layout version, as every evx item does; only its existence is
		// ever read.
		item := dynamoitem.WithVersion(map[string]dbtypes.AttributeValue{
			"id":      id["id"],
			"sent":    &dbtypes.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)},
			"expires": &dbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(q.keepFor).Unix(), 10)},
		})
		if _, err := q.sent.PutItem(ctx, &dynamodb.PutItemInput{TableName: &q.table, Item: item}); err != nil {
			// Sent but not recorded: a retry within SQS's window is still dropped by SQS (on
			// a FIFO queue; on a standard queue the retry is sent again).
			return fmt.Errorf("send to %s: record dedup id: %w", queue, err)
		}
	}
	return nil
}

// Receive implements pipeline.Queue.
func (q *Queue) Receive(ctx context.Context, queue string, max int, visibility time.Duration) ([]pipeline.Message, error) {
	if err := pipeline.CheckReceive(queue, max, visibility); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, err)
	}
	u, err := q.url(ctx, queue)
	if err != nil {
		return nil, err
	}
	secs := int32((visibility + time.Second - 1) / time.Second)
	out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &u,
		MaxNumberOfMessages:         int32(max),
		VisibilityTimeout:           secs,
		WaitTimeSeconds:             q.wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, err)
	}
	ms := make([]pipeline.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		if m.MessageId == nil || m.ReceiptHandle == nil || m.Body == nil {
			return nil, fmt.Errorf("receive from %s: message without id, handle or body", queue)
		}
		n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		if err != nil || n < 1 {
			n = 1 // SQS always sends it; a missing count is at least this receive
		}
		ms = append(ms, pipeline.Message{ID: *m.MessageId, Handle: *m.ReceiptHandle, Body: []byte(*m.Body), Receives: n})
	}
	return ms, nil
}

// Ack implements pipeline.Queue. SQS accepts a stale handle (the message was handed out
// again since) without deleting the message; a handle SQS never issued is an error.
func (q *Queue) Ack(ctx context.Context, queue, handle string) error {
	if err := pipeline.CheckQueueName(queue); err != nil {
		return err
	}
	if handle == "" {
		return fmt.Errorf("ack on %s: empty handle: %w", queue, pipeline.ErrInvalidQueueArg)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ack on %s: %w", queue, err)
	}
	u, err := q.url(ctx, queue)
	if err != nil {
		return err
	}
	_, err = q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: &handle})
	if err != nil {
		var bad *types.ReceiptHandleIsInvalid
		if errors.As(err, &bad) || strings.Contains(apiCode(err), "ReceiptHandleIsInvalid") {
			return fmt.Errorf("ack on %s: receipt handle not issued by this queue: %w", queue, pipeline.ErrInvalidQueueArg)
		}
		return fmt.Errorf("ack on %s: %w", queue, err)
	}
	return nil
}
