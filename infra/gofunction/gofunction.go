// Package gofunction builds a Go Lambda function: provided.al2023 on arm64, a
// binary named bootstrap built reproducibly by `cdk synth`, a log group with a
// retention set on purpose, and, in a VPC, a security group that allows nothing
// out but HTTPS until a tier grants more.
package gofunction

import (
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/gobuild"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/internal/envnames"
)

// Props configure a function.
type Props struct {
	// SourceDir is the module root the function is built from.
	SourceDir string
	// Package is the function's main package inside SourceDir, e.g.
	// "./lambdas/inventory"; it is built into the binary named bootstrap.
	Package string
	// Description is the function's description in Lambda; it also starts its
	// security group's description and its alarms' default descriptions.
	Description string
	// Environment is the function's environment variables, by name; New adds
	// METRICS_NAMESPACE when MetricsNamespace is set.
	Environment map[string]string
	// Timeout is the function's timeout in seconds (default 30).
	Timeout int
	// MemoryMiB is the function's memory in MiB (default 256), which also sets its
	// share of CPU.
	MemoryMiB int
	// Vpc puts the function in the VPC, with a security group that allows only HTTPS
	// out until a tier grants more; nil keeps it outside.
	Vpc awsec2.IVpc
	// Subnets are the VPC subnets the function runs in (the stacks pass the
	// application subnets); used only with Vpc.
	Subnets *awsec2.SubnetSelection

	// LogRetentionDays is how long, in days, the function's log group keeps its logs:
	// one of config.LogRetentionDays (from config Messaging.LogRetentionDays).
	LogRetentionDays int
	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to the function's log group: DESTROY deletes it, anything
	// else (and the zero value) retains it.
	RemovalPolicy awscdk.RemovalPolicy
	// ErrorAlarmPeriods is how many 5-minute periods in a row with errors raise the
	// errors alarm (default 3: SQS retries a consumer's failures, so one bad
	// period is not news; 1 for a job that runs once a day).
	ErrorAlarmPeriods int
	// ErrorAlarmDescription says what the errors mean for the shop; empty uses
	// Description followed by the number of periods.
	ErrorAlarmDescription string
	// Tracing turns on X-Ray active tracing.
	Tracing bool
	// DeadLetterQueue receives the events of asynchronous invocations that failed
	// every retry (a schedule's); nil for a function only invoked synchronously.
	DeadLetterQueue awssqs.IQueue
	// RoleName names the function's role, for a policy that must name it before it
	// exists (a key in a stack deployed earlier); empty lets CloudFormation choose.
	RoleName string
	// MetricsNamespace is where the function's business metrics go (METRICS_NAMESPACE).
	MetricsNamespace string
	// InvokedBy names who invokes the function synchronously when that is not an
	// SQS event source or CloudFormation (the default reasons of its NIST
	// LambdaDLQ and LambdaConcurrency suppressions), e.g. "make catalog-import";
	// ConcurrencyReason then says what bounds its concurrency instead.
	InvokedBy, ConcurrencyReason string
}

// Function is a Go Lambda function.
type Function struct {
	constructs.Construct
	Function awslambda.Function
	LogGroup awslogs.LogGroup
	// SecurityGroup is nil outside a VPC.
	SecurityGroup awsec2.SecurityGroup
	// Alarms: errors, and throttles (any at all: the account's concurrency is spent).
	Alarms []awscloudwatch.Alarm
}

// Connections lets other tiers admit the function (in a VPC).
func (f *Function) Connections() awsec2.Connections { return f.Function.Connections() }

// New creates the function.
func New(scope constructs.Construct, id string, props Props) *Function {
	this := constructs.NewConstruct(scope, jsii.String(id))
	f := &Function{Construct: this}
	timeout, memory := props.Timeout, props.MemoryMiB
	if timeout == 0 {
		timeout = defaultTimeoutSeconds
	}
	if memory == 0 {
		memory = defaultMemoryMiB
	}
	f.LogGroup = logs.NewGroup(this, "Logs", logs.GroupProps{RetentionDays: props.LogRetentionDays, RemovalPolicy: props.RemovalPolicy, Key: props.LogsKey})
	env := map[string]*string{}
	for k, v := range props.Environment {
		env[k] = jsii.String(v)
	}
	if props.MetricsNamespace != "" {
		env[envnames.MetricsNamespace] = jsii.String(props.MetricsNamespace)
	}
	fnProps := &awslambda.FunctionProps{
		Runtime:         awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:    awslambda.Architecture_ARM_64(),
		Handler:         jsii.String("bootstrap"),
		Code:            code(props.SourceDir, props.Package),
		Description:     jsii.String(props.Description),
		Environment:     &env,
		Timeout:         awscdk.Duration_Seconds(jsii.Number(timeout)),
		MemorySize:      jsii.Number(memory),
		LogGroup:        f.LogGroup,
		LoggingFormat:   awslambda.LoggingFormat_JSON,
		DeadLetterQueue: props.DeadLetterQueue,
	}
	if props.Vpc != nil {
		f.SecurityGroup = awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              props.Vpc,
			Description:      jsii.String(props.Description + ": HTTPS to AWS APIs, and what a tier grants"),
			AllowAllOutbound: jsii.Bool(false),
		})
		f.SecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("AWS APIs through NAT"), nil)
		fnProps.Vpc = props.Vpc
		fnProps.VpcSubnets = props.Subnets
		fnProps.SecurityGroups = &[]awsec2.ISecurityGroup{f.SecurityGroup}
	}
	if props.Tracing {
		fnProps.Tracing = awslambda.Tracing_ACTIVE
	}
	f.Function = awslambda.NewFunction(this, jsii.String("Resource"), fnProps)
	if props.RoleName != "" {
		f.Function.Role().Node().DefaultChild().(awsiam.CfnRole).SetRoleName(jsii.String(props.RoleName))
	}
	f.addAlarms(props)
	f.suppress(props)
	return f
}

