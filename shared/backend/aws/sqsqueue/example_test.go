package sqsqueue_test

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
)

// Deliver to a counterpart's queue (evx-nl-om.fifo) once, however often the step is retried.
func Example() {
	ctx := context.Background()
	client, err := sqsqueue.NewClient(ctx)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	q := sqsqueue.New(client, sqsqueue.WithPrefix("evx-"),
		sqsqueue.WithSentTable(dynamodb.NewFromConfig(cfg), "evx-sent", 0))
	for range 2 { // the second send is a no-op
		if err := q.Send(ctx, "nl-om", "bundle-7:nl-om", []byte(`{"bundle":"bundle-7"}`)); err != nil {
			log.Fatal(err)
		}
	}
	ms, err := q.Receive(ctx, "nl-om", 10, 5*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range ms {
		// ... fetch and check the documents, then:
		if err := q.Ack(ctx, "nl-om", m.Handle); err != nil {
			log.Fatal(err)
		}
	}
}
