package dynamostate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// subjectPartition lists custody subjects that are found by name, not by a scan of the
// custody table: the requests (request:ID), registered as they are issued.
const subjectPartition = "#subject"

// AddSubject records a custody subject (request.Registry). Recording it again changes
// nothing.
func (t *Table) AddSubject(ctx context.Context, subject string) error {
	if subject == "" || len(subject) > 1024 {
		return fmt.Errorf("subject of %d bytes: want 1 to 1024", len(subject))
	}
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: withVersion(key(subjectPartition, subject))})
	return err
}

// Subjects returns the recorded subjects that start with prefix, sorted (request.Lister):
// one Query of the "#subject" partition, where the custody table could only be scanned.
func (t *Table) Subjects(ctx context.Context, prefix string) ([]string, error) {
	items, err := t.query(ctx, subjectPartition)
	if err != nil {
		return nil, fmt.Errorf("subjects %q: %w", prefix, err)
	}
	var out []string
	for _, it := range items {
		if _, err := itemVersion(it, "subject"); err != nil {
			return nil, err
		}
		if s := getS(it, "delivery"); strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}
