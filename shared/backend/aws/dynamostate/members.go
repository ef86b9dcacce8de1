package dynamostate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/pipeline"
)

// The progress of ingests (pipeline.Members), a partition per bundle so that the chunks of a
// large bag write apart from every other bundle's:
//
//	counterpart "#member/<bundle>"  delivery <hex SHA-256 of the path, 32 digits>
//	                                path S, size N, digests M (algorithm -> S)[, media S, extraction S]
//	counterpart "#chunks"           delivery <bundle>   done NS (the chunks done)
//
// A member's sort key is a hash of its path because a path may be longer than DynamoDB's
// 1,024-byte sort key. A record is about 300 bytes: a 20,000-file bag's take 6 MB, which
// BundleMembers reads in six or seven strongly consistent pages.
const (
	memberPartition = "#member/"
	chunksPartition = "#chunks"
)

var _ pipeline.Members = (*Table)(nil)

func memberKey(path string) string {
	h := sha256.Sum256([]byte(path))
	return hex.EncodeToString(h[:16])
}

// RecordMember implements pipeline.Members: one PutItem.
func (t *Table) RecordMember(ctx context.Context, bundleID string, m pipeline.MemberRecord) error {
	item := key(memberPartition+bundleID, memberKey(m.Path))
	ds := map[string]types.AttributeValue{}
	for alg, sum := range m.Digests {
		ds[alg] = s(sum)
	}
	item["path"], item["size"], item["digests"] = s(m.Path), n(m.Size), &types.AttributeValueMemberM{Value: ds}
	if m.MediaType != "" {
		item["media"] = s(m.MediaType)
	}
	if m.Extraction != "" {
		item["extraction"] = s(m.Extraction)
	}
	if _, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: withVersion(item)}); err != nil {
		return fmt.Errorf("record %s of %s: %w", m.Path, bundleID, err)
	}
	return nil
}

// BundleMembers implements pipeline.Members: one paginated Query of the bundle's partition.
func (t *Table) BundleMembers(ctx context.Context, bundleID string) ([]pipeline.MemberRecord, error) {
	in := &dynamodb.QueryInput{
		TableName: &t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("counterpart = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(memberPartition + bundleID)},
	}
	var out []pipeline.MemberRecord
	p := dynamodb.NewQueryPaginator(t.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("member records of %s: %w", bundleID, err)
		}
		for _, item := range page.Items {
			m := pipeline.MemberRecord{Path: getS(item, "path"), MediaType: getS(item, "media"), Extraction: getS(item, "extraction")}
			what := "member record " + m.Path + " of " + bundleID
			if _, err := itemVersion(item, what); err != nil {
				return nil, err
			}
			if m.Size, err = getN(item, "size"); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			ds, ok := item["digests"].(*types.AttributeValueMemberM)
			if !ok {
				return nil, fmt.Errorf("%s: no digests", what)
			}
			m.Digests = map[string]string{}
			for alg, v := range ds.Value {
				sv, ok := v.(*types.AttributeValueMemberS)
				if !ok {
					return nil, fmt.Errorf("%s: digest %s is not a string", what, alg)
				}
				m.Digests[alg] = sv.Value
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// ChunkDone implements pipeline.Members: one UpdateItem adding k to the bundle's set of chunks
// done, which returns the item (ALL_NEW: moto returns no UPDATED_NEW when k was in the set).
func (t *Table) ChunkDone(ctx context.Context, bundleID string, k int) (int, error) {
	out, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &t.name, Key: key(chunksPartition, bundleID),
		UpdateExpression:          aws.String("ADD done :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberNS{Value: []string{strconv.Itoa(k)}}},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return 0, fmt.Errorf("chunk %d of %s done: %w", k, bundleID, err)
	}
	done, ok := out.Attributes["done"].(*types.AttributeValueMemberNS)
	if !ok {
		return 0, fmt.Errorf("chunk %d of %s done: no set returned", k, bundleID)
	}
	return len(done.Value), nil
}
