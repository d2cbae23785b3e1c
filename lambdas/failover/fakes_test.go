package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The world the tests fail over in: the standby region holds a replica of the
// primary region's database and replicas of its secrets.
const (
	standby       = "eu-central-1"
	primaryRegion = "eu-west-1"
	replicaID     = "shop-prod-replica"
	replicaHost   = "shop-prod-replica.c1.eu-central-1.rds.amazonaws.com"
	primaryHost   = "shop-prod-db.c2.eu-west-1.rds.amazonaws.com"
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

type fakeSecret struct {
	primaryRegion string // "" once standalone
	value         string
}

// fakeSecrets records every call as "verb id"; failPut makes the next put of a
// secret fail once.
type fakeSecrets struct {
	secrets map[string]*fakeSecret
	failPut map[string]error
	calls   []string
}

func (f *fakeSecrets) secret(id *string) (*fakeSecret, error) {
	s, ok := f.secrets[aws.ToString(id)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException")
	}
	return s, nil
}

func (f *fakeSecrets) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.calls = append(f.calls, "describe "+aws.ToString(in.SecretId))
	s, err := f.secret(in.SecretId)
	if err != nil {
		return nil, err
	}
	out := &secretsmanager.DescribeSecretOutput{Name: in.SecretId}
	if s.primaryRegion != "" {
		out.PrimaryRegion = aws.String(s.primaryRegion)
	}
	return out, nil
}

func (f *fakeSecrets) StopReplicationToReplica(_ context.Context, in *secretsmanager.StopReplicationToReplicaInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.StopReplicationToReplicaOutput, error) {
	f.calls = append(f.calls, "stop "+aws.ToString(in.SecretId))
	s, err := f.secret(in.SecretId)
	if err != nil {
		return nil, err
	}
	s.primaryRegion = ""
	return &secretsmanager.StopReplicationToReplicaOutput{}, nil
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls = append(f.calls, "get "+aws.ToString(in.SecretId))
	s, err := f.secret(in.SecretId)
	if err != nil {
		return nil, err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s.value)}, nil
}

func (f *fakeSecrets) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	id := aws.ToString(in.SecretId)
	f.calls = append(f.calls, "put "+id)
	s, err := f.secret(in.SecretId)
	if err != nil {
		return nil, err
	}
	if s.primaryRegion != "" {
		return nil, errors.New("InvalidRequestException: a replica secret cannot be written")
	}
	if err := f.failPut[id]; err != nil {
		delete(f.failPut, id)
		return nil, err
	}
	s.value = aws.ToString(in.SecretString)
	return &secretsmanager.PutSecretValueOutput{}, nil
}

// puts lists the secrets written, in order.
func (f *fakeSecrets) puts() []string { return callsOf(f.calls, "put ") }

// stops lists the secrets whose replication was stopped, in order.
func (f *fakeSecrets) stops() []string { return callsOf(f.calls, "stop ") }

