// Package consumer builds one order-event consumer: the Go function that drains a
// queue of the fan-out, its SQS event source (batches, partial failures, a
// concurrency cap), its alarms, and the grants for what it touches: its database
// login, a bucket prefix it writes, an SES identity it sends as.
package consumer

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/grant"
)

// The event source's batching: up to BatchSize messages, or what arrived within
// BatchWindowSeconds, per invocation. Ten is SQS's largest receive, and a second's
// wait costs a shopper nothing (order events are asynchronous already).
const (
	BatchSize          = 10
	BatchWindowSeconds = 1
)

// Props configure a consumer.
type Props struct {
	// Function is the function that drains the queue (its Package under lambdas/).
	Function gofunction.Props
	// Queue is the fan-out queue it drains.
	Queue awssqs.IQueue
	// MaxConcurrency caps the event source: a backlog drains at this pace, and the
	// stage's connection budget counts it (messaging.consumerConcurrency).
	MaxConcurrency int
	// After must exist before the function first runs (the migrated schema).
	After constructs.IDependable
	// Database, when set, lets the function read its login and reach PostgreSQL;
	// Function must then be in the VPC.
	Database *grant.Database
	// Writes, when set, lets the function put objects under one prefix of a bucket.
	Writes *grant.BucketPrefix
	// SendsEmailAs, when set, lets the function send email through SES as that
	// verified identity.
	SendsEmailAs string
	// Disabled creates the event source turned off: the queue keeps its messages
	// until the mapping is enabled (a standby region's consumers that write to its
	// database, which a failover enables once the database is promoted).
	Disabled bool
}

// New creates the consumer and returns its function and its event source (whose
// mapping a failover enables, when disabled). id is the function's construct ID
// (InventoryConsumer).
func New(scope constructs.Construct, id string, props Props) (*gofunction.Function, awslambdaeventsources.SqsEventSource) {
	fn := gofunction.New(scope, id, props.Function)
	var enabled *bool // left out, as an enabled source is written, unless disabled
	if props.Disabled {
		enabled = jsii.Bool(false)
	}
	source := awslambdaeventsources.NewSqsEventSource(props.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(BatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(BatchWindowSeconds)),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(props.MaxConcurrency),
		Enabled:                 enabled,
	})
	fn.Function.AddEventSource(source)
	if props.After != nil {
		fn.Function.Node().AddDependency(props.After)
	}
	if props.Database != nil {
		grant.ReachDatabase(fn.Function, *props.Database)
	}
	if props.SendsEmailAs != "" {
		stack := awscdk.Stack_Of(scope)
		fn.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("ses:SendEmail"),
			Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("ses"), Resource: jsii.String("identity"), ResourceName: jsii.String(props.SendsEmailAs),
			})),
		}))
	}
	if props.Writes != nil {
		grant.PutUnder(fn.Function, *props.Writes)
	}
	return fn, source
}
