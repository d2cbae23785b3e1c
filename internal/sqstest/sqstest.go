// Package sqstest holds the SQS event fixtures that every consumer's tests share
// (one set, in testdata/), and helpers to read them.
package sqstest

import (
	"embed"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Fixture reads testdata/name, an SQS event as Lambda delivers it.
func Fixture(t testing.TB, name string) events.SQSEvent {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e events.SQSEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

// Failed lists the message IDs a handler reported as failed.
func Failed(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}
