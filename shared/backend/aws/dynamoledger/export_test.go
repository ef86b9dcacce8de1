package dynamoledger

// TestKeyRule lets the integration tests run the key rule of rotation_test.go on the emulators.
var TestKeyRule = testKeyRule
