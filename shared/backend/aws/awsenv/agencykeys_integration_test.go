//go:build integration

package awsenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/backend/aws/kmssign"
	"github.com/evx-project/evx/shared/custody"
)

// The agencies' key changes on DynamoDB Local, recorded by several functions' processes at
// once (each Open loads the directory, as each function does): every seal key of the
// directory is recorded once on its agency's subject, whoever wins, and a later run records
// none. The custody tables on DynamoDB Local (which serializes conditional writes as
// DynamoDB does), KMS on moto_server.
func TestIntegrationAgencyKeysOnceDynamoDBLocal(t *testing.T) {
	ddb := os.Getenv("EVX_DYNAMODB_LOCAL_URL")
	if os.Getenv("AWS_ENDPOINT_URL") == "" || ddb == "" {
		t.Skip("no emulators: run through infra/emulators.sh")
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb)
	ctx := context.Background()
	kc, err := kmssign.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: ktypes.KeySpecEccNistP256, KeyUsage: ktypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := kc.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: key.KeyMetadata.Arn})
	if err != nil {
		t.Fatal(err)
	}
	db, err := dynamoledger.NewClient(ctx, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ddb) })
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	p := "k" + hex.EncodeToString(b[:])
	cfg := Config{Bucket: p + "-evidence", CustodyTable: p + "-custody", LogTable: p + "-log", DeliveriesTable: p + "-deliveries",
		SentTable: p + "-sent", QueuePrefix: p + "-", SigningKey: *key.KeyMetadata.Arn, SigningPublicKey: pk.PublicKey,
		Directory: filepath.Join("..", "..", "..", "..", "infra", "counterparts.yaml"), Origin: DefaultOrigin, Agency: "home"}
	for name, keys := range map[string][]string{cfg.CustodyTable: {"bundle", "seq:N"}, cfg.LogTable: {"id"}, cfg.DeliveriesTable: {"counterpart", "delivery"}, cfg.SentTable: {"id"}} {
		dynamotest.Create(t, db, dynamotest.Input(name, keys...))
	}
	const functions = 3
	envs := make([]*Env, functions)
	for i := range envs {
		if envs[i], err = Open(ctx, cfg, nil); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	recorded := make([]int, functions)
	errs := make([]error, functions)
	var wg sync.WaitGroup
	for i, e := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.Service.SyncAgencyKeys(ctx, e.Directory.Counterparts(), now)
			recorded[i], errs[i] = len(got), err
		}()
	}
	wg.Wait()
	keys, total := 0, 0
	for i := range envs {
		if errs[i] != nil {
			t.Fatalf("function %d: %v", i, errs[i])
		}
		total += recorded[i]
	}
	for _, a := range envs[0].Directory.Counterparts() {
		n := len(a.AllSealKeys())
		keys += n
		trail, err := envs[0].Service.Events(ctx, custody.AgencySubject(a.ID))
		if err != nil || len(trail) != n {
			t.Errorf("%s holds %d events (%v), want one per seal key: %d", custody.AgencySubject(a.ID), len(trail), err, n)
		}
		for _, en := range trail {
			if en.Event.Type != custody.AgencyKeyAdded {
				t.Errorf("%s: %s, want AgencyKeyAdded", custody.AgencySubject(a.ID), en.Event.Type)
			}
		}
	}
	if keys == 0 || total != keys {
		t.Errorf("%d functions at once recorded %v (%d), want the directory's %d seal keys once in all", functions, recorded, total, keys)
	}
	if again, err := envs[1].Service.SyncAgencyKeys(ctx, envs[1].Directory.Counterparts(), now); err != nil || len(again) != 0 {
		t.Errorf("a later run recorded %d (%v), want none", len(again), err)
	}
}
