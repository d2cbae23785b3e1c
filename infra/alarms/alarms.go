// Package alarms builds what tells people the shop is in trouble, one way for every
// tier: New makes a metric alarm with the house defaults and the one ID scheme
// (<What>Alarm); the ops topic that every alarm notifies, its subscriptions; Notify;
// and the composite "shop is down" alarm.
package alarms

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/removal"
)

// Props describe one metric alarm; the zero values are the house defaults.
type Props struct {
	// Metric is what is watched, with its period and statistic.
	Metric awscloudwatch.IMetric
	// Threshold the metric must pass: rise above, or fall below with Below.
	Threshold float64
	// Below fires the alarm when the metric falls below Threshold instead of rising
	// above it (the default, false).
	Below bool
	// Periods in a row past the threshold before the alarm fires (default 3: one
	// bad period is noise).
	Periods int
	// MissingBreaches treats no data as breaching, for a metric whose silence
	// means nothing is serving (healthy hosts). By default no data is not
	// breaching: an instance being replaced, or a function not invoked, reports
	// nothing and is not failing.
	MissingBreaches bool
	// Description is what the on-call reads: what it means and where to look.
	Description string
}

// defaultPeriods is how many periods in a row fire an alarm unless Props say.
const defaultPeriods = 3

// New creates the alarm "<what>Alarm" in scope, the one construct ID scheme of
// every tier's alarms. The stacks send the alarms to the ops topic (Notify).
func New(scope constructs.Construct, what string, p Props) awscloudwatch.Alarm {
	periods, op, missing := p.Periods, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, awscloudwatch.TreatMissingData_NOT_BREACHING
	if periods == 0 {
		periods = defaultPeriods
	}
	if p.Below {
		op = awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	}
	if p.MissingBreaches {
		missing = awscloudwatch.TreatMissingData_BREACHING
	}
	return awscloudwatch.NewAlarm(scope, jsii.String(what+"Alarm"), &awscloudwatch.AlarmProps{
		Metric:             p.Metric,
		Threshold:          jsii.Number(p.Threshold),
		EvaluationPeriods:  jsii.Number(periods),
		ComparisonOperator: op,
		TreatMissingData:   missing,
		AlarmDescription:   jsii.String(p.Description),
	})
}

// TopicProps configure the ops topic.
type TopicProps struct {
	// Emails receive every alarm; each address confirms its subscription once.
	Emails []string
	// HTTPSEndpoints receive every alarm as an SNS HTTPS notification (a paging or
	// chat service's SNS integration URL).
	HTTPSEndpoints []string
	// RemovalPolicy applies to the topic's key: DESTROY deletes it, anything else (and
	// the zero value) retains it.
	RemovalPolicy awscdk.RemovalPolicy
}

// Topic is the encrypted ops topic and its key.
type Topic struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
}

// NewTopic creates the ops topic. Its key lets CloudWatch alarms and EC2 Auto
// Scaling publish: neither can use SNS's AWS-managed key, and without these
// statements an encrypted topic silently receives nothing from them.
func NewTopic(scope constructs.Construct, id string, props TopicProps) *Topic {
	this := constructs.NewConstruct(scope, jsii.String(id))
	t := &Topic{Construct: this}
	t.Key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the ops topic that alarms and scaling events go to"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(props.RemovalPolicy),
	})
	publish := jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*")
	t.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    publish,
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	// Auto Scaling publishes as its service-linked role, which does not exist in a
	// new account until the first group is created: naming it as the principal
	// would fail this key's creation, so the statement matches it by ARN instead.
	t.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AutoScalingNotificationsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    publish,
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:PrincipalAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike": map[string]any{"aws:PrincipalArn": awscdk.Fn_Sub(jsii.String(
				"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"), nil)},
		},
	}), nil)
	t.Topic = awssns.NewTopic(this, jsii.String("Resource"), &awssns.TopicProps{
		DisplayName: jsii.String("Ops alarms"),
		MasterKey:   t.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, email := range props.Emails {
		t.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	for _, url := range props.HTTPSEndpoints {
		t.Topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(url), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
	return t
}

// Alarm is a metric or composite alarm, which can both take actions.
type Alarm interface {
	AddAlarmAction(actions ...awscloudwatch.IAlarmAction)
	AddOkAction(actions ...awscloudwatch.IAlarmAction)
}

// Notify makes each alarm tell the topic when it goes into alarm and when it
// recovers, so a page is followed by its all-clear.
func Notify[A Alarm](topic awssns.ITopic, alarms ...A) {
	action := awscloudwatchactions.NewSnsAction(topic)
	for _, a := range alarms {
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
}

// NewShopDown creates the composite alarm that means customers cannot shop: any
// of the given alarms, each of which stops orders or pages on its own. It is the
// one alarm worth waking someone for; the others explain why.
func NewShopDown(scope constructs.Construct, id, name string, causes []awscloudwatch.IAlarm) awscloudwatch.CompositeAlarm {
	rules := make([]awscloudwatch.IAlarmRule, len(causes))
	for i, c := range causes {
		rules[i] = awscloudwatch.AlarmRule_FromAlarm(c, awscloudwatch.AlarmState_ALARM)
	}
	return awscloudwatch.NewCompositeAlarm(scope, jsii.String(id), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: jsii.String(name),
		AlarmDescription:   jsii.String("The shop is down: customers cannot browse or order. The alarms in ALARM below say where."),
		AlarmRule:          awscloudwatch.AlarmRule_AnyOf(rules...),
	})
}
