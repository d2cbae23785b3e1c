package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/scalable-web/internal/emf"
)

// Request is what the schedule sends. Date (YYYY-MM-DD) reruns a past day; empty
// means yesterday in the job's time zone.
type Request struct {
	Date string `json:"date,omitempty"`
}

// Product is one product's sales on the day.
type Product struct {
	SKU          string `json:"sku"`
	Name         string `json:"name"`
	Units        int64  `json:"units"`
	RevenueCents int64  `json:"revenueCents"`
}

// Report is one day's sales.
type Report struct {
	Date         string    `json:"date"`
	TimeZone     string    `json:"timeZone"`
	Orders       int       `json:"orders"`
	Units        int64     `json:"units"`
	RevenueCents int64     `json:"revenueCents"`
	Products     []Product `json:"products"`
	Summary      string    `json:"summary"`
}

// Sales reads orders placed in [from, to): from a read replica.
type Sales interface {
	Between(ctx context.Context, from, to time.Time) (orders int, products []Product, err error)
}

// Store keeps a report document.
type Store interface {
	Put(ctx context.Context, key string, body []byte) error
}

// Notifier publishes the one-line summary.
type Notifier interface {
	Notify(ctx context.Context, subject, message string) error
}

// Job builds and delivers the daily report.
type Job struct {
	Sales    Sales
	Store    Store
	Notifier Notifier
	Zone     *time.Location
	Now      func() time.Time
	Log      *slog.Logger
	// Metrics gets the day's orders and revenue once the report is delivered; nil
	// records nothing.
	Metrics *emf.Recorder
}

// Run reports on one day: the report goes to the store under
// reports/daily/YYYY-MM-DD.json, and its summary to the notifier.
func (j Job) Run(ctx context.Context, req Request) (Report, error) {
	day, err := j.day(req)
	if err != nil {
		return Report{}, err
	}
	orders, products, err := j.Sales.Between(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		return Report{}, fmt.Errorf("read sales: %w", err)
	}
	r := Build(day, orders, products)
	body, _ := json.MarshalIndent(r, "", "  ")
	if err := j.Store.Put(ctx, "reports/daily/"+r.Date+".json", body); err != nil {
		return Report{}, fmt.Errorf("store report: %w", err)
	}
	if err := j.Notifier.Notify(ctx, "Daily sales "+r.Date, r.Summary); err != nil {
		return Report{}, fmt.Errorf("publish summary: %w", err)
	}
	j.Log.InfoContext(ctx, "daily report", slog.String("date", r.Date), slog.Int("orders", r.Orders), slog.String("summary", r.Summary))
	if err := j.Metrics.Record(
		emf.Metric{Name: emf.DailyOrders, Unit: emf.Count, Value: float64(r.Orders)},
		emf.Metric{Name: emf.DailyRevenue, Unit: emf.None, Value: float64(r.RevenueCents) / 100},
		emf.Metric{Name: emf.ReportDelivered, Unit: emf.Count, Value: 1},
	); err != nil {
		j.Log.WarnContext(ctx, "metrics", slog.String("error", err.Error()))
	}
	return r, nil
}

// day is the midnight that starts the day to report on, in the job's zone.
func (j Job) day(req Request) (time.Time, error) {
	if req.Date != "" {
		d, err := time.ParseInLocation(time.DateOnly, req.Date, j.Zone)
		if err != nil {
			return time.Time{}, fmt.Errorf("request date %q: want YYYY-MM-DD", req.Date)
		}
		return d, nil
	}
	now := j.Now().In(j.Zone)
	return time.Date(now.Year(), now.Month(), now.Day()-1, 0, 0, 0, 0, j.Zone), nil
}

// Build totals a day's sales and writes its summary line.
func Build(day time.Time, orders int, products []Product) Report {
	r := Report{Date: day.Format(time.DateOnly), TimeZone: day.Location().String(), Orders: orders, Products: products}
	if r.Products == nil {
		r.Products = []Product{}
	}
	for _, p := range products {
		r.Units += p.Units
		r.RevenueCents += p.RevenueCents
	}
	if orders == 0 {
		r.Summary = fmt.Sprintf("No orders on %s (%s).", r.Date, r.TimeZone)
		return r
	}
	if len(products) == 0 {
		// Orders whose lines or products are gone (or not yet replicated).
		r.Summary = fmt.Sprintf("%d orders on %s (%s), with no product lines to report.", r.Orders, r.Date, r.TimeZone)
		return r
	}
	best := products[0]
	r.Summary = fmt.Sprintf("Sold %d %s on %s (%s): %d items in %d orders, $%d.%02d in all.",
		best.Units, best.Name, r.Date, r.TimeZone, r.Units, r.Orders, r.RevenueCents/100, r.RevenueCents%100)
	return r
}
