// Command fanout creates the order-event fan-out of internal/orderevents on a local
// SNS and SQS endpoint (goaws), as the events stack does in AWS, and prints the
// topic's ARN. make run-local uses it:
//
//	go run ./cmd/fanout -endpoint http://127.0.0.1:4100
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/example/scalable-web/internal/orderevents"
)

func main() {
	endpoint := flag.String("endpoint", "", "the SNS and SQS endpoint, e.g. http://127.0.0.1:4100")
	flag.Parse()
	if *endpoint == "" {
		fmt.Fprintln(os.Stderr, "error: -endpoint is required (goaws on loopback)")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	f, err := orderevents.BuildFanOut(ctx,
		sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = endpoint }),
		sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = endpoint }), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Println(f.TopicARN)
}
