// Command catalogimport loads a catalog import file into a deployed stage: make
// catalog-import STAGE=… uploads the file to CATALOG_IMPORT_BUCKET and invokes
// this function with its key (catalog.ImportRequest). It logs in to the writer as
// the catalog's own role (shop_catalog), streams the object into one transaction
// (catalog.Load: every row checked, all or nothing, idempotent), then drops the
// changed products from the cache (TLS and the AUTH token, as the service) and
// answers catalog.ImportAnswer. No URL or route reaches it: only a caller allowed
// lambda:InvokeFunction on it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/example/scalable-web/internal/cacheclient"
	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/connbudget"
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
	secrets := secretsmanager.NewFromConfig(aws)
	pool, err := pg.OpenFromSecret(ctx, secrets, os.Getenv(envnames.DBSecretARN), os.Getenv(envnames.DBWriterHost), pg.VerifyFull, connbudget.CatalogImport, pg.ImportLimits)
	if err != nil {
		log.Error("database", slog.String("error", err.Error()))
		os.Exit(1)
	}
	cache, err := cacheclient.Connect(ctx, cacheOptions(os.Getenv(envnames.RedisAddr)), os.Getenv(envnames.RedisTLS) == "true", secrets, os.Getenv(envnames.RedisAuthSecretARN))
	if err != nil {
		log.Error("cache", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(Handler{
		Objects: S3Objects{Client: s3.NewFromConfig(aws), Bucket: os.Getenv(envnames.CatalogImportBucket)},
		DB:      pool,
		Cache:   catalog.RedisCache{Client: cache},
		Log:     log,
	}.Handle)
}
