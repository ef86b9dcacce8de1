package dynamoledger

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// eventItem is a custody event item as the release before versioning wrote it (no "v").
func eventItem() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"bundle": s("B1"), "seq": n(1), "leaf": n(0),
		"event": s(`{"bundle":"B1","seq":1,"type":"Hashed","time":"2026-03-15T09:07:03.123456789Z","actor":{"kind":"system","id":"ingest"},"details":{},"prev":"","key_id":"sha256:00","hash":"00","signature":""}`),
	}
}

func TestItemVersions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       types.AttributeValue // nil: no version attribute
		want    int
		wantErr bool
		newer   bool
	}{
		{"written before versioning", nil, 0, false, false},
		{"current", &types.AttributeValueMemberN{Value: "1"}, 1, false, false},
		{"newer", &types.AttributeValueMemberN{Value: "2"}, 2, true, true},
		{"not a number", &types.AttributeValueMemberS{Value: "1"}, 0, true, false},
		{"negative", &types.AttributeValueMemberN{Value: "-1"}, 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := eventItem()
			if tc.v != nil {
				it[versionAttr] = tc.v
			}
			en, _, err := entry(it)
			if (err != nil) != tc.wantErr {
				t.Fatalf("entry = %+v, %v, want error %v", en, err, tc.wantErr)
			}
			var ne *NewerItemError
			if errors.As(err, &ne) != tc.newer {
				t.Errorf("entry error %v: *NewerItemError %v, want %v", err, !tc.newer, tc.newer)
			}
			if err == nil && (en.Event.Seq != 1 || en.Event.BundleID != "B1") {
				t.Errorf("entry = %+v", en)
			}
			if v, _ := itemVersion(it, "event"); v != tc.want {
				t.Errorf("itemVersion = %d, want %d", v, tc.want)
			}
		})
	}
	if got := withVersion(eventItem())[versionAttr].(*types.AttributeValueMemberN).Value; got != "1" {
		t.Errorf("withVersion stamps %q, want 1", got)
	}
}
