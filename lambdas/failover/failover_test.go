package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// records are the run's log lines.
func records(t *testing.T, w *world) []map[string]any {
	t.Helper()
	var got []map[string]any
	for dec := json.NewDecoder(w.logs); dec.More(); {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	return got
}

func TestHappyPathPromotesThenTakesOver(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()

	_, err := w.failover.Handle(ctx, fixture(t, "unknown-event.json"))
	if !Retryable(err) {
		t.Fatalf("first run: got %v, want promotion in progress", err)
	}
	if len(w.db.promotes) != 1 {
		t.Fatalf("promoted %d times, want once", len(w.db.promotes))
	}
	if p := w.db.promotes[0]; aws.ToString(p.DBInstanceIdentifier) != replicaID || aws.ToInt32(p.BackupRetentionPeriod) != backupRetentionDays {
		t.Errorf("got promotion of %s keeping backups %d days, want %s and %d", aws.ToString(p.DBInstanceIdentifier), aws.ToInt32(p.BackupRetentionPeriod), replicaID, backupRetentionDays)
	}
	if w.params.reads != 0 {
		t.Errorf("read the override %d times, want none: the lag is within the bound", w.params.reads)
	}
	if len(w.secrets.calls) != 0 || len(w.mappings.updates) != 0 || len(w.route53.updates) != 0 {
		t.Errorf("before the promotion finished: secret calls %v, mapping updates %v, health check updates %v, want none", w.secrets.calls, w.mappings.updates, w.route53.updates)
	}

	// ARC runs the step again while RDS promotes: the run finds it modifying.
	if _, err := w.failover.Handle(ctx, fixture(t, "unknown-event.json")); !Retryable(err) {
		t.Fatalf("run during the promotion: got %v, want in progress", err)
	}

	w.db.finishPromotion()
	got, err := w.failover.Handle(ctx, fixture(t, "unknown-event.json"))
	if err != nil {
		t.Fatalf("run after the promotion: %v", err)
	}
	want := Summary{Replica: replicaID, Endpoint: replicaHost, Promotion: AlreadyDone,
		Secrets: []SecretSummary{
			{Secret: "admin", Replication: Done, Host: Done},
			{Secret: "inventory", Replication: Done, Host: Done},
			{Secret: "origin", Replication: Done, Host: NotApplicable},
		},
		Consumers: []ConsumerSummary{{UUID: "esm-inventory", Enabled: Done}, {UUID: "esm-notifications", Enabled: Done}},
		Drain:     Done,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got summary %+v, want %+v", got, want)
	}
	if len(w.db.promotes) != 1 || len(w.metrics.queries) != 1 {
		t.Errorf("promoted %d times and read the lag %d times, want once each", len(w.db.promotes), len(w.metrics.queries))
	}
	for id, s := range w.secrets.secrets {
		if s.primaryRegion != "" {
			t.Errorf("secret %s still replicates from %s", id, s.primaryRegion)
		}
	}
	if got := w.secrets.secrets["origin"].value; got != `{"value":"edge-secret"}` {
		t.Errorf("origin secret is %s, want it unchanged", got)
	}
	for uuid, state := range w.mappings.states {
		if state != "Enabled" {
			t.Errorf("mapping %s is %s, want Enabled", uuid, state)
		}
	}

	if c := w.route53.checks[drainCheck].HealthCheckConfig; aws.ToInt32(c.HealthThreshold) != 4 {
		t.Errorf("old primary's check needs %d of its %d children, want 4: one more than it has", aws.ToInt32(c.HealthThreshold), len(c.ChildHealthChecks))
	}

	// Once everything is done, a run finds it so and changes nothing.
	w.secrets.calls, w.mappings.updates, w.route53.updates = nil, nil, nil
	got, err = w.failover.Handle(ctx, fixture(t, "unknown-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if puts, stops := w.secrets.puts(), w.secrets.stops(); len(puts)+len(stops)+len(w.mappings.updates)+len(w.route53.updates) != 0 {
		t.Errorf("repeated run: puts %v, stops %v, mapping updates %v, health check updates %v, want none", puts, stops, w.mappings.updates, w.route53.updates)
	}
	if got.Drain != AlreadyDone {
		t.Errorf("repeated run: drain %s, want %s", got.Drain, AlreadyDone)
	}
	for _, s := range got.Secrets {
		if s.Replication != AlreadyDone || s.Host == Done {
			t.Errorf("repeated run: got %+v, want it already done", s)
		}
	}
}

func TestRepointedSecretKeepsEveryOtherField(t *testing.T) {
	w := newWorld(t)
	w.db.finishPromotion()
	if _, err := w.run(t); err != nil {
		t.Fatal(err)
	}
	var before, after map[string]any
	_ = json.Unmarshal([]byte(adminSecret), &before)
	if err := json.Unmarshal([]byte(w.secrets.secrets["admin"].value), &after); err != nil {
		t.Fatal(err)
	}
	if after["host"] != replicaHost {
		t.Errorf("got host %v, want %s", after["host"], replicaHost)
	}
	before["host"] = replicaHost
	if !reflect.DeepEqual(after, before) {
		t.Errorf("got %v, want %v", after, before)
	}
	if got := w.secrets.secrets["admin"].value; !strings.Contains(got, `"password":"p&ss<wo>rd\"q"`) || !strings.Contains(got, `"port":5432`) {
		t.Errorf("got %s, want the password and port written as they were", got)
	}
}

func TestResumesAfterAFailedSecretWrite(t *testing.T) {
	w := newWorld(t)
	if _, err := w.run(t); !Retryable(err) {
		t.Fatalf("got %v, want promotion in progress", err)
	}
	w.db.finishPromotion()
	throttled := errors.New("ThrottlingException: rate exceeded")
	w.secrets.failPut = map[string]error{"inventory": throttled}

	if _, err := w.run(t); !errors.Is(err, throttled) || Retryable(err) {
		t.Fatalf("got %v, want the failed write", err)
	}
	if got := w.secrets.puts(); !slices.Equal(got, []string{"admin", "inventory"}) {
		t.Errorf("got writes %v, want admin, then the failing inventory", got)
	}
	if w.secrets.secrets["origin"].primaryRegion == "" || len(w.mappings.updates) != 0 {
		t.Errorf("went past the failure: origin standalone %v, mapping updates %v", w.secrets.secrets["origin"].primaryRegion == "", w.mappings.updates)
	}

	w.secrets.calls = nil
	got, err := w.run(t)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if len(w.db.promotes) != 1 {
		t.Errorf("promoted %d times, want once", len(w.db.promotes))
	}
	if puts, stops := w.secrets.puts(), w.secrets.stops(); !slices.Equal(puts, []string{"inventory"}) || !slices.Equal(stops, []string{"origin"}) {
		t.Errorf("re-run: got writes %v and stops %v, want only inventory written and only origin stopped", puts, stops)
	}
	want := []SecretSummary{
		{Secret: "admin", Replication: AlreadyDone, Host: AlreadyDone},
		{Secret: "inventory", Replication: AlreadyDone, Host: Done},
		{Secret: "origin", Replication: Done, Host: NotApplicable},
	}
	if !reflect.DeepEqual(got.Secrets, want) {
		t.Errorf("got secrets %+v, want %+v", got.Secrets, want)
	}
	if !slices.Equal(w.mappings.updates, []string{"esm-inventory", "esm-notifications"}) {
		t.Errorf("got mapping updates %v, want both enabled", w.mappings.updates)
	}
}

func TestRefusesAnUnhealthyTarget(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		replica      bool
	}{
		{"replica out of storage", "storage-full", true},
		{"replica failed", "failed", true},
		{"replica with incompatible parameters", "incompatible-parameters", true},
		{"replica without its key", "inaccessible-encryption-credentials", true},
		{"replica stopped", "stopped", true},
		{"promoted instance out of storage", "storage-full", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.db.status = tc.status
			if !tc.replica {
				w.db.source = ""
			}
			_, err := w.run(t)
			var refused *RefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), `"`+tc.status+`"`) {
				t.Fatalf("got %v, want a refusal naming %q", err, tc.status)
			}
			if Retryable(err) || len(w.metrics.queries) != 0 {
				t.Errorf("retryable %v, lag read %d times, want neither", Retryable(err), len(w.metrics.queries))
			}
			w.untouched(t)
		})
	}
}

func TestPromotionInProgressIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		replica      bool
	}{
		{"replica modifying after the promote call", "modifying", true},
		{"no longer a replica, modifying", "modifying", false},
		{"no longer a replica, rebooting", "rebooting", false},
		{"no longer a replica, first backup", "backing-up", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.db.status = tc.status
			if !tc.replica {
				w.db.source = ""
			}
			if _, err := w.run(t); !Retryable(err) || !strings.Contains(err.Error(), tc.status) {
				t.Fatalf("got %v, want promotion in progress naming %s", err, tc.status)
			}
			if len(w.metrics.queries) != 0 {
				t.Errorf("read the lag %d times, want none", len(w.metrics.queries))
			}
			w.untouched(t)
		})
	}
}

func TestPromoteRefusedForTheInstanceStateIsRetryable(t *testing.T) {
	w := newWorld(t)
	w.db.promoteErr = &rdstypes.InvalidDBInstanceStateFault{Message: aws.String("instance is not in available state")}
	if _, err := w.run(t); !Retryable(err) {
		t.Errorf("got %v, want in progress: the next run's health check says more", err)
	}
}

func TestRefusesLagAboveTheBoundOrUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		metrics *fakeCloudWatch
		want    string
	}{
		{"above the bound", lagOf(maxLag + 1), "61s, above the 60s bound"},
		{"unknown", &fakeCloudWatch{}, "unknown"},
		{"newest above the bound, older within", &fakeCloudWatch{values: []float64{5, 300, 10}, times: []time.Time{now.Add(-4 * time.Minute), now.Add(-time.Minute), now.Add(-3 * time.Minute)}}, "300s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.failover.Metrics = tc.metrics
			_, err := w.run(t)
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Step != "lag" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a lag refusal saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `"accept-data-loss:`+replicaID+`"`) || !strings.Contains(err.Error(), overrideParam) {
				t.Errorf("got %v, want it to say how to accept the data loss", err)
			}
			if w.params.reads != 1 {
				t.Errorf("read the override %d times, want once", w.params.reads)
			}
			w.untouched(t)
		})
	}
}

