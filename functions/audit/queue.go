package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// batchSender is the part of *sqs.Client the fixity queue needs; the signature is the SDK's.
type batchSender interface {
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ batchSender = (*sqs.Client)(nil)

// enqueuer puts fixity work items on the queue at url, ten to a SendMessageBatch (SQS's
// most). An entry SQS refuses is an error naming it; the others are sent.
func enqueuer(c batchSender, url string) func(ctx context.Context, items []FixityItem) error {
	return func(ctx context.Context, items []FixityItem) error {
		var errs []error
		for i := 0; i < len(items); i += 10 {
			var entries []types.SendMessageBatchRequestEntry
			for j, it := range items[i:min(i+10, len(items))] {
				b, err := json.Marshal(it)
				if err != nil {
					return err
				}
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i + j)), MessageBody: aws.String(string(b))})
			}
			out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
			if err != nil {
				errs = append(errs, fmt.Errorf("send items %d-%d: %w", i+1, i+len(entries), err))
				continue
			}
			for _, f := range out.Failed {
				errs = append(errs, fmt.Errorf("send item %s: %s %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
		return errors.Join(errs...)
	}
}
