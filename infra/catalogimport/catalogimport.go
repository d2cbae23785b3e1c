// Package catalogimport builds the function that loads a catalog file into a
// deployed stage (make catalog-import STAGE=…): lambdas/catalogimport in the
// application subnets, logged in to the writer as the catalog's own role,
// reading only the files uploaded under the import prefix, dropping changed
// products from the cache. Nothing routes to it: no URL, no API route, no event
// source; a caller needs IAM's lambda:InvokeFunction on it.
package catalogimport

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/grant"
	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/envnames"
)

// Props configure the import.
type Props struct {
	// Function is the function's settings (package, VPC, logs); the construct
	// sets its environment, timeout, memory and errors alarm.
	Function gofunction.Props
	// Files is the bucket imports are uploaded to; the function reads only under
	// catalog.ImportPrefix.
	Files awss3.IBucket
	// Database is the function's own login (the catalog role's secret) and the
	// database it reaches.
	Database grant.Database
	// WriterHost is the primary's endpoint, which the function connects to.
	WriterHost string
	// Cache is what the function drops changed products from: its reach, port,
	// primary endpoint, and the secret of its AUTH token (on Database.SecretsKey).
	Cache Cache
	// After is what the function must wait for: the schema migration that makes
	// its role.
	After constructs.IDependable
}

// Cache is the cache the import tells.
type Cache struct {
	// Reach admits the function on Port.
	Reach awsec2.IConnectable
	Port  int
	// Host is the cache's primary endpoint, spoken to over TLS.
	Host string
	// AuthToken is the secret of the cache's AUTH token.
	AuthToken awssecretsmanager.ISecret
}

// CatalogImport is the import function.
type CatalogImport struct {
	constructs.Construct
	Function *gofunction.Function
}

// memoryMiB is the function's memory, 512 MiB, and with it about a third of a
// vCPU for parsing the CSV and copying it: the file streams, so memory holds
// only the SKUs seen (about 30 MB per 100,000 rows). Its timeout is
// catalog.ImportTimeout, which the CLI outwaits.
const memoryMiB = 512

// New creates the function and its grants.
func New(scope constructs.Construct, id string, props Props) *CatalogImport {
	this := constructs.NewConstruct(scope, jsii.String(id))
	fn := props.Function
	env := map[string]string{
		envnames.CatalogImportBucket: *props.Files.BucketName(),
		envnames.DBSecretARN:         *props.Database.Login.SecretArn(),
		envnames.DBWriterHost:        props.WriterHost,
		envnames.RedisAddr:           fmt.Sprintf("%s:%d", props.Cache.Host, props.Cache.Port),
		envnames.RedisTLS:            "true",
		envnames.RedisAuthSecretARN:  *props.Cache.AuthToken.SecretArn(),
	}
	for k, v := range fn.Environment {
		env[k] = v
	}
	fn.Environment = env
	fn.Timeout, fn.MemoryMiB = int(catalog.ImportTimeout.Seconds()), memoryMiB
	fn.ErrorAlarmPeriods = 1 // a person ran it: one failure is news
	fn.InvokedBy = "make catalog-import STAGE=... (cmd/catalog-import)"
	fn.ConcurrencyReason = "Imports run one at a time: each takes a transaction-level advisory lock in the database first, and one started meanwhile is answered at once that another is running, so the stage's connection budget counts one import connection."

	fn.ErrorAlarmDescription = "A catalog import failed and loaded nothing (make catalog-import printed why; the function's log has the rest)"
	c := &CatalogImport{Construct: this, Function: gofunction.New(this, "Function", fn)}
	f := c.Function.Function
	grant.ReachDatabase(f, props.Database)
	f.Connections().AllowTo(props.Cache.Reach, awsec2.Port_Tcp(jsii.Number(props.Cache.Port)), jsii.String(*f.Node().Path()))
	grant.ReadSecret(f, props.Cache.AuthToken, props.Database.SecretsKey)
	grant.ReadUnder(f, grant.BucketPrefix{Bucket: props.Files, Prefix: catalog.ImportPrefix})
	if props.After != nil {
		f.Node().AddDependency(props.After)
	}
	return c
}
