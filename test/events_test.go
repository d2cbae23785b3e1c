package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/consumer"
	"github.com/example/scalable-web/infra/stacks"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
)

// forEachEventsStack runs test once per stage on its events stack.
func forEachEventsStack(t *testing.T, test func(t *testing.T, s *synthesis, stack string)) {
	t.Helper()
	forEachStageStack(t, func(s *stacks.Stacks) awscdk.Stack { return s.Events.Stack }, test)
}

// TestSubscriptionsFollowTheContract checks that every subscriber of the event
// contract has its subscription: raw delivery, the contract's filter policy on
// eventType, and a dead-letter queue for what SNS cannot deliver.
func TestSubscriptionsFollowTheContract(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		subs := s.resources(stack, "AWS::SNS::Subscription")
		if len(subs) != len(orderevents.Consumers) {
			t.Fatalf("got %d subscriptions, want %d", len(subs), len(orderevents.Consumers))
		}
		for _, c := range orderevents.Consumers {
			name := c.Name
			var found map[string]any
			for id, r := range subs {
				if strings.HasPrefix(id, "Messaging"+name+"Queue") {
					found = props(r)
				}
			}
			if found == nil {
				t.Errorf("%s: no subscription", name)
				continue
			}
			if found["Protocol"] != "sqs" || found["RawMessageDelivery"] != true {
				t.Errorf("%s: protocol %v, raw %v; want sqs with raw delivery", name, found["Protocol"], found["RawMessageDelivery"])
			}
			got, _ := json.Marshal(found["FilterPolicy"])
			if want := c.FilterPolicy(); (want == "" && found["FilterPolicy"] != nil) || (want != "" && string(got) != want) {
				t.Errorf("%s: filter policy %s, want %q (the contract in internal/orderevents)", name, got, want)
			}
			dlq := fmt.Sprint(found["RedrivePolicy"])
			if !strings.Contains(dlq, "Messaging"+name+"SubscriptionDeadLetterQueue") {
				t.Errorf("%s: subscription redrive %s, want its own dead-letter queue", name, dlq)
			}
		}
	})
}

func TestQueues(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		m := s.cfg.Messaging
		for _, name := range orderevents.ConsumerNames() {
			check(t, name+" queue", func() {
				s.template(t, stack).HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
					"KmsMasterKeyId":         map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^MessagingKey")), "Arn"}},
					"VisibilityTimeout":      6 * m.ConsumerTimeoutSeconds,
					"MessageRetentionPeriod": 4 * 24 * 3600,
					"RedrivePolicy": map[string]any{
						"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Messaging" + name + "DeadLetterQueue")), "Arn"}},
						"maxReceiveCount":     m.MaxReceiveCount,
					},
				})
			})
		}
		queues := s.resources(stack, "AWS::SQS::Queue")
		if want := 3*len(orderevents.Consumers) + 1; len(queues) != want {
			t.Errorf("got %d queues, want %d (queue, DLQ and subscription DLQ per subscriber, and the schedule's DLQ)", len(queues), want)
		}
		for id, q := range queues {
			p := props(q)
			if p["KmsMasterKeyId"] == nil {
				t.Errorf("%s: not encrypted with a KMS key", id)
			}
			if strings.Contains(id, "DeadLetterQueue") && p["MessageRetentionPeriod"] != float64(14*24*3600) {
				t.Errorf("%s: retention %v, want 14 days to redrive", id, p["MessageRetentionPeriod"])
			}
		}
		// Every queue refuses plain HTTP.
		policies := s.resources(stack, "AWS::SQS::QueuePolicy")
		tlsOnly := 0
		for _, qp := range policies {
			if strings.Contains(fmt.Sprint(props(qp)["PolicyDocument"]), "aws:SecureTransport:false") {
				tlsOnly += len(props(qp)["Queues"].([]any))
			}
		}
		if tlsOnly != len(queues) {
			t.Errorf("%d of %d queues deny requests without TLS", tlsOnly, len(queues))
		}
	})
}

// TestSNSMayUseTheQueueKey guards the classic trap: SNS delivers nothing to a
// queue encrypted with a key whose policy does not let SNS use it.
func TestSNSMayUseTheQueueKey(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		check(t, "queue key policy grants SNS, for this topic only", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
				"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
					"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey"},
					"Effect":    "Allow",
					"Principal": map[string]any{"Service": "sns.amazonaws.com"},
					"Resource":  "*",
					"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^MessagingTopic"))}}},
				}})},
			})
		})
		check(t, "the topic is encrypted with its own key", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
				"DisplayName":    "Order events",
				"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^MessagingTopicKey")), "Arn"}},
			})
		})
	})
}