// A function's timeout and memory unless its Props say: 30 s is what a consumer
// batch or an API call needs, far below the queue's visibility (six times it);
// 256 MiB gives a Go binary room and the CPU share that comes with it.
const (
	defaultTimeoutSeconds = 30
	defaultMemoryMiB      = 256
)

// suppress records the rules a Go function breaks on purpose.
func (f *Function) suppress(props Props) {
	managed := []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
	if props.Vpc != nil {
		managed = append(managed, "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
	}
	concurrency := "No reserved concurrency: reserving it fails the deploy in a new account, whose quota is 10, and a queue consumer's concurrency is bounded by its SQS event source's MaximumConcurrency (Messaging.ConsumerConcurrency), counted in the stage's connection budget."
	dlq := "Invoked synchronously only (an SQS event source, or CloudFormation for the migration): a failed message goes back to its queue and then to the queue's dead-letter queue; a failed migration fails the deploy."
	if props.InvokedBy != "" {
		concurrency = "No reserved concurrency: reserving it fails the deploy in a new account, whose quota is 10. " + props.ConcurrencyReason
		dlq = "Invoked synchronously only, by " + props.InvokedBy + ", which waits for the answer and reports a failure to whoever ran it: there is no event to keep."
	}
	checks.Suppress(f.Function, checks.NIST+"LambdaConcurrency", concurrency)
	if props.DeadLetterQueue == nil {
		checks.Suppress(f.Function, checks.NIST+"LambdaDLQ", dlq)
	}
	if props.Vpc == nil {
		checks.Suppress(f.Function, checks.NIST+"LambdaInsideVPC",
			"It talks to AWS APIs only (S3, SQS), never to the database or the cache; outside the VPC those calls need no NAT.")
	}
	checks.Suppress(f.Function, "AwsSolutions-IAM4",
		"AWSLambdaBasicExecutionRole (write its own logs) and AWSLambdaVPCAccessExecutionRole (manage its ENIs, which IAM cannot scope below *) are the policies AWS documents for every Lambda function; the function's own permissions are granted separately and scoped.",
		managed...)
	if props.Tracing {
		checks.Suppress(f.Function, "AwsSolutions-IAM5",
			"Active tracing: the CDK grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so IAM takes only Resource *.",
			"Resource::*")
	}
}

// code is the function's asset: the bootstrap binary built by local bundling. Its
// hash is the binary's (OUTPUT), so a change anywhere in the code the function
// imports deploys it, and the reproducible build makes the hash the same on every
// machine. Tests that skip bundling get a placeholder hash and never build.
func code(sourceDir, pkg string) awslambda.AssetCode {
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(sourceDir, pkg)), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling:      gobuild.Bundling(sourceDir, pkg, "bootstrap", awscdk.BundlingOutput_NOT_ARCHIVED),
	})
}

func (f *Function) addAlarms(props Props) {
	periods, description := props.ErrorAlarmPeriods, props.ErrorAlarmDescription
	if periods == 0 {
		periods = 3
	}
	if description == "" {
		description = props.Description + ": errors in %d five-minute periods in a row"
		description = fmt.Sprintf(description, periods)
	}
	sum := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	f.Alarms = append(f.Alarms,
		alarms.New(f.Construct, "Errors", alarms.Props{Metric: f.Function.MetricErrors(sum), Threshold: 0, Periods: periods, Description: description}),
		alarms.New(f.Construct, "Throttles", alarms.Props{Metric: f.Function.MetricThrottles(sum), Threshold: 0, Periods: 1,
			Description: props.Description + ": throttled, the account's Lambda concurrency is exhausted"}),
	)
}

// DashboardRow charts functions side by side: invocations, errors, throttles and
// p99 duration, then any graphs of their own (a job's successful runs).
func DashboardRow(title string, functions []*Function, more ...dashboard.Graph) dashboard.Row {
	stat := dashboard.Stat
	var invocations, errors, throttles, duration []awscloudwatch.IMetric
	for _, fn := range functions {
		f := fn.Function
		invocations = append(invocations, f.MetricInvocations(stat("Sum")))
		errors = append(errors, f.MetricErrors(stat("Sum")))
		throttles = append(throttles, f.MetricThrottles(stat("Sum")))
		duration = append(duration, f.MetricDuration(stat("p99")))
	}
	return dashboard.Row{Title: title, Graphs: append([]dashboard.Graph{
		{Title: "Invocations", Metrics: invocations}, {Title: "Errors", Metrics: errors},
		{Title: "Throttles", Metrics: throttles}, {Title: "Duration p99 (ms)", Metrics: duration},
	}, more...)}
}
