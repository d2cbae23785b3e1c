package main

import (
	"context"
	"testing"

	"github.com/example/scalable-web/internal/sqstest"
)

// BenchmarkHandlerPerMessage is the handler's own cost per message (decode,
// validate, compose, log) with its output in memory.
func BenchmarkHandlerPerMessage(b *testing.B) {
	batch := sqstest.Fixture(b, "batch-of-ten-one-poison.json")
	h := Handler{Sender: &outbox{}, Once: alwaysOnce{}, Log: quiet}
	b.ReportAllocs()
	for b.Loop() {
		h.Handle(context.Background(), batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Records)), "ns/msg")
}
