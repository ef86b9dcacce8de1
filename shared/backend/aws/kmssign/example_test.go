package kmssign_test

import (
	"context"
	"fmt"
	"log"

	"github.com/evx-project/evx/shared/backend/aws/kmssign"
	"github.com/evx-project/evx/shared/custody"
)

// Sign with a KMS key and verify with the public key alone.
func Example() {
	ctx := context.Background()
	client, err := kmssign.NewClient(ctx)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := kmssign.New(ctx, client, "alias/evx-signing")
	if err != nil {
		log.Fatal(err)
	}
	msg := []byte("checkpoint")
	sig, err := signer.Sign(ctx, msg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signer.KeyID(), custody.VerifySignature(signer.Public(), msg, sig) == nil)
}
