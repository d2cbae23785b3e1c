// Command notifications consumes order events from its SQS queue and emails the
// customer through Amazon SES v2 from SENDER_EMAIL. A stage without a sender logs
// each message it would have sent instead, and says so at start.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/example/scalable-web/internal/connbudget"
	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/pg"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("aws config", slog.String("error", err.Error()))
		os.Exit(1)
	}
	pool, err := pg.OpenFromSecret(ctx, secretsmanager.NewFromConfig(aws), os.Getenv(envnames.DBSecretARN), os.Getenv(envnames.DBWriterHost), pg.VerifyFull, connbudget.Consumer, pg.ConsumerLimits)
	if err != nil {
		log.Error("database", slog.String("error", err.Error()))
		os.Exit(1)
	}
	var sender Sender = LogSender{Log: log}
	if from := os.Getenv(envnames.SenderEmail); from != "" {
		sender = SESSender{Client: sesv2.NewFromConfig(aws), From: from}
	} else {
		log.Warn("SENDER_EMAIL is empty: messages are logged, not sent")
	}
	lambda.Start(Handler{Sender: sender, Once: PostgresOnce{DB: pool}, Log: log,
		Metrics: &emf.Recorder{Out: os.Stdout, Namespace: os.Getenv(envnames.MetricsNamespace), Service: "notifications"}}.Handle)
}
