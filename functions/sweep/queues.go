package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// sqsAPI is the part of the SQS client the sweeper uses.
type sqsAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

// queues resolves SQS queue names to URLs once and sends by name.
type queues struct {
	sqs  sqsAPI
	mu   sync.Mutex
	urls map[string]string
}

func newQueues(c sqsAPI) *queues { return &queues{sqs: c, urls: map[string]string{}} }

func (q *queues) url(ctx context.Context, name string) (string, error) {
	q.mu.Lock()
	u, ok := q.urls[name]
	q.mu.Unlock()
	if ok {
		return u, nil
	}
	out, err := q.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", name, err)
	}
	q.mu.Lock()
	q.urls[name] = aws.ToString(out.QueueUrl)
	q.mu.Unlock()
	return aws.ToString(out.QueueUrl), nil
}

// SendTo implements Sender on a standard queue.
func (q *queues) SendTo(ctx context.Context, name string, body []byte) error {
	u, err := q.url(ctx, name)
	if err != nil {
		return err
	}
	_, err = q.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(string(body))})
	return err
}

// Mover moves the notices that have waited MaxAge or more on a counterpart's FIFO queue to its
// dead-letter queue, where they stay 14 days more and raise the dead-letter alarm, instead of
// expiring unread at the end of SQS's retention. Younger notices are made visible again when
// the move ends. Every received notice counts as one receive towards the queue's maxReceiveCount,
// which is why the move runs only when the notice-age alarm goes off.
type Mover struct {
	Queues *queues
	Prefix string // EVX_QUEUE_PREFIX: SQS names are <Prefix>cp-<id>.fifo and <Prefix>cp-<id>-dlq.fifo
	MaxAge time.Duration
	Clock  pipeline.Clock
	// MaxRounds bounds the receives of one Move (10 messages each); the next alarm or run
	// continues where it stopped.
	MaxRounds int
}

// QueueNames returns the SQS names of a counterpart's queue and dead-letter queue, as
// template.yaml names them.
func QueueNames(prefix, counterpart string) (queue, dlq string) {
	base := prefix + pipeline.QueueName(counterpart)
	return base + ".fifo", base + "-dlq.fifo"
}

// Move moves the old notices of counterpart and returns how many it moved.
func (m *Mover) Move(ctx context.Context, counterpart string) (int, error) {
	qn, dn := QueueNames(m.Prefix, counterpart)
	qurl, err := m.Queues.url(ctx, qn)
	if err != nil {
		return 0, err
	}
	durl, err := m.Queues.url(ctx, dn)
	if err != nil {
		return 0, err
	}
	c := m.Queues.sqs
	// Younger notices stay in flight until the end, so that each receive brings new ones,
	// then all are made visible again.
	var held []*string
	defer func() {
		for _, h := range held {
			c.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{QueueUrl: &qurl, ReceiptHandle: h, VisibilityTimeout: 0})
		}
	}()
	moved := 0
	for round := 0; round < m.MaxRounds; round++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &qurl, MaxNumberOfMessages: 10, VisibilityTimeout: 120,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"}})
		if err != nil {
			return moved, fmt.Errorf("receive from %s: %w", qn, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, msg := range out.Messages {
			id := aws.ToString(msg.MessageId)
			if !m.old(msg) {
				held = append(held, msg.ReceiptHandle)
				continue
			}
			group := msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
			if group == "" {
				group = counterpart
			}
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &durl, MessageBody: msg.Body, MessageAttributes: msg.MessageAttributes,
				MessageGroupId: &group, MessageDeduplicationId: &id}); err != nil {
				held = append(held, msg.ReceiptHandle)
				return moved, fmt.Errorf("keep %s in %s: %w", id, dn, err)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &qurl, ReceiptHandle: msg.ReceiptHandle}); err != nil {
				return moved, fmt.Errorf("delete %s from %s (kept in %s): %w", id, qn, dn, err)
			}
			moved++
		}
	}
	return moved, nil
}

// old reports whether msg was sent MaxAge ago or more (a message without a readable
// SentTimestamp counts as old: better kept in the dead-letter queue than lost).
func (m *Mover) old(msg types.Message) bool {
	ms, err := strconv.ParseInt(msg.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64)
	if err != nil {
		return true
	}
	return m.Clock().Sub(time.UnixMilli(ms)) >= m.MaxAge
}
