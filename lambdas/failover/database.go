package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

const (
	// backupRetentionDays is the promoted instance's automated backup retention: a
	// replica keeps none of its own, and a primary without backups has no
	// point-in-time recovery. Seven days is RDS's console default.
	backupRetentionDays = 7
	// lagWindow is how far back the replica's lag is read: five one-minute
	// datapoints, so that the newest is at most a minute or two old (RDS publishes
	// ReplicaLag every minute, and it lands in CloudWatch a little later).
	lagWindow = 5 * time.Minute
	// lagPeriodSeconds is the datapoints' period: RDS's basic monitoring interval.
	lagPeriodSeconds = 60
	// overridePrefix, followed by the replica's identifier, is the only value of the
	// override parameter that accepts losing data. Naming the replica makes a value
	// left over from another failover, or meant for another stage, not count.
	overridePrefix = "accept-data-loss:"
)

// RDS statuses (DBInstanceStatus) the failover tells apart.
const (
	statusAvailable = "available"
)

// promoting are the statuses an instance passes through while it is promoted:
// RDS modifies it, reboots it and takes its first backup as a primary. They also
// pass, so a run that finds one of them tries again later.
var promoting = map[string]bool{"modifying": true, "rebooting": true, "backing-up": true}

// DBInstances is the part of RDS the failover uses.
type DBInstances interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	PromoteReadReplica(context.Context, *rds.PromoteReadReplicaInput, ...func(*rds.Options)) (*rds.PromoteReadReplicaOutput, error)
}

// MetricData is the part of CloudWatch the failover uses: the replica's lag.
type MetricData interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Parameters is the part of SSM the failover uses: the data-loss override.
type Parameters interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// target is the instance to promote, as step 1 found it.
type target struct {
	replica  bool   // still a read replica
	endpoint string // its address
}

// target is step 1: the instance must be a healthy replica, or a primary already.
func (f Failover) target(ctx context.Context) (target, error) {
	id := f.Config.ReplicaID
	out, err := f.DB.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	if err != nil {
		return target{}, fmt.Errorf("describe DB instance %s: %w", id, err)
	}
	if len(out.DBInstances) != 1 {
		return target{}, fmt.Errorf("describe DB instance %s: got %d instances, want 1", id, len(out.DBInstances))
	}
	db := out.DBInstances[0]
	t := target{replica: aws.ToString(db.ReadReplicaSourceDBInstanceIdentifier) != ""}
	if db.Endpoint != nil {
		t.endpoint = aws.ToString(db.Endpoint.Address)
	}
	status := aws.ToString(db.DBInstanceStatus)
	switch {
	case status == statusAvailable && t.replica:
		f.Log.InfoContext(ctx, "replica healthy", slog.String("replica", id), slog.String("source", aws.ToString(db.ReadReplicaSourceDBInstanceIdentifier)))
		return t, nil
	case status == statusAvailable && t.endpoint == "":
		return target{}, fmt.Errorf("DB instance %s is available with no endpoint address", id)
	case status == statusAvailable:
		f.Log.InfoContext(ctx, "already promoted", slog.String("instance", id), slog.String("endpoint", t.endpoint))
		return t, nil
	case promoting[status] && t.replica:
		return target{}, &InProgressError{Step: "promotion", Detail: fmt.Sprintf("replica %s is %s: a promotion has started, or the replica is being changed", id, status)}
	case promoting[status]:
		return target{}, &InProgressError{Step: "promotion", Detail: fmt.Sprintf("%s is no longer a replica and is %s, not yet available", id, status)}
	case t.replica:
		return target{}, &RefusedError{Step: "health", Reason: fmt.Sprintf("replica %s is %q, want %q", id, status, statusAvailable)}
	default:
		return target{}, &RefusedError{Step: "health", Reason: fmt.Sprintf("promoted instance %s is %q, want %q", id, status, statusAvailable)}
	}
}

