// Package dynamostate keeps the pipeline's uploads, deliveries, receipts and submissions in
// one DynamoDB table, for evx on AWS.
//
// Table implements pipeline.Uploads, Deliveries, Receipts and Submissions and passes their
// conformance suites (statetest). It also records where each upload's bag lies in S3 (Table.SetSource,
// Table.Source), which package s3bags reads.
//
// Layout (a compatibility promise; template.yaml declares the keys, counterpart S and
// delivery S):
//
//	counterpart <cp>       delivery <id>      bundle S, created N, deadline N, state S[, handling S]
//	counterpart "#id"      delivery <id>      cp S: the counterpart of delivery <id>
//	counterpart "#upload"  delivery <bundle>  uploader S, size N, state S, received N
//	counterpart "#source"  delivery <bundle>  bucket S, key S, version S
//	counterpart "#receipt" delivery <id>      receipt B, chunks N (chunk 0; see receipts.go)
//	counterpart "#receipt" delivery <id>#<k>  receipt B: chunk k of a receipt over 300 KiB
//	counterpart "#submission" delivery <bundle>/<uploader>  bundle S, uploader S, size N, received N
//	counterpart "#subject" delivery <subject>  (a request's custody subject, request:ID; subjects.go)
//	counterpart "#blob"    delivery <sha256>   holders SS, disposing S (the document guard; guard.go)
//
// Counterpart ids never start with '#', so the bookkeeping partitions never mix with a
// counterpart's deliveries. Times are Unix nanoseconds. A delivery and its "#id" item are
// written in one transaction; a state change is an UpdateItem conditional on the state the
// caller expects. Every read is strongly consistent and every Query and Scan is paginated.
package dynamostate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// Partition keys of the bookkeeping items.
const (
	idPartition     = "#id"
	uploadPartition = "#upload"
	sourcePartition = "#source"
)

// API is the part of *dynamodb.Client a Table uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Table is the uploads and deliveries state in one DynamoDB table.
type Table struct {
	db   API
	name string
	// HoldWait bounds how long Hold waits for a disposal's claim to end; 0 means
	// DefaultHoldWait.
	HoldWait time.Duration
}

var (
	_ pipeline.Uploads    = (*Table)(nil)
	_ pipeline.Deliveries = (*Table)(nil)
)

// New returns the state kept in table name.
func New(db API, name string) *Table { return &Table{db: db, name: name} }

// NewClient builds a DynamoDB client from the SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, the shared config files).
func NewClient(ctx context.Context, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, optFns...), nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(part, sort string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"counterpart": s(part), "delivery": s(sort)}
}

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s missing or not a number", name)
	}
	return strconv.ParseInt(v.Value, 10, 64)
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return true
	}
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return true
			}
		}
	}
	return false
}

func (t *Table) get(ctx context.Context, part, sort string) (map[string]types.AttributeValue, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key(part, sort), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, pipeline.ErrNotFound
	}
	return out.Item, nil
}

// query returns every item of a partition, in sort-key order, page by page.
func (t *Table) query(ctx context.Context, part string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("counterpart = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(part)},
	}
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(t.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

// ---- uploads --------------------------------------------------------------------------------

func uploadItem(u pipeline.Upload) map[string]types.AttributeValue {
	item := key(uploadPartition, u.BundleID)
	item["uploader"], item["size"], item["state"], item["received"] = s(u.Uploader), n(u.Size), s(string(u.State)), n(u.Received.UnixNano())
	return withVersion(item)
}

func parseUpload(item map[string]types.AttributeValue) (pipeline.Upload, error) {
	u := pipeline.Upload{BundleID: getS(item, "delivery"), Uploader: getS(item, "uploader"), State: pipeline.UploadState(getS(item, "state"))}
	if _, err := itemVersion(item, "upload "+u.BundleID); err != nil {
		return u, err
	}
	var err error
	if u.Size, err = getN(item, "size"); err != nil {
		return u, fmt.Errorf("upload %s: %w", u.BundleID, err)
	}
	recv, err := getN(item, "received")
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", u.BundleID, err)
	}
	u.Received = time.Unix(0, recv).UTC()
	return u, nil
}

// AddUpload implements pipeline.Uploads: a PutItem on the condition that the bundle is new.
func (t *Table) AddUpload(ctx context.Context, u pipeline.Upload) (pipeline.Upload, error) {
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &t.name, Item: uploadItem(u), ConditionExpression: aws.String("attribute_not_exists(delivery)"),
	})
	if err != nil && !isConditionFailed(err) {
		return pipeline.Upload{}, fmt.Errorf("add upload %s: %w", u.BundleID, err)
	}
	return t.Upload(ctx, u.BundleID)
}

