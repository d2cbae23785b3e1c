package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The world the tests fail over in: the standby region holds a replica of the
// primary region's database and replicas of its secrets.
const (
	standby       = "eu-central-1"
	replicaID     = "shop-prod-replica"
	replicaHost   = "shop-prod-replica.c1.eu-central-1.rds.amazonaws.com"
	overrideParam = "/shop/prod/failover/accept-data-loss"
	maxLag        = 60
)

var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// fakeRDS holds one instance. A promotion leaves it a replica that is modifying,
// as RDS does right after the call; finishPromotion makes it a primary.
type fakeRDS struct {
	status, source, endpoint string
	promoteErr               error
	promotes                 []*rds.PromoteReadReplicaInput
}

func (f *fakeRDS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	if aws.ToString(in.DBInstanceIdentifier) != replicaID {
		return nil, &rdstypes.DBInstanceNotFoundFault{}
	}
	db := rdstypes.DBInstance{DBInstanceIdentifier: in.DBInstanceIdentifier, DBInstanceStatus: aws.String(f.status),
		Endpoint: &rdstypes.Endpoint{Address: aws.String(f.endpoint)}}
	if f.source != "" {
		db.ReadReplicaSourceDBInstanceIdentifier = aws.String(f.source)
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{db}}, nil
}

func (f *fakeRDS) PromoteReadReplica(_ context.Context, in *rds.PromoteReadReplicaInput, _ ...func(*rds.Options)) (*rds.PromoteReadReplicaOutput, error) {
	f.promotes = append(f.promotes, in)
	if f.promoteErr != nil {
		return nil, f.promoteErr
	}
	f.status = "modifying"
	return &rds.PromoteReadReplicaOutput{}, nil
}

func (f *fakeRDS) finishPromotion() { f.status, f.source = "available", "" }

// fakeCloudWatch answers every query with its datapoints.
type fakeCloudWatch struct {
	values  []float64
	times   []time.Time
	queries []*cloudwatch.GetMetricDataInput
}

func (f *fakeCloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.queries = append(f.queries, in)
	return &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{{Id: aws.String("lag"), Values: f.values, Timestamps: f.times}}}, nil
}

// lagOf is a replica whose newest lag datapoint, a minute old, is seconds.
func lagOf(seconds float64) *fakeCloudWatch {
	return &fakeCloudWatch{values: []float64{seconds}, times: []time.Time{now.Add(-time.Minute)}}
}

// fakeSSM holds at most the override parameter.
type fakeSSM struct {
	value *string // nil: the parameter does not exist
	err   error
	reads int
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.reads++
	switch {
	case f.err != nil:
		return nil, f.err
	case f.value == nil || aws.ToString(in.Name) != overrideParam:
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: f.value}}, nil
}

// world is a standby region before a failover, and the failover over it.
type world struct {
	db       *fakeRDS
	metrics  *fakeCloudWatch
	params   *fakeSSM
	logs     *bytes.Buffer
	failover Failover
}

// newWorld is a healthy replica lagging by 2 s.
func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		db:      &fakeRDS{status: "available", source: "arn:aws:rds:eu-west-1:111122223333:db:shop-prod-db", endpoint: replicaHost},
		metrics: lagOf(2),
		params:  &fakeSSM{},
		logs:    &bytes.Buffer{},
	}
	w.failover = Failover{
		Config: Config{Region: standby, ReplicaID: replicaID, MaxLagSeconds: maxLag, OverrideParameter: overrideParam},
		DB:     w.db, Metrics: w.metrics, Parameters: w.params,
		Now: func() time.Time { return now },
		Log: slog.New(slog.NewJSONHandler(w.logs, nil)),
	}
	return w
}

// run invokes the failover with an event of the kind ARC might send.
func (w *world) run(t *testing.T) (Summary, error) {
	t.Helper()
	return w.failover.Handle(context.Background(), []byte(`{}`))
}

// untouched fails the test if the run changed anything past step 2.
func (w *world) untouched(t *testing.T) {
	t.Helper()
	if len(w.db.promotes) != 0 {
		t.Errorf("promoted %d times, want none", len(w.db.promotes))
	}
}
