package dynamostate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// Submissions in the "#submission" partition, sort key "<bundle>/<uploader>" (bundle ids hold
// no '/', so a bundle's submissions are the keys that begin with "<bundle>/").
const submissionPartition = "#submission"

var _ pipeline.Submissions = (*Table)(nil)

func submissionKey(bundleID, uploader string) string { return bundleID + "/" + uploader }

// AddSubmission implements pipeline.Submissions: a PutItem on the condition that the
// (bundle, uploader) pair is new.
func (t *Table) AddSubmission(ctx context.Context, sub pipeline.Submission) (pipeline.Submission, error) {
	if strings.Contains(sub.BundleID, "/") {
		return pipeline.Submission{}, fmt.Errorf("bundle id %q: holds '/'", sub.BundleID)
	}
	item := key(submissionPartition, submissionKey(sub.BundleID, sub.Uploader))
	item["bundle"], item["uploader"], item["size"], item["received"] = s(sub.BundleID), s(sub.Uploader), n(sub.Size), n(sub.Received.UnixNano())
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &t.name, Item: withVersion(item), ConditionExpression: aws.String("attribute_not_exists(delivery)"),
	})
	if err != nil && !isConditionFailed(err) {
		return pipeline.Submission{}, fmt.Errorf("add submission of %s by %s: %w", sub.BundleID, sub.Uploader, err)
	}
	return t.Submission(ctx, sub.BundleID, sub.Uploader)
}

// Submission implements pipeline.Submissions.
func (t *Table) Submission(ctx context.Context, bundleID, uploader string) (pipeline.Submission, error) {
	item, err := t.get(ctx, submissionPartition, submissionKey(bundleID, uploader))
	if err != nil {
		return pipeline.Submission{}, fmt.Errorf("submission of %s by %s: %w", bundleID, uploader, err)
	}
	return parseSubmission(item)
}

// BundleSubmissions implements pipeline.Submissions: one paginated Query of the keys that
// begin with "<bundle>/".
func (t *Table) BundleSubmissions(ctx context.Context, bundleID string) ([]pipeline.Submission, error) {
	in := &dynamodb.QueryInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("counterpart = :p AND begins_with(delivery, :b)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": s(submissionPartition), ":b": s(bundleID + "/")},
	}
	var out []pipeline.Submission
	p := dynamodb.NewQueryPaginator(t.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("submissions of %s: %w", bundleID, err)
		}
		for _, item := range page.Items {
			sub, err := parseSubmission(item)
			if err != nil {
				return nil, err
			}
			out = append(out, sub)
		}
	}
	return out, nil
}

func parseSubmission(item map[string]types.AttributeValue) (pipeline.Submission, error) {
	sub := pipeline.Submission{BundleID: getS(item, "bundle"), Uploader: getS(item, "uploader")}
	what := "submission of " + sub.BundleID + " by " + sub.Uploader
	if _, err := itemVersion(item, what); err != nil {
		return sub, err
	}
	var err error
	if sub.Size, err = getN(item, "size"); err != nil {
		return sub, fmt.Errorf("%s: %w", what, err)
	}
	at, err := getN(item, "received")
	if err != nil {
		return sub, fmt.Errorf("%s: %w", what, err)
	}
	sub.Received = time.Unix(0, at).UTC()
	return sub, nil
}