// Upload implements pipeline.Uploads.
func (t *Table) Upload(ctx context.Context, bundleID string) (pipeline.Upload, error) {
	item, err := t.get(ctx, uploadPartition, bundleID)
	if err != nil {
		return pipeline.Upload{}, fmt.Errorf("upload %s: %w", bundleID, err)
	}
	return parseUpload(item)
}

// SetUploadState implements pipeline.Uploads: an UpdateItem on the condition that the upload
// exists.
func (t *Table) SetUploadState(ctx context.Context, bundleID string, st pipeline.UploadState) error {
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(uploadPartition, bundleID),
		UpdateExpression:          aws.String("SET #s = :s"),
		ConditionExpression:       aws.String("attribute_exists(delivery)"),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(string(st))},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("upload %s: %w", bundleID, pipeline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("upload %s state: %w", bundleID, err)
	}
	return nil
}

// Pending implements pipeline.Uploads: the uploads partition, read whole and filtered here
// (uploads reach a final state within minutes, so few are ever pending; the partition grows
// with every upload, which an operator may archive).
func (t *Table) Pending(ctx context.Context) ([]pipeline.Upload, error) {
	items, err := t.query(ctx, uploadPartition)
	if err != nil {
		return nil, fmt.Errorf("pending uploads: %w", err)
	}
	var out []pipeline.Upload
	for _, item := range items {
		u, err := parseUpload(item)
		if err != nil {
			return nil, err
		}
		if !u.State.Final() {
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b pipeline.Upload) int {
		if c := a.Received.Compare(b.Received); c != 0 {
			return c
		}
		return strings.Compare(a.BundleID, b.BundleID)
	})
	return out, nil
}

// Source is where an upload's bag lies in S3.
type Source struct {
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Version string `json:"version,omitempty"` // empty when the bucket is not versioned
}

// SetSource records where the bag of bundleID lies. The record never changes: the bundle id
// is derived from the source (s3bags.BundleID), so writing it again writes the same values.
func (t *Table) SetSource(ctx context.Context, bundleID string, src Source) error {
	item := key(sourcePartition, bundleID)
	item["bucket"], item["key"], item["version"] = s(src.Bucket), s(src.Key), s(src.Version)
	if _, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: withVersion(item)}); err != nil {
		return fmt.Errorf("record source of %s: %w", bundleID, err)
	}
	return nil
}

// Source returns where the bag of bundleID lies; an error wrapping pipeline.ErrNotFound when
// none was recorded.
func (t *Table) Source(ctx context.Context, bundleID string) (Source, error) {
	item, err := t.get(ctx, sourcePartition, bundleID)
	if err != nil {
		return Source{}, fmt.Errorf("source of upload %s: %w", bundleID, err)
	}
	if _, err := itemVersion(item, "source of upload "+bundleID); err != nil {
		return Source{}, err
	}
	return Source{Bucket: getS(item, "bucket"), Key: getS(item, "key"), Version: getS(item, "version")}, nil
}

// ---- deliveries -----------------------------------------------------------------------------

func deliveryItem(d pipeline.Delivery) map[string]types.AttributeValue {
	item := key(d.Counterpart, d.ID)
	item["bundle"], item["created"], item["deadline"], item["state"] = s(d.BundleID), n(d.Created.UnixNano()), n(d.Deadline.UnixNano()), s(string(d.State))
	if d.Handling != "" {
		item["handling"] = s(d.Handling)
	}
	return withVersion(item)
}

