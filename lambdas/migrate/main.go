// Command migrate is the deploy-time schema migration: a CloudFormation custom
// resource runs it on every deploy whose migrations changed, before any code that
// needs the new schema, and the deploy fails (and rolls back) if it fails.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/schema"
)

// physicalID never changes, so an update never makes CloudFormation delete the old
// resource (and a delete does nothing: the schema stays with the data).
const physicalID = "shop-schema"

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	lambda.Start(cfn.LambdaWrap(func(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
		if event.RequestType == cfn.RequestDelete {
			return physicalID, nil, nil
		}
		version, err := migrate(ctx)
		if err != nil {
			log.ErrorContext(ctx, "migration failed", slog.String("error", err.Error()))
			return physicalID, nil, err
		}
		log.InfoContext(ctx, "schema migrated", slog.Int64("version", version), slog.String("fingerprint", schema.Fingerprint()))
		return physicalID, map[string]any{"Version": version}, nil
	}))
}

func migrate(ctx context.Context) (int64, error) {
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return 0, fmt.Errorf("aws config: %w", err)
	}
	pool, err := pg.OpenFromSecret(ctx, secretsmanager.NewFromConfig(aws), os.Getenv("DB_SECRET_ARN"), "", pg.VerifyFull, 1, pg.MigrationLimits)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	return schema.Migrate(ctx, sqlDB)
}
