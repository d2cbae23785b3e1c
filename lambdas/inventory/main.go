// Command inventory consumes order events from its SQS queue and keeps the stock in
// PostgreSQL: an order takes its items, a cancellation gives them back, and an order
// that would make stock negative is recorded in stock_shortages instead of retried.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

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
	lambda.Start(Handler{Stock: PostgresStock{DB: pool}, Log: log,
		Metrics: &emf.Recorder{Out: os.Stdout, Namespace: os.Getenv(envnames.MetricsNamespace), Service: "inventory"}}.Handle)
}
