package main

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkReport is one report of 100 products, sales in memory: the job's own
// cost beside its query.
func BenchmarkReport(b *testing.B) {
	products := make([]Product, 100)
	for i := range products {
		products[i] = Product{SKU: fmt.Sprint("SKU-", i), Name: "product", Units: int64(100 - i), RevenueCents: int64(1000 * (100 - i))}
	}
	job := Job{Sales: &fixedSales{orders: 500, products: products}, Store: memoryStore{}, Notifier: &memoryNotifier{}, Zone: time.UTC, Log: quiet}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := job.Run(context.Background(), Request{Date: "2026-11-22"}); err != nil {
			b.Fatal(err)
		}
	}
}
