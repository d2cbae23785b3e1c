package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/testdb"
)

// TestReportFromTheReplica writes orders on the primary, reads them back from the
// streaming replica as the job does in AWS, and publishes the summary through SNS
// (goaws) to a queue, where it arrives.
func TestReportFromTheReplica(t *testing.T) {
	db := testdb.New(t)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	seedDay(t, db, day)
	db.WaitForReplica(t)

	ctx := context.Background()
	endpoint := testdb.Env(t, "SHOP_TEST_AWS_ENDPOINT")
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	snsClient := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = &endpoint })
	sqsClient := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = &endpoint })
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("reports-" + db.Name)})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("reports-" + db.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:100010001000:reports-" + db.Name), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}

	store := memoryStore{}
	job := Job{Sales: PostgresSales{DB: db.PoolAs(t, schema.ReportRole, true)}, Store: store, Notifier: SNSNotifier{Client: snsClient, TopicARN: *topic.TopicArn}, Zone: time.UTC, Log: quiet}
	r, err := job.Run(ctx, Request{Date: "2026-11-22"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Orders != 2 || r.Units != 6 || r.Products[0].Name != "toothbrushes" || r.Products[0].Units != 5 {
		t.Errorf("got %+v, want 2 orders, 6 items, toothbrushes first with 5", r)
	}
	want := "Sold 5 toothbrushes on 2026-11-22 (UTC): 6 items in 2 orders, $34.94 in all."
	out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || *out.Messages[0].Body != want {
		t.Errorf("the reports topic delivered %v, want %q", out.Messages, want)
	}
}

// seedDay places, on the primary, two orders on day (5 toothbrushes and a kettle),
// a cancelled one that day, and one on each neighbouring day: the day's report
// says "Sold 5 toothbrushes on <day> (UTC): 6 items in 2 orders, $34.94 in all."
func seedDay(t *testing.T, db *testdb.DB, day time.Time) {
	t.Helper()
	db.Exec(t, `INSERT INTO products (sku, name, price_cents) VALUES ('TB-1', 'toothbrushes', 299), ('KT-1', 'kettles', 1999)`)
	for i, o := range []struct {
		at     time.Time
		status string
		lines  [][2]int // product, quantity
	}{
		{day.Add(9 * time.Hour), "placed", [][2]int{{1, 3}, {2, 1}}},
		{day.Add(23 * time.Hour), "placed", [][2]int{{1, 2}}},
		{day.Add(12 * time.Hour), "cancelled", [][2]int{{2, 5}}}, // not a sale
		{day.Add(-1 * time.Hour), "placed", [][2]int{{2, 9}}},    // the day before
		{day.Add(24 * time.Hour), "placed", [][2]int{{2, 9}}},    // the day after
	} {
		id := []string{"a", "b", "c", "d", "e"}[i]
		orderID := "00000000-0000-0000-0000-00000000000" + id
		db.Exec(t, `INSERT INTO orders (id, customer_email, status, total_cents, created_at) VALUES ($1, 'x@example.com', $2, 0, $3)`, orderID, o.status, o.at)
		for n, l := range o.lines {
			db.Exec(t, `INSERT INTO order_lines (order_id, line, product_id, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, (SELECT price_cents FROM products WHERE id = $3))`, orderID, n+1, l[0], l[1])
		}
	}
}
