package main

import (
	"context"
	"testing"

	"github.com/example/scalable-web/internal/sqstest"
)

// BenchmarkHandlerPerMessage is the handler's own cost per message (decode,
// validate, log), with the stock in memory: the floor under every delivery.
func BenchmarkHandlerPerMessage(b *testing.B) {
	batch := sqstest.Fixture(b, "batch-of-ten-one-poison.json")
	h := Handler{Stock: &memoryStock{}, Log: quiet}
	b.ReportAllocs()
	for b.Loop() {
		h.Handle(context.Background(), batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Records)), "ns/msg")
}

// BenchmarkPostgresPerMessage applies orders to the local PostgreSQL: one
// transaction per event, as in AWS (where the network adds its round trips).
func BenchmarkPostgresPerMessage(b *testing.B) {
	db, h := seedB(b)
	batch := sqstest.Fixture(b, "order-placed.json")
	b.ResetTimer()
	for i := range b.N {
		// A fresh event ID each time, so every message does the work.
		batch.Records[0].Body = withEventID(batch.Records[0].Body, i)
		if resp, _ := h.Handle(context.Background(), batch); len(resp.BatchItemFailures) != 0 {
			b.Fatal("failed")
		}
	}
	b.StopTimer()
	_ = db
}
