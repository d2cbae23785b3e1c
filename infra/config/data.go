package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/example/scalable-web/internal/connbudget"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
)

// Database configures RDS PostgreSQL: a primary and its read replicas.
type Database struct {
	// EngineVersion is the PostgreSQL version, major.minor, e.g. "17.9".
	EngineVersion string
	// InstanceClass is one of DatabaseInstanceClasses; replicas use the same class so
	// they keep up with the primary's writes.
	InstanceClass string
	// MultiAZ keeps a synchronous standby of the primary in another AZ.
	MultiAZ bool
	// Replicas is the number of read replicas, 0 to 5; at least 2 in production.
	Replicas               int
	AllocatedStorageGiB    int
	MaxAllocatedStorageGiB int // storage autoscaling grows up to this
	BackupRetentionDays    int // 1 to 35: replicas need backups on the primary
	DeletionProtection     bool
	PerformanceInsights    bool
	// MonitoringIntervalSeconds is enhanced monitoring's interval; 0 turns it off.
	MonitoringIntervalSeconds int
	LogRetentionDays          int
	// SlowQueryMillis logs statements slower than this (log_min_duration_statement).
	SlowQueryMillis    int
	SecretRotationDays int
	// ReplicaLagAlarmSeconds is the replica lag that raises an alarm.
	ReplicaLagAlarmSeconds int
	// BackupWindow ("hh:mm-hh:mm") and MaintenanceWindow ("ddd:hh:mm-ddd:hh:mm") are UTC.
	BackupWindow      string
	MaintenanceWindow string
}

// Cache configures the ElastiCache (Valkey) replication group.
type Cache struct {
	// EngineVersion is the Valkey version: one of CacheEngineVersions.
	EngineVersion string
	// NodeType is one of CacheNodeTypes.
	NodeType string
	// Replicas is the number of read replicas of the one shard, 0 to 5.
	Replicas int
	// AutomaticFailover promotes a replica when the primary fails: needs a replica.
	AutomaticFailover bool
	// MultiAZ places the replicas in other AZs than the primary: needs failover.
	MultiAZ               bool
	SnapshotRetentionDays int // 0 turns automatic snapshots off
	LogRetentionDays      int
	// SnapshotWindow ("hh:mm-hh:mm") and MaintenanceWindow ("ddd:hh:mm-ddd:hh:mm")
	// are UTC, at least an hour long, and must not overlap.
	SnapshotWindow    string
	MaintenanceWindow string
}

// DatabaseInstanceClasses are the RDS instance classes the starter supports (Graviton,
// burstable for small stages), with their memory in GiB, which sizes the alarms.
var DatabaseInstanceClasses = map[string]float64{
	"db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
	"db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.m7g.4xlarge": 64,
	"db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64, "db.r7g.4xlarge": 128,
}

// CacheNodeTypes are the ElastiCache node types the starter supports (Graviton).
var CacheNodeTypes = []string{
	"cache.t4g.micro", "cache.t4g.small", "cache.t4g.medium",
	"cache.m7g.large", "cache.m7g.xlarge", "cache.m7g.2xlarge",
	"cache.r7g.large", "cache.r7g.xlarge", "cache.r7g.2xlarge",
}

// CacheEngineVersions are the Valkey versions the starter supports.
var CacheEngineVersions = []string{"7.2", "8.0", "8.1"}

var (
	postgresPattern   = regexp.MustCompile(`^(16|17|18)\.[0-9]+$`)
	monitoringSeconds = []int{0, 1, 5, 10, 15, 30, 60}
	dailyWindow       = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weeklyWindow      = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weekdays          = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
)

const (
	maxReplicas        = 5
	minStorageGiB      = 20
	maxStorageGiB      = 65536
	minWindowMinutes   = 60
	minutesPerDay      = 24 * 60
	minutesPerWeek     = 7 * minutesPerDay
	dailyWindowFormat  = `"hh:mm-hh:mm" in UTC, at least an hour long`
	weeklyWindowFormat = `"ddd:hh:mm-ddd:hh:mm" in UTC (ddd: mon to sun), at least an hour long`
)