func TestConsumersReportPartialFailures(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		mappings := s.resources(stack, "AWS::Lambda::EventSourceMapping")
		if len(mappings) != len(orderevents.Consumers) {
			t.Errorf("got %d event sources, want one per subscriber", len(mappings))
		}
		for id, r := range mappings {
			p := props(r)
			if fmt.Sprint(p["FunctionResponseTypes"]) != "[ReportBatchItemFailures]" || p["BatchSize"] != float64(consumer.BatchSize) {
				t.Errorf("%s: response types %v, batch %v; want ReportBatchItemFailures and 10", id, p["FunctionResponseTypes"], p["BatchSize"])
			}
			// A backlog drains at the stage's pace, within its connection budget.
			if scaling := fmt.Sprint(p["ScalingConfig"]); scaling != fmt.Sprintf("map[MaximumConcurrency:%d]", s.cfg.Messaging.ConsumerConcurrency) {
				t.Errorf("%s: scaling %s, want MaximumConcurrency %d (messaging.consumerConcurrency)", id, scaling, s.cfg.Messaging.ConsumerConcurrency)
			}
			// Consumers start only once the schema is migrated.
			if fmt.Sprint(r["DependsOn"]) != "[Schema]" {
				t.Errorf("%s: depends on %v, want [Schema]", id, r["DependsOn"])
			}
		}
	})
}

func TestGoFunctions(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		fns := s.resources(stack, "AWS::Lambda::Function")
		if want := 3 + len(orderevents.Consumers); len(fns) != want {
			t.Errorf("got %d functions, want %d (migration, daily report, catalog import, one per consumer)", len(fns), want)
		}
		for id, r := range fns {
			p := props(r)
			if p["Runtime"] != "provided.al2023" || fmt.Sprint(p["Architectures"]) != "[arm64]" || p["Handler"] != "bootstrap" {
				t.Errorf("%s: %v %v %v, want provided.al2023 arm64 bootstrap", id, p["Runtime"], p["Architectures"], p["Handler"])
			}
			if p["LoggingConfig"] == nil {
				t.Errorf("%s: no logging config (JSON logs to its own group)", id)
			}
		}
		for id, r := range s.resources(stack, "AWS::Logs::LogGroup") {
			if props(r)["RetentionInDays"] != float64(s.cfg.Messaging.LogRetentionDays) {
				t.Errorf("%s: retention %v, want %d", id, props(r)["RetentionInDays"], s.cfg.Messaging.LogRetentionDays)
			}
		}
	})
}

func TestSchemaMigratesOnEveryChange(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		check(t, "the schema custom resource carries the migrations' fingerprint", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("Custom::Schema"), map[string]any{
				"ServiceToken": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Migration")), "Arn"}},
				"Fingerprint":  schema.Fingerprint(),
			})
		})
	})
}

func TestDailyReportSchedule(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		b := s.cfg.Report
		check(t, "schedule", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
				"ScheduleExpression":         b.Schedule,
				"ScheduleExpressionTimezone": b.TimeZone,
				"State":                      "ENABLED",
				"Target": assertions.Match_ObjectLike(&map[string]any{
					"Arn":              map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^DailyReportFunction")), "Arn"}},
					"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^DailyReportDeadLetterQueue")), "Arn"}}},
					"RetryPolicy":      assertions.Match_ObjectLike(&map[string]any{"MaximumRetryAttempts": b.RetryAttempts}),
				}),
			})
		})
		check(t, "report emails", func() {
			s.template(t, stack).ResourcePropertiesCountIs(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email"}, jsii.Number(len(b.Emails)))
		})
		check(t, "the job reads from the reader name", func() {
			s.template(t, stack).HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"DB_READER_HOST":   "reader." + s.cfg.Prefix + ".internal",
					"REPORT_TIME_ZONE": b.TimeZone,
				})},
			})
		})
	})
}

func TestEventsAlarms(t *testing.T) {
	forEachEventsStack(t, func(t *testing.T, s *synthesis, stack string) {
		dlqAlarms, ageAlarms, other := 0, 0, 0
		for id, r := range s.resources(stack, "AWS::CloudWatch::Alarm") {
			p := props(r)
			switch p["MetricName"] {
			case "ApproximateNumberOfMessagesVisible":
				if p["Threshold"] != float64(0) || !strings.Contains(id, "DeadLetterQueue") {
					t.Errorf("%s: threshold %v; want any message in a DLQ to alarm", id, p["Threshold"])
				}
				dlqAlarms++
			case "ApproximateAgeOfOldestMessage":
				if p["Threshold"] != float64(s.cfg.Messaging.OldestMessageAlarmSeconds) {
					t.Errorf("%s: threshold %v, want %d", id, p["Threshold"], s.cfg.Messaging.OldestMessageAlarmSeconds)
				}
				ageAlarms++
			default:
				other++
			}
		}
		n := len(orderevents.Consumers)
		// Errors and throttles of each function: the consumers, the migration, the
		// report, the catalog import.
		if functions := 2 * (n + 3); dlqAlarms != 2*n+1 || ageAlarms != n || other != functions {
			t.Errorf("got %d DLQ, %d age and %d other alarms; want %d, %d and %d (function errors and throttles)", dlqAlarms, ageAlarms, other, 2*n+1, n, functions)
		}
	})
}
