// Command failover is the Go step of the prod stage's AWS ARC Region switch plan:
// the plan runs it in the region it activates, the standby, after approval and
// after scaling the standby up, for what the plan has no block of its own for.
//
// In order, each step looking first at what is already done:
//  1. the standby's cross-region read replica must be available (or be promoted
//     already: then it goes on at 4);
//  2. its ReplicaLag must be at most FAILOVER_MAX_LAG_SECONDS, unless an operator
//     has accepted the data loss in the FAILOVER_OVERRIDE_PARAMETER parameter;
//  3. it promotes the replica and returns "in progress": promotion takes minutes,
//     and ARC runs the step again every RetryIntervalMinutes until it succeeds;
//  4. the secret replicas become standalone here, and the database logins among
//     them point at the promoted instance;
//  5. the consumers that write, whose event source mappings were created
//     disabled, are enabled;
//  6. where the stage has a domain, the old primary region's Route 53 health
//     check is made to fail for good, so that DNS sends reads and writes here
//     even once that region answers again (undone by hand to fail back).
//
// A run that fails or finds work in progress returns an error and the next run
// resumes where it stopped; the run that finds everything done returns a Summary.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx := context.Background()
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("aws config", slog.String("error", err.Error()))
		os.Exit(1)
	}
	cfg, err := LoadConfig(aws.Region, os.Getenv)
	if err != nil {
		log.Error("configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(Failover{
		Config:     cfg,
		DB:         rds.NewFromConfig(aws),
		Metrics:    cloudwatch.NewFromConfig(aws),
		Parameters: ssm.NewFromConfig(aws),
		Secrets:    secretsmanager.NewFromConfig(aws),
		Mappings:   awslambda.NewFromConfig(aws),
		Checks:     route53.NewFromConfig(aws),
		Now:        time.Now,
		Log:        log,
	}.Handle)
}
