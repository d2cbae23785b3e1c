package emf

// The shop's business metrics: the names the service and the functions record, and
// the dashboard and the alarms read. Each is recorded with Service set to its
// producer, in the stage's namespace (its prefix, e.g. shop-prod).
const (
	// Recorded by the service (Service=service) once a minute per instance.
	OrdersPlaced    = "OrdersPlaced"    // orders written (retries of an idempotent POST not counted)
	CacheHits       = "CacheHits"       // product reads served from the cache
	CacheMisses     = "CacheMisses"     // product reads that went to the database
	OutboxBacklog   = "OutboxBacklog"   // order events not yet published to SNS
	OutboxOldestAge = "OutboxOldestAge" // seconds the oldest of them has waited
	OutboxParked    = "OutboxParked"    // events parked after failing while others went out

	// Recorded by each consumer (Service=inventory, notifications, analytics) per batch.
	MessagesProcessed = "MessagesProcessed" // handled, or skipped as done before
	MessagesFailed    = "MessagesFailed"    // returned to the queue; a poison message ends in the DLQ
	StockShortages    = "StockShortages"    // inventory: orders that wanted more than the stock held

	// Recorded by the daily report (Service=dailyreport) once it is delivered.
	DailyOrders     = "DailyOrders"
	DailyRevenue    = "DailyRevenue" // in the shop's currency
	ReportDelivered = "ReportDelivered"
)

// The producers, as the Service dimension names them.
const (
	ServiceShop        = "service"
	ServiceDailyReport = "dailyreport"
)