func parseDelivery(item map[string]types.AttributeValue) (pipeline.Delivery, error) {
	d := pipeline.Delivery{ID: getS(item, "delivery"), Counterpart: getS(item, "counterpart"), BundleID: getS(item, "bundle"), State: pipeline.DeliveryState(getS(item, "state")), Handling: getS(item, "handling")}
	if _, err := itemVersion(item, "delivery "+d.ID); err != nil {
		return d, err
	}
	created, err := getN(item, "created")
	if err != nil {
		return d, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	deadline, err := getN(item, "deadline")
	if err != nil {
		return d, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	d.Created, d.Deadline = time.Unix(0, created).UTC(), time.Unix(0, deadline).UTC()
	return d, nil
}

func checkCounterpart(cp string) error {
	if cp == "" || strings.HasPrefix(cp, "#") {
		return fmt.Errorf("counterpart id %q: want a directory id", cp)
	}
	return nil
}

// AddDelivery implements pipeline.Deliveries: the delivery and its "#id" item in one
// transaction, each on the condition that it is new.
func (t *Table) AddDelivery(ctx context.Context, d pipeline.Delivery) (pipeline.Delivery, error) {
	if err := checkCounterpart(d.Counterpart); err != nil {
		return pipeline.Delivery{}, err
	}
	idItem := key(idPartition, d.ID)
	idItem["cp"] = s(d.Counterpart)
	cond := aws.String("attribute_not_exists(delivery)")
	_, err := t.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &t.name, Item: deliveryItem(d), ConditionExpression: cond}},
		{Put: &types.Put{TableName: &t.name, Item: withVersion(idItem), ConditionExpression: cond}},
	}})
	if err != nil && !isConditionFailed(err) {
		return pipeline.Delivery{}, fmt.Errorf("add delivery %s: %w", d.ID, err)
	}
	return t.Delivery(ctx, d.ID)
}

func (t *Table) counterpartOf(ctx context.Context, id string) (string, error) {
	item, err := t.get(ctx, idPartition, id)
	if err != nil {
		return "", fmt.Errorf("delivery %s: %w", id, err)
	}
	return getS(item, "cp"), nil
}

// Delivery implements pipeline.Deliveries.
func (t *Table) Delivery(ctx context.Context, id string) (pipeline.Delivery, error) {
	cp, err := t.counterpartOf(ctx, id)
	if err != nil {
		return pipeline.Delivery{}, err
	}
	item, err := t.get(ctx, cp, id)
	if err != nil {
		return pipeline.Delivery{}, fmt.Errorf("delivery %s: %w", id, err)
	}
	return parseDelivery(item)
}

// ListDeliveries implements pipeline.Deliveries: one Query of the counterpart's partition.
func (t *Table) ListDeliveries(ctx context.Context, counterpart string) ([]pipeline.Delivery, error) {
	if checkCounterpart(counterpart) != nil {
		return nil, nil
	}
	items, err := t.query(ctx, counterpart)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", counterpart, err)
	}
	return parseSorted(items)
}

func parseSorted(items []map[string]types.AttributeValue) ([]pipeline.Delivery, error) {
	out := make([]pipeline.Delivery, 0, len(items))
	for _, item := range items {
		d, err := parseDelivery(item)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b pipeline.Delivery) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SetDeliveryState implements pipeline.Deliveries: an UpdateItem on the condition that the
// state is from.
func (t *Table) SetDeliveryState(ctx context.Context, id string, from, to pipeline.DeliveryState) error {
	cp, err := t.counterpartOf(ctx, id)
	if err != nil {
		return err
	}
	_, err = t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(cp, id),
		UpdateExpression:          aws.String("SET #s = :to"),
		ConditionExpression:       aws.String("#s = :from"),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":to": s(string(to)), ":from": s(string(from))},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("delivery %s: not %s: %w", id, from, pipeline.ErrStateConflict)
	}
	if err != nil {
		return fmt.Errorf("delivery %s state: %w", id, err)
	}
	return nil
}

// Due implements pipeline.Deliveries: a paginated Scan filtered on state and deadline. It runs
// from the scheduled audit, not on a request path; a table grown past what one run should scan
// wants a sparse index on the consigned deliveries.
func (t *Table) Due(ctx context.Context, at time.Time) ([]pipeline.Delivery, error) {
	in := &dynamodb.ScanInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("#s = :c AND deadline < :t"),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(string(pipeline.DeliveryConsigned)), ":t": n(at.UnixNano())},
	}
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(t.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("due deliveries: %w", err)
		}
		items = append(items, out.Items...)
	}
	return parseSorted(items)
}

// Uploads lists every upload received at or after since, oldest first (one paginated Query of
// the uploads partition), for the scheduled fixity check.
func (t *Table) Uploads(ctx context.Context, since time.Time) ([]pipeline.Upload, error) {
	items, err := t.query(ctx, uploadPartition)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	var out []pipeline.Upload
	for _, item := range items {
		u, err := parseUpload(item)
		if err != nil {
			return nil, err
		}
		if !u.Received.Before(since) {
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b pipeline.Upload) int { return a.Received.Compare(b.Received) })
	return out, nil
}
