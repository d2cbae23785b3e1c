package orderevents

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// Subscribers are the queues of the fan-out and the event types each receives; nil
// means every type. The infrastructure builds its SNS filter policies from this, so
// the contract and the wiring cannot drift apart.
var Subscribers = map[string][]Type{
	"inventory":     {OrderPlaced, OrderCancelled},
	"notifications": {OrderPlaced},
	"analytics":     nil,
}

// SubscriberNames lists Subscribers in a stable order.
func SubscriberNames() []string {
	names := make([]string, 0, len(Subscribers))
	for name := range Subscribers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// FilterPolicy is the SNS filter policy (on message attributes) of a subscriber, or
// "" when it receives every event.
func FilterPolicy(subscriber string) string {
	types := Subscribers[subscriber]
	if types == nil {
		return ""
	}
	b, _ := json.Marshal(map[string][]Type{TypeAttribute: types})
	return string(b)
}

// Publisher publishes to SNS; *sns.Client is one.
type Publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Publish sends e to the topic with its type as the eventType attribute, which the
// subscriptions' filter policies match. optFns change the call, e.g. WithTraceHeader.
func Publish(ctx context.Context, client Publisher, topicARN string, e Event, optFns ...func(*sns.Options)) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.EventID, err)
	}
	message, eventType := string(body), string(e.Type)
	dataType := "String"
	_, err = client.Publish(ctx, &sns.PublishInput{
		TopicArn: &topicARN,
		Message:  &message,
		MessageAttributes: map[string]types.MessageAttributeValue{
			TypeAttribute: {DataType: &dataType, StringValue: &eventType},
		},
	}, optFns...)
	if err != nil {
		return fmt.Errorf("publish event %s: %w", e.EventID, err)
	}
	return nil
}
