package dynamostate

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/evx-project/evx/shared/pipeline"
)

// TestItemsOfEveryVersion: items as the release before versioning wrote them (no "v") and as
// this release writes them both read; an item of a later layout is refused.
func TestItemsOfEveryVersion(t *testing.T) {
	at := time.Date(2026, 3, 15, 9, 7, 3, 0, time.UTC)
	d := pipeline.Delivery{ID: "d-1", Counterpart: "nl-om", BundleID: "B1", State: pipeline.DeliveryConsigned, Created: at, Deadline: at.Add(time.Hour)}
	u := pipeline.Upload{BundleID: "B1", Uploader: "insp", Size: 7, State: pipeline.UploadState("received"), Received: at}
	unversioned := func(it map[string]types.AttributeValue) map[string]types.AttributeValue {
		delete(it, versionAttr)
		return it
	}
	newer := func(it map[string]types.AttributeValue) map[string]types.AttributeValue {
		it[versionAttr] = n(ItemVersion + 1)
		return it
	}
	for _, tc := range []struct {
		name  string
		edit  func(map[string]types.AttributeValue) map[string]types.AttributeValue
		newer bool
	}{
		{"written before versioning", unversioned, false},
		{"current", func(it map[string]types.AttributeValue) map[string]types.AttributeValue { return it }, false},
		{"later layout", newer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotD, errD := parseDelivery(tc.edit(deliveryItem(d)))
			gotU, errU := parseUpload(tc.edit(uploadItem(u)))
			var ne *NewerItemError
			if tc.newer {
				if !errors.As(errD, &ne) || !errors.As(errU, &ne) {
					t.Fatalf("parse(later layout) = %v, %v, want *NewerItemError", errD, errU)
				}
				return
			}
			if errD != nil || errU != nil {
				t.Fatalf("parse = %v, %v", errD, errU)
			}
			if gotD != d || gotU != u {
				t.Errorf("parsed %+v, %+v, want %+v, %+v", gotD, gotU, d, u)
			}
		})
	}
}
