// Package dynamoindex is the hit/no-hit identifier index (pipeline.IdentifierIndex) in one
// DynamoDB table, for evx on AWS. Like the embedded index (sqliteindex) it holds no
// identifier value: only keyed hashes (HMAC-SHA-256 under the deployment's index key, a KMS
// HMAC key on AWS: package kmsmac), their type, and which bundle of which agency holds each.
//
// Layout (a compatibility promise; template.yaml declares the keys, key S and bundle S):
//
//	key <hex keyed hash>   bundle <id>   type S, agency S, matching N (0 or 1)
//	key "#bundle"          bundle <id>   agency S, matching N, identifiers N
//
// A keyed hash is 64 hex digits and never starts with '#'. A lookup is one Query of a key's
// partition (eventually consistent, one read request unit per 4 KB: about 60 holdings).
// AddBundle writes the entries (BatchWriteItem, 25 at a time, idempotent puts) and then the
// bundle's record, conditional on its absence; an entry carries the bundle's agency and
// matching flag, so a lookup reads no second item. The entries of a bundle whose indexing
// stopped half-way are visible before its record; the retry (IndexBundle runs again until
// IdentifiersIndexed is recorded) writes the same items again and then the record.
package dynamoindex

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

// API is the part of *dynamodb.Client an Index uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// bundlePartition holds the bundles' records.
const bundlePartition = "#bundle"

// batch is BatchWriteItem's limit of items per call.
const batch = 25

// Index is the identifier index in one DynamoDB table.
type Index struct {
	db   API
	name string
	// retries bounds the rounds of unprocessed items a batch write resends.
	retries int
}

var _ pipeline.IdentifierIndex = (*Index)(nil)

// New returns the index kept in table name.
func New(db API, name string) *Index { return &Index{db: db, name: name, retries: 8} }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func flag(b bool) types.AttributeValue {
	if b {
		return n(1)
	}
	return n(0)
}

// ItemError is an item of the table that does not have the layout's form.
type ItemError struct {
	Key, Bundle, Reason string
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("identifier index item (%s, %s): %s", e.Key, e.Bundle, e.Reason)
}

// AddBundle implements pipeline.IdentifierIndex.
func (x *Index) AddBundle(ctx context.Context, b pipeline.IndexedBundle, entries []pipeline.IndexEntry) error {
	if _, err := x.Bundle(ctx, b.BundleID); err == nil {
		return nil
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return err
	}
	seen := map[[32]byte]bool{}
	var reqs []types.WriteRequest
	for _, e := range entries {
		if seen[e.Key] {
			continue
		}
		seen[e.Key] = true
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"key": s(hex.EncodeToString(e.Key[:])), "bundle": s(b.BundleID),
			"type": s(string(e.Type)), "agency": s(b.Agency), "matching": flag(b.Matching),
		}}})
	}
	for len(reqs) > 0 {
		k := min(batch, len(reqs))
		if err := x.write(ctx, reqs[:k]); err != nil {
			return fmt.Errorf("add bundle %s: %w", b.BundleID, err)
		}
		reqs = reqs[k:]
	}
	_, err := x.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &x.name,
		Item: map[string]types.AttributeValue{"key": s(bundlePartition), "bundle": s(b.BundleID),
			"agency": s(b.Agency), "matching": flag(b.Matching), "identifiers": n(int64(len(seen)))},
		ConditionExpression:      aws.String("attribute_not_exists(#k)"),
		ExpressionAttributeNames: map[string]string{"#k": "key"},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return nil // another writer recorded it first
	}
	if err != nil {
		return fmt.Errorf("add bundle %s: %w", b.BundleID, err)
	}
	return nil
}

// write puts one batch, resending what DynamoDB left unprocessed (throttling) with backoff.
func (x *Index) write(ctx context.Context, reqs []types.WriteRequest) error {
	wait := 50 * time.Millisecond
	for round := 0; ; round++ {
		out, err := x.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{x.name: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[x.name]
		if len(reqs) == 0 {
			return nil
		}
		if round >= x.retries {
			return fmt.Errorf("%d items still unprocessed after %d rounds", len(reqs), round+1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// Lookup implements pipeline.IdentifierIndex.
func (x *Index) Lookup(ctx context.Context, key [32]byte, max int) ([]pipeline.Holding, error) {
	var out []pipeline.Holding
	var start map[string]types.AttributeValue
	for len(out) < max {
		res, err := x.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &x.name,
			KeyConditionExpression:    aws.String("#k = :k"),
			ExpressionAttributeNames:  map[string]string{"#k": "key"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": s(hex.EncodeToString(key[:]))},
			Limit:                     aws.Int32(int32(min(max-len(out), 1000))),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("look up: %w", err)
		}
		for _, it := range res.Items {
			h, err := holding(it)
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		start = res.LastEvaluatedKey
	}
	return out, nil
}

func holding(it map[string]types.AttributeValue) (pipeline.Holding, error) {
	k, b := str(it, "key"), str(it, "bundle")
	m, err := matching(it)
	if err != nil {
		return pipeline.Holding{}, &ItemError{Key: k, Bundle: b, Reason: err.Error()}
	}
	if _, err := identify.ParseType(str(it, "type")); err != nil || b == "" || str(it, "agency") == "" {
		return pipeline.Holding{}, &ItemError{Key: k, Bundle: b, Reason: "want bundle, agency and a known type"}
	}
	return pipeline.Holding{BundleID: b, Agency: str(it, "agency"), Matching: m}, nil
}

// Bundle implements pipeline.IdentifierIndex.
func (x *Index) Bundle(ctx context.Context, bundleID string) (pipeline.IndexedBundle, error) {
	b := pipeline.IndexedBundle{BundleID: bundleID}
	res, err := x.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &x.name, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"key": s(bundlePartition), "bundle": s(bundleID)},
	})
	if err != nil {
		return b, fmt.Errorf("bundle %s: %w", bundleID, err)
	}
	if len(res.Item) == 0 {
		return b, fmt.Errorf("bundle %s: %w", bundleID, pipeline.ErrNotFound)
	}
	bad := func(reason string) error { return &ItemError{Key: bundlePartition, Bundle: bundleID, Reason: reason} }
	if b.Matching, err = matching(res.Item); err != nil {
		return b, bad(err.Error())
	}
	nv, ok := res.Item["identifiers"].(*types.AttributeValueMemberN)
	if !ok {
		return b, bad("identifiers missing or not a number")
	}
	if b.Identifiers, err = strconv.Atoi(nv.Value); err != nil || b.Identifiers < 0 {
		return b, bad("identifiers not a count")
	}
	if b.Agency = str(res.Item, "agency"); b.Agency == "" {
		return b, bad("agency missing")
	}
	return b, nil
}

func str(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func matching(it map[string]types.AttributeValue) (bool, error) {
	v, ok := it["matching"].(*types.AttributeValueMemberN)
	switch {
	case !ok:
		return false, errors.New("matching missing or not a number")
	case v.Value == "1":
		return true, nil
	case v.Value == "0":
		return false, nil
	}
	return false, fmt.Errorf("matching %q, want 0 or 1", v.Value)
}
