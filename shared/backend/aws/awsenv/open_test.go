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
