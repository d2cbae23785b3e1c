package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/sqsbatch"
)

// Archive stores one object.
type Archive interface {
	Put(ctx context.Context, key string, body []byte) error
}

// Handler adapts SQS batches to the event archive.
type Handler struct {
	Archive Archive
	Log     *slog.Logger
	// Metrics gets each batch's counts; nil records nothing.
	Metrics *emf.Recorder
}

// Handle archives every event of the batch.
func (h Handler) Handle(ctx context.Context, batch events.SQSEvent) (events.SQSEventResponse, error) {
	return sqsbatch.Process(ctx, h.Log, h.Metrics, batch, h.archive), nil
}

func (h Handler) archive(ctx context.Context, msg events.SQSMessage) error {
	e, err := orderevents.Parse([]byte(msg.Body))
	if err != nil {
		return err
	}
	key, line, err := Record(e)
	if err != nil {
		return err
	}
	return h.Archive.Put(ctx, key, line)
}

// Record returns the object key and JSON line of an event. The key is partitioned
// by the day the event occurred (UTC), Hive style, so Athena can prune by date, and
// named by event ID, so a redelivered event overwrites itself instead of counting twice.
func Record(e orderevents.Event) (key string, line []byte, err error) {
	t := e.OccurredAt.UTC()
	key = fmt.Sprintf("events/year=%04d/month=%02d/day=%02d/%s.json", t.Year(), t.Month(), t.Day(), e.EventID)
	var b bytes.Buffer
	enc := json.NewEncoder(&b) // one line, newline-terminated: JSON Lines
	if err := enc.Encode(struct {
		orderevents.Event
		Items int `json:"items"`
	}{e, e.Items()}); err != nil {
		return "", nil, fmt.Errorf("encode: %w", err)
	}
	return key, b.Bytes(), nil
}
