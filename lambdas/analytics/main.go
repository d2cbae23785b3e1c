// Command analytics consumes every order event from its SQS queue and archives it in
// the S3 bucket EVENTS_BUCKET as JSON Lines under events/year=/month=/day=/, ready
// for Athena.
package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/envnames"
)

// S3Archive puts objects into one bucket.
type S3Archive struct {
	Client interface {
		PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	}
	Bucket string
}

// Put stores body under key.
func (a S3Archive) Put(ctx context.Context, key string, body []byte) error {
	contentType := "application/x-ndjson"
	if _, err := a.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: &a.Bucket, Key: &key, Body: bytes.NewReader(body), ContentType: &contentType}); err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("aws config", slog.String("error", err.Error()))
		os.Exit(1)
	}
	archive := S3Archive{Client: s3.NewFromConfig(aws), Bucket: os.Getenv(envnames.EventsBucket)}
	lambda.Start(Handler{Archive: archive, Log: log,
		Metrics: &emf.Recorder{Out: os.Stdout, Namespace: os.Getenv(envnames.MetricsNamespace), Service: "analytics"}}.Handle)
}