func TestLagAtTheBoundPromotes(t *testing.T) {
	w := newWorld(t)
	// Older datapoints above the bound do not count: only the newest does.
	w.failover.Metrics = &fakeCloudWatch{values: []float64{maxLag, 900}, times: []time.Time{now.Add(-time.Minute), now.Add(-2 * time.Minute)}}
	if _, err := w.run(t); !Retryable(err) || len(w.db.promotes) != 1 {
		t.Errorf("got %v and %d promotions, want one started", err, len(w.db.promotes))
	}
}

func TestLagQuery(t *testing.T) {
	w := newWorld(t)
	_, _ = w.run(t)
	if len(w.metrics.queries) != 1 {
		t.Fatalf("got %d queries, want 1", len(w.metrics.queries))
	}
	q := w.metrics.queries[0]
	if got := aws.ToTime(q.EndTime).Sub(aws.ToTime(q.StartTime)); got != 5*time.Minute || !aws.ToTime(q.EndTime).Equal(now) {
		t.Errorf("got window %s ending %s, want the last 5m", got, aws.ToTime(q.EndTime))
	}
	if len(q.MetricDataQueries) != 1 {
		t.Fatalf("got %d metric queries, want 1", len(q.MetricDataQueries))
	}
	s := q.MetricDataQueries[0].MetricStat
	m := s.Metric
	if aws.ToString(m.Namespace) != "AWS/RDS" || aws.ToString(m.MetricName) != "ReplicaLag" || aws.ToInt32(s.Period) != 60 || aws.ToString(s.Stat) != "Maximum" {
		t.Errorf("got %s %s period %d %s, want AWS/RDS ReplicaLag period 60 Maximum", aws.ToString(m.Namespace), aws.ToString(m.MetricName), aws.ToInt32(s.Period), aws.ToString(s.Stat))
	}
	if len(m.Dimensions) != 1 || aws.ToString(m.Dimensions[0].Name) != "DBInstanceIdentifier" || aws.ToString(m.Dimensions[0].Value) != replicaID {
		t.Errorf("got dimensions %+v, want DBInstanceIdentifier=%s", m.Dimensions, replicaID)
	}
}

