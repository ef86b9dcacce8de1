// Package dynamoitem stamps and reads the layout version of the DynamoDB items evx's AWS
// backends write (dynamoledger, dynamostate, sqsqueue's sent ids), so that every table
// follows one rule.
package dynamoitem

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Version is the layout of the items this release writes, kept in each item's "v"
// attribute. An item without one was written before items carried a version, in the layout
// of version 1, and reads as version 0. A change to an item's layout raises Version and
// keeps reading every earlier one.
const Version = 1

// Attr names the attribute that holds an item's layout version.
const Attr = "v"

// NewerItemError: an item was written by a later evx, in a layout this one does not know.
type NewerItemError struct {
	Item             string // which item, for the message
	Found, Supported int
}

func (e *NewerItemError) Error() string {
	return fmt.Sprintf("%s: item layout version %d is newer than this evx supports (%d): run the evx that wrote it, or a later one", e.Item, e.Found, e.Supported)
}

// WithVersion stamps item with Version and returns it.
func WithVersion(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	item[Attr] = &types.AttributeValueMemberN{Value: strconv.Itoa(Version)}
	return item
}

// VersionOf returns the layout version of item (0 when it has none) or an error when it is
// malformed or newer than Version; what names the item in errors.
func VersionOf(item map[string]types.AttributeValue, what string) (int, error) {
	a, ok := item[Attr]
	if !ok {
		return 0, nil
	}
	nv, ok := a.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("%s: version attribute is not a number", what)
	}
	v, err := strconv.Atoi(nv.Value)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s: version %q is not a layout version", what, nv.Value)
	}
	if v > Version {
		return v, &NewerItemError{Item: what, Found: v, Supported: Version}
	}
	return v, nil
}
