//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// Requests on AWS, through the api bootstrap: this deployment's prosecutor issues an EIO to
// es-fge, es-fge finds it in its list and acknowledges it, legal staff read it and its trail,
// another counterpart sees none of it; the list is a Query of the registry, and a request the
// registry lost is registered again by the audit function's daily run.
func TestIntegrationRequestsOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-prosecutor-0123": {map[string]string{"sub": "a.vermeer", "iss": issuer, "client_id": "evx-web"}, []string{"evx/upload"}},
		"tok-es-fge-01234567": {map[string]string{"sub": "m.garcia", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		"tok-nl-om-012345678": {map[string]string{"sub": "u1", "iss": issuer, "client_id": "evx-sample-nl-om"}, []string{"evx/counterpart"}},
		"tok-legal-012345678": {map[string]string{"sub": "clerk-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	})
	as := func(tok string) *client.Client { return apiClient(t, srv.URL, tok) }
	prosecutor, esFge, nlOm, legal := as("tok-prosecutor-0123"), as("tok-es-fge-01234567"), as("tok-nl-om-012345678"), as("tok-legal-012345678")
	s, err := prosecutor.IssueRequest(ctx, request.Request{ID: "EIO-HOME-2026-1", Type: request.EIO, Addressee: "es-fge",
		LegalBasis: "Directive 2014/41/EU", CaseReference: "OM-2026-114", HandlingCode: "H1", Subject: "bank records"})
	if err != nil || s.Issuer != "home" || s.IssuerPerson != "a.vermeer" || s.Status != request.Issued {
		t.Fatalf("issue = %+v, %v; want issued by home/a.vermeer", s, err)
	}
	w.take()
	l, err := esFge.Requests(ctx, client.RequestFilter{})
	if err != nil || len(l) != 1 || l[0].ID != "EIO-HOME-2026-1" {
		t.Fatalf("es-fge's list = %+v, %v; want the EIO", l, err)
	}
	if calls := w.take(); count(calls, "DynamoDB Scan") != 0 {
		t.Errorf("listing requests made %q, want no Scan", calls)
	}
	if s, err = esFge.ActOnRequest(ctx, "EIO-HOME-2026-1", "ack", client.RequestAction{}); err != nil || s.Status != request.Received {
		t.Fatalf("ack = %+v, %v", s, err)
	}
	if l, err := nlOm.Requests(ctx, client.RequestFilter{}); err != nil || len(l) != 0 {
		t.Errorf("nl-om's list = %+v, %v; want none", l, err)
	}
	var apiErr *client.APIError
	if _, err := nlOm.Request(ctx, "EIO-HOME-2026-1"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("nl-om reads the EIO = %v, want 404", err)
	}
	if s, err := legal.Request(ctx, "EIO-HOME-2026-1"); err != nil || s.Status != request.Received || s.Events != 2 {
		t.Errorf("legal reads = %+v, %v", s, err)
	}

	// The registry loses the request (a crash between its event and its registration); the
	// daily audit run registers it again from the custody log.
	if _, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &st.cfg.DeliveriesTable, Key: map[string]dtypes.AttributeValue{
		"counterpart": &dtypes.AttributeValueMemberS{Value: "#subject"}, "delivery": &dtypes.AttributeValueMemberS{Value: custody.RequestSubject("EIO-HOME-2026-1")}}}); err != nil {
		t.Fatal(err)
	}
	if l, _ := legal.Requests(ctx, client.RequestFilter{}); len(l) != 0 {
		t.Fatalf("list after the registry lost it = %d, want 0", len(l))
	}
	res := json.RawMessage(invoke(t, fns["audit"], map[string]string{}))
	if l, err := legal.Requests(ctx, client.RequestFilter{}); err != nil || len(l) != 1 {
		t.Fatalf("list after the daily run (%s) = %d, %v; want the EIO again", res, len(l), err)
	}
}
