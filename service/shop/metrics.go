package shop

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/scalable-web/internal/emf"
)

// Reporter records the service's business metrics once a period: what this
// instance counted since the last record, and the outbox backlog, which every
// instance sees whole (chart and alarm on its Maximum). While the relay stands
// by, the outbox is a replica's copy of the active region's, which that region
// records: this one records none of it, so its outbox alarms speak only of its
// own relay.
type Reporter struct {
	Recorder *emf.Recorder
	Orders   *Orders
	Cache    *Cache
	Relay    *Relay
	Period   time.Duration
	Log      *slog.Logger

	orders, hits, misses int64 // the totals at the last record
}

// Run records until ctx ends, and once more at the end so a stopping instance
// loses nothing it counted.
func (r *Reporter) Run(ctx context.Context) {
	tick := time.NewTicker(r.Period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			r.report(final)
			cancel()
			return
		case <-tick.C:
			r.report(ctx)
		}
	}
}

func (r *Reporter) report(ctx context.Context) {
	if err := r.Report(ctx); err != nil {
		r.Log.Warn("business metrics", slog.String("error", err.Error()))
	}
}

// Report writes one record. When the outbox cannot be read, the counts are still
// recorded and the error returned.
func (r *Reporter) Report(ctx context.Context) error {
	orders := r.Orders.Placed()
	_, hits, misses := r.Cache.Stats()
	metrics := []emf.Metric{
		{Name: emf.OrdersPlaced, Unit: emf.Count, Value: float64(orders - r.orders)},
		{Name: emf.CacheHits, Unit: emf.Count, Value: float64(hits - r.hits)},
		{Name: emf.CacheMisses, Unit: emf.Count, Value: float64(misses - r.misses)},
	}
	r.orders, r.hits, r.misses = orders, hits, misses
	if r.Relay.StandingBy() {
		return r.Recorder.Record(metrics...)
	}

	backlog, oldest, err := r.Relay.Backlog(ctx)
	var parked int64
	if err == nil {
		parked, err = r.Relay.Parked(ctx)
	}
	if err == nil {
		metrics = append(metrics,
			emf.Metric{Name: emf.OutboxBacklog, Unit: emf.Count, Value: float64(backlog)},
			emf.Metric{Name: emf.OutboxOldestAge, Unit: emf.Seconds, Value: oldest.Seconds()},
			emf.Metric{Name: emf.OutboxParked, Unit: emf.Count, Value: float64(parked)})
	} else {
		err = fmt.Errorf("outbox backlog: %w", err)
	}
	if recErr := r.Recorder.Record(metrics...); recErr != nil {
		return recErr
	}
	return err
}
