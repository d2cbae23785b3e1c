package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
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

	// ARC runs the step again while RDS promotes: the run finds it modifying.
	if _, err := w.failover.Handle(ctx, fixture(t, "unknown-event.json")); !Retryable(err) {
		t.Fatalf("run during the promotion: got %v, want in progress", err)
	}

	w.db.finishPromotion()
	got, err := w.failover.Handle(ctx, fixture(t, "unknown-event.json"))
	if err != nil {
		t.Fatalf("run after the promotion: %v", err)
	}
	want := Summary{Replica: replicaID, Endpoint: replicaHost, Promotion: AlreadyDone}
	if got != want {
		t.Errorf("got summary %+v, want %+v", got, want)
	}
	if len(w.db.promotes) != 1 || len(w.metrics.queries) != 1 {
		t.Errorf("promoted %d times and read the lag %d times, want once each", len(w.db.promotes), len(w.metrics.queries))
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