// checkLag is step 2: the replica may be promoted if it lags by at most the bound,
// or if an operator has accepted losing what it has not received.
func (f Failover) checkLag(ctx context.Context) error {
	lag, known, err := f.replicaLag(ctx)
	if err != nil {
		return err
	}
	bound := f.Config.MaxLagSeconds
	if known && lag <= bound {
		f.Log.InfoContext(ctx, "replica lag within bound", slog.Float64("lagSeconds", lag), slog.Float64("maxLagSeconds", bound))
		return nil
	}
	measured := "unknown (no ReplicaLag datapoint in the last " + lagWindow.String() + ")"
	if known {
		measured = fmt.Sprintf("%gs, above the %gs bound", lag, bound)
	}
	accepted, err := f.dataLossAccepted(ctx)
	if err != nil {
		return err
	}
	if !accepted {
		return &RefusedError{Step: "lag", Reason: fmt.Sprintf("replica %s lag is %s; to promote it anyway and lose what it has not received, put %q in SSM parameter %s",
			f.Config.ReplicaID, measured, overridePrefix+f.Config.ReplicaID, f.Config.OverrideParameter)}
	}
	f.Log.WarnContext(ctx, "DATA LOSS ACCEPTED: promoting a replica whose lag is over the bound or unknown",
		slog.String("replica", f.Config.ReplicaID), slog.String("lag", measured), slog.String("parameter", f.Config.OverrideParameter))
	return nil
}

// replicaLag returns the newest ReplicaLag datapoint of the replica in lagWindow,
// in seconds, and whether there is one.
func (f Failover) replicaLag(ctx context.Context) (float64, bool, error) {
	end := f.Now()
	out, err := f.Metrics.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-lagWindow)),
		EndTime:   aws.Time(end),
		ScanBy:    cwtypes.ScanByTimestampDescending,
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("lag"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("AWS/RDS"),
					MetricName: aws.String("ReplicaLag"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("DBInstanceIdentifier"), Value: aws.String(f.Config.ReplicaID)}},
				},
				Period: aws.Int32(lagPeriodSeconds),
				Stat:   aws.String("Maximum"),
			},
		}},
	})
	if err != nil {
		return 0, false, fmt.Errorf("replica lag of %s: %w", f.Config.ReplicaID, err)
	}
	var newest time.Time
	var lag float64
	known := false
	for _, r := range out.MetricDataResults {
		for i, at := range r.Timestamps {
			if i < len(r.Values) && (!known || at.After(newest)) {
				newest, lag, known = at, r.Values[i], true
			}
		}
	}
	return lag, known, nil
}

// dataLossAccepted reports whether the override parameter holds the value that
// accepts losing data on this replica. A missing parameter accepts nothing.
func (f Failover) dataLossAccepted(ctx context.Context) (bool, error) {
	out, err := f.Parameters.GetParameter(ctx, &ssm.GetParameterInput{Name: &f.Config.OverrideParameter, WithDecryption: aws.Bool(true)})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("override parameter %s: %w", f.Config.OverrideParameter, err)
	}
	if out.Parameter == nil {
		return false, nil
	}
	return aws.ToString(out.Parameter.Value) == overridePrefix+f.Config.ReplicaID, nil
}

// promote is step 3. Promotion takes minutes, so promote starts it and says the
// step is in progress; the run that finds the instance promoted goes on.
func (f Failover) promote(ctx context.Context) error {
	id := f.Config.ReplicaID
	_, err := f.DB.PromoteReadReplica(ctx, &rds.PromoteReadReplicaInput{DBInstanceIdentifier: &id, BackupRetentionPeriod: aws.Int32(backupRetentionDays)})
	var state *rdstypes.InvalidDBInstanceStateFault
	if errors.As(err, &state) {
		// Most likely another run's promotion has just started; if not, the next
		// run's health check names the status.
		return &InProgressError{Step: "promotion", Detail: fmt.Sprintf("RDS refused to promote %s in its state: %v", id, err)}
	}
	if err != nil {
		return fmt.Errorf("promote %s: %w", id, err)
	}
	f.Log.InfoContext(ctx, "promotion started", slog.String("replica", id), slog.Int("backupRetentionDays", backupRetentionDays))
	return &InProgressError{Step: "promotion", Detail: fmt.Sprintf("started promoting %s; the next run goes on once it is available", id)}
}
