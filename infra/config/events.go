package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"
	_ "time/tzdata" // validate time zones the same on every machine
)

// Messaging configures the order-event fan-out and its consumers.
type Messaging struct {
	// MaxReceiveCount is how many times a message is tried before it moves to its
	// queue's dead-letter queue.
	MaxReceiveCount int
	// ConsumerTimeoutSeconds is each consumer's Lambda timeout; the queues' visibility
	// timeout is six times it, as AWS recommends for SQS event sources.
	ConsumerTimeoutSeconds int
	// ConsumerConcurrency caps how many invocations of each consumer run at once
	// (the SQS event source's maximum concurrency, 2 to 1000): a backlog drains at
	// that pace instead of opening a connection pool per invocation until the
	// database refuses more. It counts in the stage's connection budget.
	ConsumerConcurrency int
	// OldestMessageAlarmSeconds raises an alarm when a queue's oldest message waits longer.
	OldestMessageAlarmSeconds int
	// LogRetentionDays applies to every function's logs.
	LogRetentionDays int
	// SenderEmail is the SES-verified address notifications come from; empty means
	// the notifications function logs the messages it would send.
	SenderEmail string
}

// Report configures the daily sales report, a function on a schedule.
type Report struct {
	// Schedule is an EventBridge Scheduler cron expression: cron(minutes hours
	// day-of-month month day-of-week year).
	Schedule string
	// TimeZone is the IANA zone of Schedule and of "yesterday", e.g. Europe/Paris.
	TimeZone string
	// RetryAttempts is how often the scheduler retries a failed invocation before
	// the event goes to the schedule's dead-letter queue.
	RetryAttempts int
	// Emails receive the summary by email (each confirms its subscription).
	Emails []string
}

// Storage configures the S3 buckets.
type Storage struct {
	// AccessLogRetentionDays is how long server access logs are kept.
	AccessLogRetentionDays int
	// DataRetentionDays is how long the customer data (the event archive and the
	// reports) is kept; NoncurrentVersionDays how long an overwritten or deleted
	// object's previous version is (the buckets are versioned).
	DataRetentionDays     int
	NoncurrentVersionDays int
	// DataReaderRoleArns are the IAM roles, besides the functions that write it,
	// that may decrypt the customer data: an analyst's or an Athena workgroup's.
	// The key admits no one else, whatever their IAM policies say.
	DataReaderRoleArns []string
}

var (
	cronPattern  = regexp.MustCompile(`^cron\((\S+ ){5}\S+\)$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (m Messaging) validate(p *problems) {
	if m.MaxReceiveCount < 1 || m.MaxReceiveCount > 10 {
		p.add("messaging.maxReceiveCount", m.MaxReceiveCount, "1 to 10")
	}
	// Six times the timeout must fit SQS's 12-hour visibility limit; Lambda allows 900 s.
	if m.ConsumerTimeoutSeconds < 3 || m.ConsumerTimeoutSeconds > 900 {
		p.add("messaging.consumerTimeoutSeconds", m.ConsumerTimeoutSeconds, "3 to 900")
	}
	if m.ConsumerConcurrency < 2 || m.ConsumerConcurrency > 1000 {
		p.add("messaging.consumerConcurrency", m.ConsumerConcurrency, "2 to 1000 (an SQS event source's maximum concurrency)")
	}
	if m.OldestMessageAlarmSeconds < 60 || m.OldestMessageAlarmSeconds > 86400 {
		p.add("messaging.oldestMessageAlarmSeconds", m.OldestMessageAlarmSeconds, "60 to 86400")
	}
	if !slices.Contains(LogRetentionDays, m.LogRetentionDays) {
		p.add("messaging.logRetentionDays", m.LogRetentionDays, "one of "+intList(LogRetentionDays))
	}
	if m.SenderEmail != "" && !emailPattern.MatchString(m.SenderEmail) {
		p.add("messaging.senderEmail", m.SenderEmail, "an email address verified in SES, or empty to log messages instead")
	}
}

func (b Report) validate(p *problems) {
	if !cronPattern.MatchString(b.Schedule) {
		p.add("report.schedule", b.Schedule, "an EventBridge Scheduler cron expression with 6 fields, e.g. cron(0 2 * * ? *)")
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "" || b.TimeZone == "Local" {
		p.add("report.timeZone", b.TimeZone, "an IANA time zone such as UTC or Europe/Paris")
	}
	if b.RetryAttempts < 0 || b.RetryAttempts > 185 {
		p.add("report.retryAttempts", b.RetryAttempts, "0 to 185")
	}
	for i, e := range b.Emails {
		if !emailPattern.MatchString(e) {
			p.add(fmt.Sprintf("report.emails[%d]", i), e, "an email address")
		}
	}
}

func (s Storage) validate(p *problems) {
	if s.AccessLogRetentionDays < 1 || s.AccessLogRetentionDays > 3653 {
		p.add("storage.accessLogRetentionDays", s.AccessLogRetentionDays, "1 to 3653")
	}
	if s.DataRetentionDays < 1 || s.DataRetentionDays > 3653 {
		p.add("storage.dataRetentionDays", s.DataRetentionDays, "1 to 3653")
	}
	if s.NoncurrentVersionDays < 1 || s.NoncurrentVersionDays > 365 {
		p.add("storage.noncurrentVersionDays", s.NoncurrentVersionDays, "1 to 365")
	}
	for _, arn := range s.DataReaderRoleArns {
		if !roleArnPattern.MatchString(arn) {
			p.add("storage.dataReaderRoleArns", arn, "IAM role ARNs such as arn:aws:iam::123456789012:role/analysts")
		}
	}
}

var roleArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
