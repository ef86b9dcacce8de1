package awsenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/evx-project/evx/shared/bagit"
)

// TestOpenLinksS3OnlyWithS3 opens without network calls (the public key is configured) and
// checks that S3 and the object stores exist only with WithS3, and that the stand-ins refuse.
func TestOpenLinksS3OnlyWithS3(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Bucket: "b", CustodyTable: "c", LogTable: "l", DeliveriesTable: "d", SentTable: "s",
		SigningKey: "alias/evx-signing", SigningPublicKey: der, Directory: "../../../../infra/counterparts.yaml", Origin: DefaultOrigin}
	cfg := aws.Config{Region: "eu-west-1"}
	tests := []struct {
		name   string
		opts   []Option
		wantS3 bool
	}{
		{"without options", nil, false},
		{"WithS3", []Option{WithS3()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := OpenWith(context.Background(), c, cfg, nil, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.S3 != nil && e.Blobs != nil && e.Bags != nil; got != tt.wantS3 {
				t.Errorf("S3, Blobs, Bags = %v, %v, %v; want set: %v", e.S3, e.Blobs, e.Bags, tt.wantS3)
			}
			if e.DynamoDB == nil || e.SQS == nil || e.KMS == nil || e.Service == nil {
				t.Errorf("DynamoDB, SQS, KMS and the service are always built: %+v", e)
			}
		})
	}
	var nl *NotLinkedError
	if err := (noObjects{}).Put(context.Background(), "x", 0, nil); !errors.As(err, &nl) || nl.Client != "S3" {
		t.Errorf("Put = %v, want *NotLinkedError for S3", err)
	}
	if _, err := (noObjects{}).Open(context.Background(), "x"); !errors.As(err, &nl) {
		t.Errorf("Open = %v, want *NotLinkedError", err)
	}
	if _, err := (noObjects{}).OpenBag(context.Background(), "x", bagit.Limits{}); !errors.As(err, &nl) {
		t.Errorf("OpenBag = %v, want *NotLinkedError", err)
	}
}

// TestOpenWithMatcher: WithMatcher builds the identifier index from EVX_INDEX_TABLE and
// EVX_INDEX_KEY, and refuses to open without them; without it there is no matcher.
func TestOpenWithMatcher(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	c := Config{Bucket: "b", CustodyTable: "c", LogTable: "l", DeliveriesTable: "d", SentTable: "s",
		SigningKey: "alias/evx-signing", SigningPublicKey: der, Directory: "../../../../infra/counterparts.yaml", Origin: DefaultOrigin, Agency: "home"}
	cfg := aws.Config{Region: "eu-west-1"}
	ctx := context.Background()
	if e, err := OpenWith(ctx, c, cfg, nil, WithS3()); err != nil || e.Matcher != nil {
		t.Fatalf("without WithMatcher: matcher %v, %v", e.Matcher, err)
	}
	var me *MissingError
	if _, err := OpenWith(ctx, c, cfg, nil, WithS3(), WithMatcher()); !errors.As(err, &me) || len(me.Vars) != 2 {
		t.Fatalf("WithMatcher without the index's table and key = %v, want *MissingError naming both", err)
	}
	c.IndexTable, c.IndexKey = "identifiers", "alias/evx-index"
	e, err := OpenWith(ctx, c, cfg, nil, WithS3(), WithMatcher())
	if err != nil || e.Matcher == nil || e.Index == nil || e.Matcher.Agency() != "home" {
		t.Fatalf("WithMatcher = %+v, %v", e, err)
	}
	got, err := FromEnv(func(k string) string {
		return map[string]string{"EVX_BUCKET": "b", "EVX_CUSTODY_TABLE": "c", "EVX_LOG_TABLE": "l", "EVX_DELIVERIES_TABLE": "d",
			"EVX_SENT_TABLE": "s", "EVX_SIGNING_KEY": "k", "EVX_INDEX_TABLE": "idx", "EVX_INDEX_KEY": "alias/i"}[k]
	})
	if err != nil || got.IndexTable != "idx" || got.IndexKey != "alias/i" {
		t.Errorf("FromEnv = %+v, %v; want the index's table and key", got, err)
	}
}