func (d Database) validate(p *problems, azs int) {
	if !postgresPattern.MatchString(d.EngineVersion) {
		p.add("database.engineVersion", d.EngineVersion, "a PostgreSQL version major.minor with major 16, 17 or 18, e.g. 17.9")
	}
	if _, ok := DatabaseInstanceClasses[d.InstanceClass]; !ok {
		p.add("database.instanceClass", d.InstanceClass, "one of "+strings.Join(slices.Sorted(maps.Keys(DatabaseInstanceClasses)), ", "))
	}
	if d.MultiAZ && azs < 2 {
		p.add("database.multiAZ", d.MultiAZ, "false when network.azs is below 2")
	}
	if d.Replicas < 0 || d.Replicas > maxReplicas {
		p.add("database.replicas", d.Replicas, fmt.Sprintf("0 to %d", maxReplicas))
	}
	if d.AllocatedStorageGiB < minStorageGiB || d.AllocatedStorageGiB > maxStorageGiB {
		p.add("database.allocatedStorageGiB", d.AllocatedStorageGiB, fmt.Sprintf("%d to %d (gp3)", minStorageGiB, maxStorageGiB))
	}
	if least := (d.AllocatedStorageGiB*11 + 9) / 10; d.MaxAllocatedStorageGiB < least || d.MaxAllocatedStorageGiB > maxStorageGiB {
		p.add("database.maxAllocatedStorageGiB", d.MaxAllocatedStorageGiB, fmt.Sprintf("%d (10%% above database.allocatedStorageGiB) to %d", least, maxStorageGiB))
	}
	if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
		p.add("database.backupRetentionDays", d.BackupRetentionDays, "1 to 35: read replicas need backups on the primary")
	}
	if !slices.Contains(monitoringSeconds, d.MonitoringIntervalSeconds) {
		p.add("database.monitoringIntervalSeconds", d.MonitoringIntervalSeconds, "one of "+intList(monitoringSeconds)+" (0 turns enhanced monitoring off)")
	}
	if !slices.Contains(LogRetentionDays, d.LogRetentionDays) {
		p.add("database.logRetentionDays", d.LogRetentionDays, "one of "+intList(LogRetentionDays))
	}
	if d.SlowQueryMillis < 0 || d.SlowQueryMillis > 600000 {
		p.add("database.slowQueryMillis", d.SlowQueryMillis, "0 to 600000 (0 logs every statement)")
	}
	if d.SecretRotationDays < 1 || d.SecretRotationDays > 365 {
		p.add("database.secretRotationDays", d.SecretRotationDays, "1 to 365")
	}
	if d.ReplicaLagAlarmSeconds < 1 || d.ReplicaLagAlarmSeconds > 3600 {
		p.add("database.replicaLagAlarmSeconds", d.ReplicaLagAlarmSeconds, "1 to 3600")
	}
	validateWindows(p, "database.backupWindow", d.BackupWindow, "database.maintenanceWindow", d.MaintenanceWindow)
}

func (c Cache) validate(p *problems, azs int) {
	if !slices.Contains(CacheEngineVersions, c.EngineVersion) {
		p.add("cache.engineVersion", c.EngineVersion, "one of "+strings.Join(CacheEngineVersions, ", ")+" (Valkey)")
	}
	if !slices.Contains(CacheNodeTypes, c.NodeType) {
		p.add("cache.nodeType", c.NodeType, "one of "+strings.Join(CacheNodeTypes, ", "))
	}
	if c.Replicas < 0 || c.Replicas > maxReplicas {
		p.add("cache.replicas", c.Replicas, fmt.Sprintf("0 to %d", maxReplicas))
	}
	if c.AutomaticFailover && c.Replicas < 1 {
		p.add("cache.automaticFailover", c.AutomaticFailover, "false when cache.replicas is 0: failover needs a replica to promote")
	}
	if c.MultiAZ && !c.AutomaticFailover {
		p.add("cache.multiAZ", c.MultiAZ, "false unless cache.automaticFailover is true")
	}
	if c.MultiAZ && azs < 2 {
		p.add("cache.multiAZ", c.MultiAZ, "false when network.azs is below 2")
	}
	if c.SnapshotRetentionDays < 0 || c.SnapshotRetentionDays > 35 {
		p.add("cache.snapshotRetentionDays", c.SnapshotRetentionDays, "0 to 35 (0 turns automatic snapshots off)")
	}
	if !slices.Contains(LogRetentionDays, c.LogRetentionDays) {
		p.add("cache.logRetentionDays", c.LogRetentionDays, "one of "+intList(LogRetentionDays))
	}
	validateWindows(p, "cache.snapshotWindow", c.SnapshotWindow, "cache.maintenanceWindow", c.MaintenanceWindow)
}

