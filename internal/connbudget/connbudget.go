// Package connbudget says how many PostgreSQL connections each part of the shop
// may open and how many an RDS instance allows. The code's pools are these sizes,
// and the stage configuration is refused at synth when their sum, at the fleet's
// and the consumers' maximum scale, would not fit the primary.
package connbudget

import "fmt"

// Pool sizes: the most connections one process holds.
const (
	// ServicePrimary and ServiceReader are one service instance's pools: writes and
	// read-your-own-write to the primary; other reads to the reader name, which is
	// the primary itself in a stage without replicas.
	ServicePrimary = 10
	ServiceReader  = 10
	// Consumer is one consumer invocation's pool: it handles a batch's messages one
	// after another, each in one transaction.
	Consumer = 1
	// Report is the daily report's pool, on the reader name.
	Report = 1
	// Migration is the deploy-time migration's pool, on the primary.
	Migration = 1
	// CatalogImport is the catalog import's pool, on the primary: one connection
	// for the import's one transaction. Imports run one at a time (an advisory
	// lock): a second one started meanwhile holds its connection only to be told so.
	CatalogImport = 1
	// PerRotation is what one secret's rotation function holds at once: the
	// master's connection that sets the password, and the one that tests it.
	PerRotation = 2
	// Reserved are the slots RDS keeps for superusers (superuser_reserved_connections
	// 3, rds.rds_superuser_reserved_connections 2), which the shop's users cannot take.
	Reserved = 5
	// Headroom is left for people and tools: psql during an incident, monitoring.
	Headroom = 10
)

// MaxConnections is RDS for PostgreSQL's default max_connections,
// LEAST(DBInstanceClassMemory/9531392, 5000), for an instance class of memoryGiB.
// DBInstanceClassMemory is less than the class's nominal memory (the rest is the
// operating system's and RDS's own), so the estimate counts three quarters of it:
// a db.t4g.micro gives 84 here, and about 80 in practice.
func MaxConnections(memoryGiB float64) int {
	return min(int(memoryGiB*0.75*(1<<30)/9531392), 5000)
}

// Stage is what a stage runs at its largest.
type Stage struct {
	FleetMax            int // web.maxCapacity
	Replicas            int // database.replicas: with none, the reader pools use the primary
	DatabaseConsumers   int // consumers that connect to the database
	ConsumerConcurrency int // messaging.consumerConcurrency, each
	Rotations           int // secrets rotated against the primary
}

// Budget is the most connections a stage opens to its primary, itemised.
type Budget struct {
	Service, Consumers, Report, Migration, Import, Rotation, Reserved int
}

// Primary is the budget of s on its primary.
func Primary(s Stage) Budget {
	perInstance, report := ServicePrimary, 0
	if s.Replicas == 0 {
		perInstance, report = ServicePrimary+ServiceReader, Report
	}
	return Budget{
		Service:   s.FleetMax * perInstance,
		Consumers: s.DatabaseConsumers * s.ConsumerConcurrency * Consumer,
		Report:    report,
		Migration: Migration,
		Import:    CatalogImport,
		Rotation:  s.Rotations * PerRotation,
		Reserved:  Reserved + Headroom,
	}
}

// Total is the sum of the budget.
func (b Budget) Total() int {
	return b.Service + b.Consumers + b.Report + b.Migration + b.Import + b.Rotation + b.Reserved
}

// String names every term, e.g. for a configuration error.
func (b Budget) String() string {
	return fmt.Sprintf("%d = service %d + consumers %d + report %d + migration %d + catalog import %d + rotation %d + reserved and headroom %d",
		b.Total(), b.Service, b.Consumers, b.Report, b.Migration, b.Import, b.Rotation, b.Reserved)
}
