package orderevents

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/example/scalable-web/internal/schema"
)

// Consumer is one subscriber of the fan-out: a queue that receives Types, drained
// by the function built from lambdas/<Name>.
type Consumer struct {
	// Name names the queue, the function's folder under lambdas/ and its metrics.
	Name string
	// Types are the event types it receives; nil means every type.
	Types []Type
	// Description says what it does; it becomes the function's description.
	Description string
	// DatabaseRole is the PostgreSQL role its login belongs to (internal/schema), or
	// "" for a consumer that never touches the database: it then runs outside the
	// VPC and gets no login.
	DatabaseRole string
}

// Consumers is the fan-out, one row per consumer, in a stable order. The
// infrastructure builds each queue, filter policy, function and event source from
// it, and the local run and the tests subscribe the same queues with the same
// filters, so the contract and the wiring cannot drift apart.
var Consumers = []Consumer{
	{Name: "analytics", Description: "Archives every order event to S3 for Athena"},
	{Name: "inventory", Types: []Type{OrderPlaced, OrderCancelled}, Description: "Takes and gives back stock for order events", DatabaseRole: schema.InventoryRole},
	{Name: "notifications", Types: []Type{OrderPlaced}, Description: "Emails customers about their orders", DatabaseRole: schema.NotificationsRole},
}

// ConsumerNames lists the consumers' names, in the order of Consumers.
func ConsumerNames() []string {
	names := make([]string, len(Consumers))
	for i, c := range Consumers {
		names[i] = c.Name
	}
	return names
}

// FilterPolicy is the SNS filter policy (on message attributes) of the consumer's
// subscription, or "" when it receives every event.
func (c Consumer) FilterPolicy() string {
	if c.Types == nil {
		return ""
	}
	b, _ := json.Marshal(map[string][]Type{TypeAttribute: c.Types})
	return string(b)
}

// ConsumerNamed returns the consumer with that name.
func ConsumerNamed(name string) (Consumer, bool) {
	i := slices.IndexFunc(Consumers, func(c Consumer) bool { return c.Name == name })
	if i < 0 {
		return Consumer{}, false
	}
	return Consumers[i], true
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
