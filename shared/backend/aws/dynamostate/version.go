package dynamostate

import "github.com/evx-project/evx/shared/backend/aws/internal/dynamoitem"

// Item layout versions follow the one rule of package dynamoitem.
const (
	ItemVersion = dynamoitem.Version
	versionAttr = dynamoitem.Attr
)

// NewerItemError: an item was written by a later evx, in a layout this one does not know.
type NewerItemError = dynamoitem.NewerItemError

var (
	withVersion = dynamoitem.WithVersion
	itemVersion = dynamoitem.VersionOf
)
