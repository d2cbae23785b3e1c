// Command dailyreport runs on a schedule: it reads yesterday's orders from a read
// replica (the reader name), writes a JSON report to REPORTS_BUCKET and publishes a
// one-line summary to REPORTS_TOPIC_ARN, whose subscribers get it by email.
// `dailyreport local` runs the same report against a local database instead
// (make report-local; see runLocal).
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/example/scalable-web/internal/connbudget"
	"github.com/example/scalable-web/internal/emf"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/pg"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == localCommand {
		os.Exit(runLocal(os.Args[2:], os.Stdout, os.Stderr, time.Now))
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()
	zone, err := time.LoadLocation(os.Getenv(envnames.ReportTimeZone))
	if err != nil {
		log.Error(envnames.ReportTimeZone, slog.String("error", err.Error()))
		os.Exit(1)
	}
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("aws config", slog.String("error", err.Error()))
		os.Exit(1)
	}
	// The reader name is a CNAME the RDS certificate does not name: verify the chain.
	pool, err := pg.OpenFromSecret(ctx, secretsmanager.NewFromConfig(aws), os.Getenv(envnames.DBSecretARN), os.Getenv(envnames.DBReaderHost), pg.VerifyCA, connbudget.Report, pg.ReportLimits)
	if err != nil {
		log.Error("database", slog.String("error", err.Error()))
		os.Exit(1)
	}
	job := Job{
		Sales:    PostgresSales{DB: pool},
		Store:    S3Store{Client: s3.NewFromConfig(aws), Bucket: os.Getenv(envnames.ReportsBucket)},
		Notifier: SNSNotifier{Client: sns.NewFromConfig(aws), TopicARN: os.Getenv(envnames.ReportsTopicARN)},
		Zone:     zone,
		Now:      time.Now,
		Log:      log,
		Metrics:  &emf.Recorder{Out: os.Stdout, Namespace: os.Getenv(envnames.MetricsNamespace), Service: emf.ServiceDailyReport},
	}
	lambda.Start(job.Run)
}
