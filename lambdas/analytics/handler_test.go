package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/example/scalable-web/internal/sqstest"
)

// bucket is an in-memory Archive.
type bucket map[string][]byte

func (b bucket) Put(_ context.Context, key string, body []byte) error {
	b[key] = body
	return nil
}

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func TestPoisonMessageInABatchOfTen(t *testing.T) {
	b := bucket{}
	resp, _ := Handler{Archive: b, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "batch-of-ten-one-poison.json"))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-06" {
		t.Errorf("got failures %v, want exactly msg-06", resp.BatchItemFailures)
	}
	if len(b) != 9 {
		t.Errorf("archived %d objects, want 9", len(b))
	}
	for key, body := range b {
		if !strings.HasPrefix(key, "events/year=2026/month=11/day=22/") || !strings.HasSuffix(key, ".json") {
			t.Errorf("key %s: want events/year=2026/month=11/day=22/<eventId>.json", key)
		}
		if strings.Count(string(body), "\n") != 1 || !json.Valid(body) {
			t.Errorf("%s: want one JSON line, got %q", key, body)
		}
	}
}

func TestDuplicateDeliveryWritesOneObject(t *testing.T) {
	b := bucket{}
	Handler{Archive: b, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "duplicate-delivery.json"))
	if len(b) != 1 {
		t.Errorf("archived %d objects for one event delivered twice, want 1", len(b))
	}
}

func TestInvalidEventsAreNotArchived(t *testing.T) {
	b := bucket{}
	resp, _ := Handler{Archive: b, Log: quiet}.Handle(context.Background(), sqstest.Fixture(t, "invalid-events.json"))
	if len(resp.BatchItemFailures) != 4 || len(b) != 0 {
		t.Errorf("got %d failures and %d objects, want 4 and 0", len(resp.BatchItemFailures), len(b))
	}
}