func TestOverrideParameter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metrics  *fakeCloudWatch
		value    *string
		promotes bool
		lag      string // the Warn record's lag, when promoting
	}{
		{"unknown lag accepted", &fakeCloudWatch{}, aws.String("accept-data-loss:" + replicaID), true, "unknown"},
		{"high lag accepted", lagOf(900), aws.String("accept-data-loss:" + replicaID), true, "900s"},
		{"another replica's override", lagOf(900), aws.String("accept-data-loss:shop-staging-replica"), false, ""},
		{"another value", &fakeCloudWatch{}, aws.String("yes"), false, ""},
		{"not exactly the value", &fakeCloudWatch{}, aws.String("accept-data-loss:" + replicaID + "\n"), false, ""},
		{"no identifier", lagOf(900), aws.String("accept-data-loss:"), false, ""},
		{"no parameter", &fakeCloudWatch{}, nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.failover.Metrics, w.params.value = tc.metrics, tc.value
			_, err := w.run(t)
			if !tc.promotes {
				var refused *RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("got %v, want a refusal", err)
				}
				w.untouched(t)
				return
			}
			if !Retryable(err) || len(w.db.promotes) != 1 {
				t.Fatalf("got %v and %d promotions, want one started", err, len(w.db.promotes))
			}
			var warned bool
			for _, r := range records(t, w) {
				if r["level"] == "WARN" && strings.Contains(r["msg"].(string), "DATA LOSS ACCEPTED") {
					warned = strings.HasPrefix(r["lag"].(string), tc.lag)
				}
			}
			if !warned {
				t.Errorf("want a Warn record accepting data loss at lag %s", tc.lag)
			}
		})
	}
}

func TestOverrideParameterUnreadableIsAnError(t *testing.T) {
	w := newWorld(t)
	w.failover.Metrics = &fakeCloudWatch{}
	denied := errors.New("AccessDeniedException")
	w.params.err = denied
	_, err := w.run(t)
	var refused *RefusedError
	if !errors.Is(err, denied) || errors.As(err, &refused) {
		t.Errorf("got %v, want the SSM error", err)
	}
	w.untouched(t)
}

func TestConsumers(t *testing.T) {
	w := newWorld(t)
	w.db.finishPromotion()
	w.mappings.states = map[string]string{"updating": "Updating", "enabled": "Enabled", "enabling": "Enabling", "disabled": "Disabled"}
	w.failover.Config.EventSourceMappings = []string{"updating", "enabled", "enabling", "disabled"}

	got, err := w.run(t)
	if !Retryable(err) || !strings.Contains(err.Error(), "updating is Updating") {
		t.Fatalf("got %v, want in progress naming the updating mapping", err)
	}
	if !slices.Equal(w.mappings.updates, []string{"disabled"}) {
		t.Errorf("got updates %v, want only the disabled mapping enabled", w.mappings.updates)
	}
	want := []ConsumerSummary{{"updating", Waiting}, {"enabled", AlreadyDone}, {"enabling", AlreadyDone}, {"disabled", Done}}
	if !reflect.DeepEqual(got.Consumers, want) {
		t.Errorf("got %+v, want %+v", got.Consumers, want)
	}

	// Lambda finishes its update, leaving the mapping disabled; the next run enables it.
	w.mappings.states["updating"] = "Disabled"
	if _, err := w.run(t); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.mappings.updates, []string{"disabled", "updating"}) {
		t.Errorf("got updates %v, want the formerly updating mapping enabled next", w.mappings.updates)
	}
}

func TestMappingBeingDeletedIsAnError(t *testing.T) {
	w := newWorld(t)
	w.db.finishPromotion()
	w.mappings.states["esm-inventory"] = "Deleting"
	_, err := w.run(t)
	if err == nil || Retryable(err) || !strings.Contains(err.Error(), `"Deleting"`) {
		t.Errorf("got %v, want an error naming the state", err)
	}
}

func TestAnyEventIsIgnored(t *testing.T) {
	for _, event := range []string{`{}`, `null`, `"text"`, `[1,2]`, `{"unknown":{"nested":[true]}}`} {
		w := newWorld(t)
		w.db.finishPromotion()
		got, err := w.failover.Handle(context.Background(), json.RawMessage(event))
		if err != nil || len(got.Secrets) != 3 || len(got.Consumers) != 2 {
			t.Errorf("event %s: got %+v, %v, want the failover done", event, got, err)
		}
	}
}

