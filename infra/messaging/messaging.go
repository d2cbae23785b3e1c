// Package messaging builds the order-event fan-out: one SNS topic, and per
// subscriber an SQS queue with its dead-letter queue, subscribed with raw delivery
// and a filter policy on the eventType attribute, with a dead-letter queue of its
// own for what SNS cannot deliver.
package messaging

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/removal"
)

// Retention: a queue keeps a message 4 days, a dead-letter queue 14 (the most SQS
// allows), long enough to notice the alarm, fix the consumer and redrive.
const (
	queueRetentionDays = 4
	dlqRetentionDays   = 14
)

// dataKeyReuseMinutes is how long SQS reuses a data key from KMS: 5 minutes, the
// default, is fewer KMS calls for the same protection.
const dataKeyReuseMinutes = 5

// Subscriber is one queue of the fan-out.
type Subscriber struct {
	// Name is also the construct ID: "inventory", "notifications", ...
	Name string
	// EventTypes it receives; empty means every event.
	EventTypes []string
	// VisibilityTimeoutSeconds should be six times its consumer's timeout.
	VisibilityTimeoutSeconds int
}

// Props configure the fan-out.
type Props struct {
	// Subscribers each get a queue, its dead-letter queue and a subscription
	// dead-letter queue (the stacks pass one per orderevents.Consumers entry).
	Subscribers []Subscriber
	// FilterAttribute is the message attribute the filter policies match.
	FilterAttribute string
	// MaxReceiveCount is how many receives a message gets before its DLQ.
	MaxReceiveCount int
	// OldestMessageAlarmSeconds is the age of the oldest message that raises an alarm.
	OldestMessageAlarmSeconds int
	// RemovalPolicy applies to the queues' key and the topic's key: DESTROY deletes
	// them, anything else retains them.
	RemovalPolicy awscdk.RemovalPolicy
}

// Messaging is the topic and its queues, by subscriber name.
type Messaging struct {
	constructs.Construct
	// Key encrypts the queues. Its policy lets SNS use it for this topic (the CDK
	// adds that with each subscription); without it SNS delivers nothing to an
	// encrypted queue.
	Key awskms.Key
	// TopicKey encrypts the topic. It is not Key: Key's policy names the topic, and
	// a topic encrypted with Key would make the two depend on each other.
	TopicKey                     awskms.Key
	Topic                        awssns.Topic
	Queues                       map[string]awssqs.Queue
	DeadLetterQueues             map[string]awssqs.Queue
	SubscriptionDeadLetterQueues map[string]awssqs.Queue
	Alarms                       []awscloudwatch.Alarm
}