func callsOf(calls []string, verb string) []string {
	ids := []string{}
	for _, c := range calls {
		if id, ok := strings.CutPrefix(c, verb); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// fakeMappings holds mappings by UUID; an update enables one at once.
type fakeMappings struct {
	states  map[string]string
	updates []string
}

func (f *fakeMappings) GetEventSourceMapping(_ context.Context, in *awslambda.GetEventSourceMappingInput, _ ...func(*awslambda.Options)) (*awslambda.GetEventSourceMappingOutput, error) {
	state, ok := f.states[aws.ToString(in.UUID)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &awslambda.GetEventSourceMappingOutput{UUID: in.UUID, State: aws.String(state)}, nil
}

func (f *fakeMappings) UpdateEventSourceMapping(_ context.Context, in *awslambda.UpdateEventSourceMappingInput, _ ...func(*awslambda.Options)) (*awslambda.UpdateEventSourceMappingOutput, error) {
	id := aws.ToString(in.UUID)
	f.updates = append(f.updates, id)
	if aws.ToBool(in.Enabled) {
		f.states[id] = "Enabled"
	}
	return &awslambda.UpdateEventSourceMappingOutput{UUID: in.UUID}, nil
}

// fakeRoute53 holds health checks by ID, as Route 53 versions them: an update
// naming another version than the check's fails.
type fakeRoute53 struct {
	checks  map[string]*r53types.HealthCheck
	updates []string
}

func (f *fakeRoute53) GetHealthCheck(_ context.Context, in *route53.GetHealthCheckInput, _ ...func(*route53.Options)) (*route53.GetHealthCheckOutput, error) {
	c, ok := f.checks[aws.ToString(in.HealthCheckId)]
	if !ok {
		return nil, errors.New("NoSuchHealthCheck")
	}
	copied := *c
	config := *c.HealthCheckConfig
	copied.HealthCheckConfig = &config
	return &route53.GetHealthCheckOutput{HealthCheck: &copied}, nil
}

func (f *fakeRoute53) UpdateHealthCheck(_ context.Context, in *route53.UpdateHealthCheckInput, _ ...func(*route53.Options)) (*route53.UpdateHealthCheckOutput, error) {
	id := aws.ToString(in.HealthCheckId)
	c, ok := f.checks[id]
	if !ok {
		return nil, errors.New("NoSuchHealthCheck")
	}
	if aws.ToInt64(in.HealthCheckVersion) != aws.ToInt64(c.HealthCheckVersion) {
		return nil, errors.New("HealthCheckVersionMismatch")
	}
	f.updates = append(f.updates, id)
	if in.HealthThreshold != nil {
		c.HealthCheckConfig.HealthThreshold = in.HealthThreshold
	}
	c.HealthCheckVersion = aws.Int64(aws.ToInt64(c.HealthCheckVersion) + 1)
	return &route53.UpdateHealthCheckOutput{HealthCheck: c}, nil
}

// calculatedCheck is a region's health check as the stacks create it: all of its
// three children must be healthy.
func calculatedCheck() *r53types.HealthCheck {
	return &r53types.HealthCheck{Id: aws.String(drainCheck), HealthCheckVersion: aws.Int64(1), HealthCheckConfig: &r53types.HealthCheckConfig{
		Type: r53types.HealthCheckTypeCalculated, ChildHealthChecks: []string{"api-5xx", "alb-5xx", "no-hosts"}, HealthThreshold: aws.Int32(3),
	}}
}

// drainCheck is the old primary's health check in newWorld.
const drainCheck = "hc-primary"

// world is a standby region before a failover, and the failover over it.
type world struct {
	route53  *fakeRoute53
	db       *fakeRDS
	metrics  *fakeCloudWatch
	params   *fakeSSM
	secrets  *fakeSecrets
	mappings *fakeMappings
	logs     *bytes.Buffer
	failover Failover
}

// adminSecret is the master login as RDS and CDK write it: its password holds
// characters an HTML-safe JSON encoder would escape.
const adminSecret = `{"dbname":"shop","engine":"postgres","host":"` + primaryHost + `","password":"p&ss<wo>rd\"q","port":5432,"username":"shop_admin"}`

// newWorld is a healthy replica lagging by 2 s, three secret replicas (the
// admin's and the inventory's logins and the origin secret), and two disabled
// consumers.
func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		db:      &fakeRDS{status: "available", source: "arn:aws:rds:eu-west-1:111122223333:db:shop-prod-db", endpoint: replicaHost},
		metrics: lagOf(2),
		params:  &fakeSSM{},
		secrets: &fakeSecrets{secrets: map[string]*fakeSecret{
			"admin":     {primaryRegion: primaryRegion, value: adminSecret},
			"inventory": {primaryRegion: primaryRegion, value: `{"username":"inventory_login","password":"x","host":"` + primaryHost + `","port":5432,"dbname":"shop","engine":"postgres"}`},
			"origin":    {primaryRegion: primaryRegion, value: `{"value":"edge-secret"}`},
		}},
		mappings: &fakeMappings{states: map[string]string{"esm-inventory": "Disabled", "esm-notifications": "Disabled"}},
		route53:  &fakeRoute53{checks: map[string]*r53types.HealthCheck{drainCheck: calculatedCheck()}},
		logs:     &bytes.Buffer{},
	}
	w.failover = Failover{
		Config: Config{Region: standby, ReplicaID: replicaID, Secrets: []string{"admin", "inventory", "origin"},
			EventSourceMappings: []string{"esm-inventory", "esm-notifications"}, MaxLagSeconds: maxLag, OverrideParameter: overrideParam,
			DrainHealthCheck: drainCheck},
		DB: w.db, Metrics: w.metrics, Parameters: w.params, Secrets: w.secrets, Mappings: w.mappings, Checks: w.route53,
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
	if len(w.secrets.calls) != 0 || len(w.mappings.updates) != 0 || len(w.route53.updates) != 0 {
		t.Errorf("secret calls %v, mapping updates %v, health check updates %v, want none", w.secrets.calls, w.mappings.updates, w.route53.updates)
	}
}