// validateWindows checks a daily window and a weekly one, and that they do not
// overlap: RDS and ElastiCache both refuse that at deploy time.
func validateWindows(p *problems, dailyField, daily, weeklyField, weekly string) {
	d, dOK := parseWindow(dailyWindow, daily, false)
	w, wOK := parseWindow(weeklyWindow, weekly, true)
	if !dOK {
		p.add(dailyField, daily, dailyWindowFormat)
	}
	if !wOK {
		p.add(weeklyField, weekly, weeklyWindowFormat)
	}
	if dOK && wOK {
		for day := range 7 {
			if overlap(window{d.start + day*minutesPerDay, d.end + day*minutesPerDay}, w) {
				p.add(weeklyField, weekly, "a window that does not overlap "+dailyField+" ("+daily+")")
				return
			}
		}
	}
}

// window is a span of minutes from Monday 00:00 UTC; end may pass the week's end.
type window struct{ start, end int }

func parseWindow(pattern *regexp.Regexp, s string, weekly bool) (window, bool) {
	m := pattern.FindStringSubmatch(s)
	if m == nil {
		return window{}, false
	}
	at := func(fields []string) int {
		day := 0
		if weekly {
			day, fields = slices.Index(weekdays, fields[0]), fields[1:]
		}
		h, _ := strconv.Atoi(fields[0])
		min, _ := strconv.Atoi(fields[1])
		return day*minutesPerDay + h*60 + min
	}
	half := len(m[1:]) / 2
	w := window{at(m[1 : 1+half]), at(m[1+half:])}
	period := minutesPerDay
	if weekly {
		period = minutesPerWeek
	}
	if w.end <= w.start {
		w.end += period
	}
	return w, w.end-w.start >= minWindowMinutes
}

// overlap reports whether a daily-derived window meets a weekly one, either as given
// or shifted by a week (windows may wrap around Sunday night).
func overlap(a, b window) bool {
	for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
		if a.start < b.end+shift && b.start+shift < a.end {
			return true
		}
	}
	return false
}

// validateConnections checks that the stage, at its largest, opens no more
// connections to the primary than its instance class allows: a backlog drain or a
// scale-out would otherwise meet "too many connections" (see internal/connbudget).
func (c Config) validateConnections(p *problems) {
	budget := connbudget.Primary(connbudget.Stage{
		FleetMax:            c.Web.MaxCapacity,
		Replicas:            c.Database.Replicas,
		DatabaseConsumers:   databaseConsumers(),
		ConsumerConcurrency: c.Messaging.ConsumerConcurrency,
		Rotations:           1 + len(schema.Roles), // the admin secret and each component's
	})
	allowed := connbudget.MaxConnections(DatabaseInstanceClasses[c.Database.InstanceClass])
	if budget.Total() > allowed {
		p.add("database.instanceClass", c.Database.InstanceClass, fmt.Sprintf(
			"a class whose max_connections (about %d) holds the stage's connections at its largest, %s: "+
				"choose a larger class, or lower web.maxCapacity (%d) or messaging.consumerConcurrency (%d)",
			allowed, budget, c.Web.MaxCapacity, c.Messaging.ConsumerConcurrency))
	}
}

// databaseConsumers counts the order-event consumers that log in to the database.
func databaseConsumers() int {
	n := 0
	for _, c := range orderevents.Consumers {
		if c.DatabaseRole != "" {
			n++
		}
	}
	return n
}