// New creates the fan-out.
func New(scope constructs.Construct, id string, props Props) *Messaging {
	this := constructs.NewConstruct(scope, jsii.String(id))
	m := &Messaging{
		Construct:                    this,
		Queues:                       map[string]awssqs.Queue{},
		DeadLetterQueues:             map[string]awssqs.Queue{},
		SubscriptionDeadLetterQueues: map[string]awssqs.Queue{},
	}
	m.Key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the order-event queues and their dead-letter queues"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(props.RemovalPolicy),
	})
	m.TopicKey = awskms.NewKey(this, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the order-event and report topics"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(props.RemovalPolicy),
	})
	m.Topic = awssns.NewTopic(this, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Order events"),
		MasterKey:   m.TopicKey,
		EnforceSSL:  jsii.Bool(true),
	})

	for _, sub := range props.Subscribers {
		scope := constructs.NewConstruct(this, jsii.String(sub.Name))
		dlq := m.queue(scope, "DeadLetterQueue", dlqRetentionDays, 0, nil)
		queue := m.queue(scope, "Queue", queueRetentionDays, sub.VisibilityTimeoutSeconds, &awssqs.DeadLetterQueue{
			Queue: dlq, MaxReceiveCount: jsii.Number(props.MaxReceiveCount),
		})
		undelivered := m.queue(scope, "SubscriptionDeadLetterQueue", dlqRetentionDays, 0, nil)
		checks.Suppress(undelivered, "AwsSolutions-SQS3",
			"This queue is itself a dead-letter queue: the one SNS uses for messages it cannot deliver to "+sub.Name+"'s queue.")

		m.Topic.AddSubscription(awssnssubscriptions.NewSqsSubscription(queue, &awssnssubscriptions.SqsSubscriptionProps{
			RawMessageDelivery: jsii.Bool(true),
			DeadLetterQueue:    undelivered,
			FilterPolicy:       filterPolicy(props.FilterAttribute, sub.EventTypes),
		}))
		m.Queues[sub.Name], m.DeadLetterQueues[sub.Name], m.SubscriptionDeadLetterQueues[sub.Name] = queue, dlq, undelivered

		m.alarmOnAnyMessage(scope, "DeadLetterQueue", dlq, sub.Name+": messages failed "+fmt.Sprint(props.MaxReceiveCount)+" times and wait in the dead-letter queue; see the README on redriving")
		m.alarmOnAnyMessage(scope, "SubscriptionDeadLetterQueue", undelivered, sub.Name+": SNS could not deliver messages to the queue (policy or key?)")
		m.Alarms = append(m.Alarms, alarms.New(scope, "OldestMessage", alarms.Props{
			Metric:    queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")}),
			Threshold: float64(props.OldestMessageAlarmSeconds), Periods: 5,
			Description: fmt.Sprintf("%s: the oldest message has waited over %d s for 5 minutes: the consumer is failing or too slow", sub.Name, props.OldestMessageAlarmSeconds),
		}))
	}
	return m
}

func (m *Messaging) queue(scope constructs.Construct, id string, retentionDays, visibilitySeconds int, dlq *awssqs.DeadLetterQueue) awssqs.Queue {
	props := &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: m.Key,
		DataKeyReuse:        awscdk.Duration_Minutes(jsii.Number(dataKeyReuseMinutes)),
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(retentionDays)),
		DeadLetterQueue:     dlq,
	}
	if visibilitySeconds > 0 {
		props.VisibilityTimeout = awscdk.Duration_Seconds(jsii.Number(visibilitySeconds))
	}
	return awssqs.NewQueue(scope, jsii.String(id), props)
}

// alarmOnAnyMessage fires as soon as a dead-letter queue holds a message.
func (m *Messaging) alarmOnAnyMessage(scope constructs.Construct, what string, queue awssqs.Queue, description string) {
	m.Alarms = append(m.Alarms, alarms.New(scope, what, alarms.Props{
		Metric:    queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")}),
		Threshold: 0, Periods: 1, Description: description,
	}))
}

// filterPolicy matches the given event types, or is nil (every event) when empty.
func filterPolicy(attribute string, types []string) *map[string]awssns.SubscriptionFilter {
	if len(types) == 0 {
		return nil
	}
	return &map[string]awssns.SubscriptionFilter{
		attribute: awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{Allowlist: jsii.Strings(types...)}),
	}
}

// DashboardRow charts each subscriber's queue and its two dead-letter queues, in
// the order given (the contract's), and beside them any other dead-letter queue
// of the asynchronous work (the daily report's).
func (m *Messaging) DashboardRow(subscribers []string, otherDeadLetterQueues ...awssqs.IQueue) dashboard.Row {
	stat := dashboard.Stat
	var depth, age []awscloudwatch.IMetric
	for _, name := range subscribers {
		for _, q := range []awssqs.Queue{m.Queues[name], m.DeadLetterQueues[name], m.SubscriptionDeadLetterQueues[name]} {
			depth = append(depth, q.MetricApproximateNumberOfMessagesVisible(stat("Maximum")))
			age = append(age, q.MetricApproximateAgeOfOldestMessage(stat("Maximum")))
		}
	}
	for _, q := range otherDeadLetterQueues {
		depth = append(depth, q.MetricApproximateNumberOfMessagesVisible(stat("Maximum")))
	}
	return dashboard.Row{Title: "Order events: each queue and its DLQs", Graphs: []dashboard.Graph{
		{Title: "Messages waiting", Metrics: depth}, {Title: "Age of the oldest message (s)", Metrics: age},
	}}
}
