package orderevents_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/testdb"
)

// localAWS returns SNS and SQS clients for goaws on loopback (scripts/services.sh).
func localAWS(t *testing.T) (*sns.Client, *sqs.Client) {
	t.Helper()
	endpoint := testdb.Env(t, "SHOP_TEST_AWS_ENDPOINT")
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = &endpoint }),
		sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = &endpoint })
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestFanOut publishes with the project's own Publish to a topic subscribed the way
// the infrastructure subscribes the queues (raw delivery, the same filter policies)
// and checks what each queue receives.
func TestFanOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snsClient, sqsClient := localAWS(t)
	run := suffix()

	fanOut, err := orderevents.BuildFanOut(ctx, snsClient, sqsClient, "-"+run)
	if err != nil {
		t.Fatal(err)
	}

	placed := event(orderevents.OrderPlaced, "00000000-0000-0000-0000-0000000000a1")
	cancelled := event(orderevents.OrderCancelled, "00000000-0000-0000-0000-0000000000a2")
	for _, e := range []orderevents.Event{placed, cancelled} {
		if err := orderevents.Publish(ctx, snsClient, fanOut.TopicARN, e); err != nil {
			t.Fatal(err)
		}
	}

	// What each consumer should receive, derived from its row in the contract: a
	// new consumer is tested here without an edit.
	for _, c := range orderevents.Consumers {
		var want []string
		for _, e := range []orderevents.Event{placed, cancelled} {
			if c.Types == nil || slices.Contains(c.Types, e.Type) {
				want = append(want, e.EventID)
			}
		}
		slices.Sort(want)
		got := receive(ctx, t, sqsClient, fanOut.QueueURLs[c.Name], len(want))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s received events %v, want %v", c.Name, got, want)
		}
	}
}

func event(typ orderevents.Type, id string) orderevents.Event {
	return orderevents.Event{
		EventID: id, Type: typ, OccurredAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		OrderID: "00000000-0000-0000-0000-0000000000b1", CustomerEmail: "buyer@example.com",
		Lines: []orderevents.Line{{ProductID: 1, Quantity: 2, UnitPriceCents: 299}}, TotalCents: 598,
	}
}

// receive reads until want messages arrived and a further poll finds nothing more,
// parsing each body as the consumers do: raw delivery must leave it untouched.
func receive(ctx context.Context, t *testing.T, client *sqs.Client, url string, want int) []string {
	t.Helper()
	var ids []string
	for empty := 0; empty < 3 && ctx.Err() == nil; {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			if len(ids) >= want {
				empty++
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for _, m := range out.Messages {
			e, err := orderevents.Parse([]byte(*m.Body))
			if err != nil {
				t.Errorf("body not a raw event: %v: %s", err, *m.Body)
				continue
			}
			ids = append(ids, e.EventID)
			_, _ = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return ids
}
