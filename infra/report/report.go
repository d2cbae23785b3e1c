// Package report builds the scheduled daily report: an EventBridge Scheduler
// schedule in a time zone, with retries and a dead-letter queue, invoking a Go
// function that writes the report under a bucket prefix and publishes its summary
// to an SNS topic of email subscribers.
package report

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/dashboard"
	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/grant"
	"github.com/example/scalable-web/internal/envnames"
)

// Props configure the report.
type Props struct {
	// Function is the job; the construct adds REPORTS_TOPIC_ARN and REPORT_TIME_ZONE.
	Function gofunction.Props
	// Schedule is a cron(...) expression, evaluated in TimeZone.
	Schedule string
	// TimeZone is the IANA time zone of Schedule and of the report's "yesterday",
	// e.g. Europe/Paris; the function gets it as REPORT_TIME_ZONE (from config Report).
	TimeZone string
	// RetryAttempts is how many times the scheduler retries a failed invocation, 0 to
	// 185, before the event goes to the dead-letter queue (from config Report).
	RetryAttempts int
	// Emails subscribe to the summary (each confirms by email).
	Emails []string
	// Key encrypts the reports topic and the dead-letter queue.
	Key awskms.IKey
	// Database is the function's login to a reader (replica) of the database.
	Database grant.Database
	// Writes is where the function puts the report.
	Writes grant.BucketPrefix
}

// Report is the schedule, its function and where the summary goes.
type Report struct {
	constructs.Construct
	Function        *gofunction.Function
	Schedule        awsscheduler.Schedule
	DeadLetterQueue awssqs.Queue
	ReportsTopic    awssns.Topic
	Alarms          []awscloudwatch.Alarm
}

// New creates the report.
func New(scope constructs.Construct, id string, props Props) *Report {
	this := constructs.NewConstruct(scope, jsii.String(id))
	b := &Report{Construct: this}

	b.ReportsTopic = awssns.NewTopic(this, jsii.String("ReportsTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Daily sales report"),
		MasterKey:   props.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, email := range props.Emails {
		b.ReportsTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}

	fn := props.Function
	env := map[string]string{envnames.ReportsTopicARN: *b.ReportsTopic.TopicArn(), envnames.ReportTimeZone: props.TimeZone}
	for k, v := range fn.Environment {
		env[k] = v
	}
	fn.Environment = env
	b.DeadLetterQueue = awssqs.NewQueue(this, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: props.Key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(deadLetterRetentionDays)),
	})
	checks.Suppress(b.DeadLetterQueue, "AwsSolutions-SQS3",
		"This queue is itself a dead-letter queue: where the scheduler puts an invocation it could not make, and Lambda a run that failed its retries.")
	// The scheduler invokes the function asynchronously: a run that fails Lambda's
	// own retries lands here too, not only one the scheduler could not deliver.
	fn.DeadLetterQueue = b.DeadLetterQueue
	fn.ErrorAlarmPeriods = 1 // it runs once a day: one failed run is news
	fn.ErrorAlarmDescription = "The daily report failed: no report today unless it is rerun (README)"
	b.Function = gofunction.New(this, "Function", fn)
	b.ReportsTopic.GrantPublish(b.Function.Function)
	checks.Suppress(b.Function.Function, "AwsSolutions-IAM5",
		"kms:GenerateDataKey* comes from the CDK's grantPublish on the encrypted reports topic and its dead-letter queue (kms:ReEncrypt* too): the variants SNS and SQS may call, on that one key only.",
		"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	grant.ReachDatabase(b.Function.Function, props.Database)
	grant.PutUnder(b.Function.Function, props.Writes)

	role := awsiam.NewRole(this, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
		Description: jsii.String("Lets EventBridge Scheduler invoke the daily report and use its dead-letter queue"),
	})
	b.Schedule = awsscheduler.NewSchedule(this, jsii.String("Schedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String("The daily sales report"),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(props.Schedule), awscdk.TimeZone_Of(jsii.String(props.TimeZone))),
		Target: awsschedulertargets.NewLambdaInvoke(b.Function.Function, &awsschedulertargets.ScheduleTargetBaseProps{
			Role:            role,
			DeadLetterQueue: b.DeadLetterQueue,
			RetryAttempts:   jsii.Number(props.RetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(maxEventAgeHours)),
			Input:           awsscheduler.ScheduleTargetInput_FromObject(map[string]any{}),
		}),
	})

	// After the schedule: its grant creates the policy this suppression must cover.
	checks.Suppress(role, "AwsSolutions-IAM5",
		"The CDK grants lambda:InvokeFunction on the report function and on <function ARN>:* (its versions and aliases), nothing else.",
		"/^Resource::<.*Function.*\\.Arn>:\\*$/")

	b.Alarms = append(b.Alarms, alarms.New(this, "DeadLetterQueue", alarms.Props{
		Metric:    b.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}),
		Threshold: 0, Periods: 1,
		Description: "The daily report did not run: the scheduler could not invoke it, or it failed every retry (the message says which day)",
	}))
	return b
}

// SuccessGraph charts the report's successful runs per day: 0 is a day without a
// report.
func (b *Report) SuccessGraph() dashboard.Graph {
	fn := b.Function.Function
	day := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Days(jsii.Number(1)), Statistic: jsii.String("Sum")}
	succeeded := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("invocations - errors"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"invocations": fn.MetricInvocations(day), "errors": fn.MetricErrors(day)},
		Label:        jsii.String("daily report: successful runs per day (0 = no report that day)"),
		Period:       awscdk.Duration_Days(jsii.Number(1)),
	})
	return dashboard.Graph{Title: "Daily report: last successes", Metrics: []awscloudwatch.IMetric{succeeded}}
}

// The schedule's fixed settings.
const (
	// deadLetterRetentionDays keeps a run that failed every retry for 14 days, the
	// most SQS allows: long enough to notice the alarm, fix the cause and rerun.
	deadLetterRetentionDays = 14
	// maxEventAgeHours is how long the scheduler keeps retrying one day's run: past
	// 6 hours the report would land in the working day; it goes to the dead-letter
	// queue instead, and the alarm says which day is missing.
	maxEventAgeHours = 6
)
