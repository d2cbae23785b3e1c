package orderevents

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TopicName is the base name of the order-event topic outside AWS.
const TopicName = "order-events"

// FanOutSNS and FanOutSQS are the calls BuildFanOut makes; *sns.Client and
// *sqs.Client are them.
type FanOutSNS interface {
	CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
}
type FanOutSQS interface {
	CreateQueue(context.Context, *sqs.CreateQueueInput, ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// FanOut is a topic and its consumers' queues, by consumer name.
type FanOut struct {
	TopicARN  string
	QueueURLs map[string]string
}

// BuildFanOut creates on an SNS and SQS endpoint (goaws on loopback) the fan-out the
// events stack creates in AWS from Consumers: a topic and, per consumer, a queue
// subscribed with raw delivery and the consumer's filter policy. suffix tells copies
// apart: the topic is TopicName+suffix and each queue its consumer's name+suffix.
// The local run (cmd/fanout) and the tests use it, so neither keeps a list of its own.
func BuildFanOut(ctx context.Context, snsClient FanOutSNS, sqsClient FanOutSQS, suffix string) (FanOut, error) {
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: ptr(TopicName + suffix)})
	if err != nil {
		return FanOut{}, fmt.Errorf("create topic: %w", err)
	}
	f := FanOut{TopicARN: *topic.TopicArn, QueueURLs: map[string]string{}}
	for _, c := range Consumers {
		q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: ptr(c.Name + suffix)})
		if err != nil {
			return FanOut{}, fmt.Errorf("create queue %s: %w", c.Name, err)
		}
		attrs, err := sqsClient.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return FanOut{}, fmt.Errorf("queue %s: %w", c.Name, err)
		}
		subscription := map[string]string{"RawMessageDelivery": "true"}
		if policy := c.FilterPolicy(); policy != "" {
			subscription["FilterPolicy"] = policy
		}
		if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: ptr("sqs"), Endpoint: ptr(attrs.Attributes["QueueArn"]), Attributes: subscription,
		}); err != nil {
			return FanOut{}, fmt.Errorf("subscribe %s: %w", c.Name, err)
		}
		f.QueueURLs[c.Name] = *q.QueueUrl
	}
	return f, nil
}

func ptr(s string) *string { return &s }