func TestWithHost(t *testing.T) {
	for _, tc := range []struct {
		name, secret, wantValue, wantOld string
		wantErr                          bool
	}{
		{"login", `{"username":"u","host":"old","port":5432}`, `{"host":"new","port":5432,"username":"u"}`, "old", false},
		{"keeps what an HTML-safe encoder escapes", `{"host":"old","password":"a&b<c>d"}`, `{"host":"new","password":"a&b<c>d"}`, "old", false},
		{"keeps numbers as written", `{"host":"old","port":5432.0,"big":12345678901234567890}`, `{"big":12345678901234567890,"host":"new","port":5432.0}`, "old", false},
		{"no host", `{"value":"edge"}`, "", "", false},
		{"not JSON", `plain`, "", "", false},
		{"a JSON list", `["host"]`, "", "", false},
		{"empty", ``, "", "", false},
		{"host not a string", `{"host":5}`, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			value, old, err := withHost(tc.secret, "new")
			if (err != nil) != tc.wantErr || value != tc.wantValue || old != tc.wantOld {
				t.Errorf("got %q, %q, %v, want %q, %q, error %v", value, old, err, tc.wantValue, tc.wantOld, tc.wantErr)
			}
		})
	}
}

// TestDrainFailsTheOldPrimarysCheckLast: the old primary's health check is the
// last thing a failover changes, once the consumers are on: a run that stops
// earlier leaves it alone, and the run that drains it makes it need one child
// more than it has, against the version it read.
func TestDrainFailsTheOldPrimarysCheckLast(t *testing.T) {
	w := newWorld(t)
	w.db.finishPromotion()
	w.mappings.states["esm-notifications"] = "Updating"
	if _, err := w.run(t); !Retryable(err) {
		t.Fatalf("run with a mapping still updating: got %v, want in progress", err)
	}
	if len(w.route53.updates) != 0 {
		t.Fatalf("drained %v before the consumers were on, want nothing yet", w.route53.updates)
	}
	w.mappings.states["esm-notifications"] = "Disabled"
	got, err := w.run(t)
	if err != nil || got.Drain != Done || !slices.Equal(w.route53.updates, []string{drainCheck}) {
		t.Fatalf("got drain %s, updates %v, error %v; want %s drained once", got.Drain, w.route53.updates, err, drainCheck)
	}
}

// TestDrainRefusesWhatItCannotFail: a check that is not calculated, or that
// changed between the read and the update, is an error naming it, and nothing
// else is undone: the next run tries again.
func TestDrainRefusesWhatItCannotFail(t *testing.T) {
	t.Run("not calculated", func(t *testing.T) {
		w := newWorld(t)
		w.db.finishPromotion()
		w.route53.checks[drainCheck].HealthCheckConfig.Type = r53types.HealthCheckTypeCloudwatchMetric
		if _, err := w.run(t); err == nil || !strings.Contains(err.Error(), drainCheck) || !strings.Contains(err.Error(), "not a calculated") {
			t.Errorf("got %v, want an error naming %s as not calculated", err, drainCheck)
		}
		if len(w.route53.updates) != 0 {
			t.Errorf("updated %v, want nothing", w.route53.updates)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		w := newWorld(t)
		w.db.finishPromotion()
		w.failover.Checks = &racingRoute53{w.route53}
		if _, err := w.run(t); err == nil || !strings.Contains(err.Error(), drainCheck) {
			t.Errorf("got %v, want the version conflict on %s", err, drainCheck)
		}
		if got, err := w.run(t); err != nil || got.Drain != Done {
			t.Errorf("retry: drain %s, error %v; want it done against the new version", got.Drain, err)
		}
	})
	t.Run("no domain", func(t *testing.T) {
		w := newWorld(t)
		w.db.finishPromotion()
		w.failover.Config.DrainHealthCheck = ""
		if got, err := w.run(t); err != nil || got.Drain != NotApplicable {
			t.Errorf("got drain %s, error %v; want %s", got.Drain, err, NotApplicable)
		}
	})
}

// racingRoute53 is Route 53 where someone edits the check once between the
// failover's read and its update.
type racingRoute53 struct{ *fakeRoute53 }

func (r *racingRoute53) GetHealthCheck(ctx context.Context, in *route53.GetHealthCheckInput, opts ...func(*route53.Options)) (*route53.GetHealthCheckOutput, error) {
	out, err := r.fakeRoute53.GetHealthCheck(ctx, in, opts...)
	if c := r.checks[aws.ToString(in.HealthCheckId)]; err == nil && aws.ToInt64(c.HealthCheckVersion) == 1 {
		c.HealthCheckVersion = aws.Int64(2) // the edit
	}
	return out, err
}
