// Command migrate is the deploy-time schema migration: a CloudFormation custom
// resource runs it on every deploy whose migrations or login secrets changed,
// before any code that needs the new schema, and the deploy fails (and rolls back)
// if it fails. As the master user, it applies the migrations, then makes each
// component's user (named in its secret) able to log in as a member of its role.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/example/scalable-web/internal/connbudget"
	"github.com/example/scalable-web/internal/envnames"
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
	sm := secretsmanager.NewFromConfig(aws)
	pool, err := pg.OpenFromSecret(ctx, sm, os.Getenv(envnames.DBSecretARN), "", pg.VerifyFull, connbudget.Migration, pg.MigrationLimits)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	version, err := schema.Migrate(ctx, sqlDB)
	if err != nil {
		return 0, err
	}
	logins, err := readLogins(ctx, sm, os.Getenv(envnames.LoginSecrets))
	if err != nil {
		return 0, err
	}
	return version, schema.ProvisionLogins(ctx, sqlDB, logins)
}

// readLogins reads the components' secrets, named by a JSON object of role to
// secret ARN, as they are now.
func readLogins(ctx context.Context, sm pg.SecretReader, secrets string) ([]schema.Login, error) {
	var arns map[string]string
	if err := json.Unmarshal([]byte(secrets), &arns); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object of role to secret ARN: %w", envnames.LoginSecrets, err)
	}
	var logins []schema.Login
	for _, role := range schema.Roles {
		arn, ok := arns[role]
		if !ok {
			return nil, fmt.Errorf("%s: no secret for role %s", envnames.LoginSecrets, role)
		}
		s, err := (&pg.SecretSource{SM: sm, ARN: arn}).Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("login of %s: %w", role, err)
		}
		logins = append(logins, schema.Login{Role: role, Username: s.Username, Password: s.Password})
	}
	return logins, nil
}
