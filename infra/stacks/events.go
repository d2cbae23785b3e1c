package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/cache"
	"github.com/example/scalable-web/infra/catalogimport"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/consumer"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/grant"
	"github.com/example/scalable-web/infra/messaging"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/infra/report"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// Events is the stateless stack of asynchronous work: the schema migration, the
// order-event fan-out and its consumers, the daily report, and the catalog import.
type Events struct {
	awscdk.Stack
	Migration     *gofunction.Function
	Schema        awscdk.CustomResource
	Messaging     *messaging.Messaging
	Consumers     map[string]*gofunction.Function
	Report        *report.Report
	CatalogImport *catalogimport.CatalogImport
}

// NewEvents creates the events stack on top of the stateful one.
func NewEvents(scope constructs.Construct, id string, cfg config.Config, sourceDir string, stateful *Stateful) *Events {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Events: schema migration, order-event fan-out and consumers, daily report, catalog import"))
	// Said up front, so that grants on the stateful stack's KMS keys name the account
	// in the key policy instead of this stack's roles, which would make a cycle.
	stack.AddStackDependency(stateful.Stack, jsii.String("references the network, database and buckets"))
	e := &Events{Stack: stack, Consumers: map[string]*gofunction.Function{}}
	w := eventsWiring{cfg: cfg, sourceDir: sourceDir, stack: stack,
		Regional: stateful.Regional, db: stateful.Database, logins: stateful.Database.Logins}
	e.Migration, e.Schema = w.schema()
	e.Messaging = messaging.New(stack, "Messaging", messaging.Props{
		Subscribers:               subscribers(cfg),
		FilterAttribute:           orderevents.TypeAttribute,
		MaxReceiveCount:           cfg.Messaging.MaxReceiveCount,
		OldestMessageAlarmSeconds: cfg.Messaging.OldestMessageAlarmSeconds,
		RemovalPolicy:             removal.Policy(cfg.RemovalPolicy),
	})
	for _, c := range orderevents.Consumers {
		e.Consumers[c.Name], _ = consumer.New(stack, consumerID(c.Name), w.consumer(c, e.Messaging.Queues[c.Name], e.Schema))
	}
	// An entry of consumerExtras for a consumer renamed or removed from the
	// contract would be skipped without a word: it stops synth instead.
	for _, name := range slices.Sorted(maps.Keys(consumerExtras)) {
		if _, ok := orderevents.ConsumerNamed(name); !ok {
			awscdk.Annotations_Of(stack).AddError(jsii.String(fmt.Sprintf("consumerExtras[%q] names no consumer of orderevents.Consumers (%s)", name, strings.Join(orderevents.ConsumerNames(), ", "))))
		}
	}
	e.Report = report.New(stack, "DailyReport", w.report(e.Messaging.TopicKey))
	e.CatalogImport = catalogimport.New(stack, "CatalogImport", w.catalogImport(e.Schema))
	output(stack, stackoutputs.CatalogImportBucket.Key, stateful.Storage.Imports.BucketName(), "The bucket make catalog-import STAGE=… uploads catalog files to")
	output(stack, stackoutputs.CatalogImportFunction.Key, e.CatalogImport.Function.Function.FunctionName(), "The function make catalog-import STAGE=… invokes to load an uploaded file")
	output(stack, stackoutputs.CatalogImportKeyArn.Key, stateful.Storage.ImportsKey.KeyArn(), "The key the import bucket encrypts uploads with: an importer's IAM policy allows kms:GenerateDataKey on it")
	topic := stateful.AlarmTopic.Topic
	alarms.Notify(topic, e.Messaging.Alarms...)
	alarms.Notify(topic, e.Report.Alarms...)
	for _, fn := range e.Functions() {
		alarms.Notify(topic, fn.Alarms...)
	}
	return e
}

// eventsWiring reads what the events stack's constructs need from the stage's
// configuration and its region's stateful pieces: the primary's, or the
// standby's (its replica, and the replicas of the logins' secrets).
type eventsWiring struct {
	cfg       config.Config
	sourceDir string
	stack     awscdk.Stack
	Regional
	db     *database.Database
	logins map[string]awssecretsmanager.ISecret // by database role
}

// function is a Go function of lambdas/ with the stage's settings, in the
// application subnets when it reaches the database.
func (w eventsWiring) function(pkg, description string, env map[string]string, inVPC bool) gofunction.Props {
	p := gofunction.Props{
		SourceDir: w.sourceDir, Package: pkg, Description: description, Environment: env,
		Timeout: w.cfg.Messaging.ConsumerTimeoutSeconds, LogRetentionDays: w.cfg.Messaging.LogRetentionDays,
		RemovalPolicy: removal.Policy(w.cfg.RemovalPolicy), LogsKey: w.LogsKey,
		Tracing: w.cfg.Ops.Tracing, MetricsNamespace: w.cfg.Prefix,
	}
	if inVPC {
		p.Vpc, p.Subnets = w.Network.Vpc, w.Network.App
	}
	return p
}

// login is what a function needs to log in as one of the database's secrets.
func (w eventsWiring) login(secret awssecretsmanager.ISecret) grant.Database {
	return grant.Database{Login: secret, SecretsKey: w.SecretsKey, Reach: w.db.Connections(), Port: database.Port}
}

// schema is the migration function and the custom resource that runs it: the
// migrations, and each component's user made from its secret, whenever either
// changes. The consumers wait for it, so no code runs against an older schema.
func (w eventsWiring) schema() (*gofunction.Function, awscdk.CustomResource) {
	db := w.db
	loginARNs := map[string]string{}
	for role, secret := range db.Logins {
		loginARNs[role] = *secret.SecretArn()
	}
	loginsJSON, err := json.Marshal(loginARNs)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	props := w.function("./lambdas/migrate", "Applies the database migrations and creates the login users of the components at deploy time",
		map[string]string{envnames.DBSecretARN: *db.Secret.SecretArn(), envnames.LoginSecrets: string(loginsJSON)}, true)
	props.Timeout = migrationTimeoutSeconds
	migration := gofunction.New(w.stack, "Migration", props)
	// The migration logs in as the admin, and reads every component's login to set
	// its password.
	grant.ReachDatabase(migration.Function, w.login(db.Secret))
	for _, role := range schema.Roles {
		grant.ReadSecret(migration.Function, db.Logins[role], w.SecretsKey)
	}
	return migration, awscdk.NewCustomResource(w.stack, jsii.String("Schema"), &awscdk.CustomResourceProps{
		ServiceToken: migration.Function.FunctionArn(),
		ResourceType: jsii.String("Custom::Schema"),
		Properties:   &map[string]any{"Fingerprint": schema.Fingerprint(), "Logins": string(loginsJSON)},
	})
}

// migrationTimeoutSeconds bounds a deploy's migration: long enough for an index
// built on a large table, short of CloudFormation's custom-resource hour.
const migrationTimeoutSeconds = 300

// subscribers are the queues of the order-event fan-out: one per consumer of
// the contract, with the event types its filter lets through.
func subscribers(cfg config.Config) []messaging.Subscriber {
	out := make([]messaging.Subscriber, 0, len(orderevents.Consumers))
	for _, c := range orderevents.Consumers {
		var types []string
		for _, t := range c.Types {
			types = append(types, string(t))
		}
		out = append(out, messaging.Subscriber{Name: c.Name, EventTypes: types, VisibilityTimeoutSeconds: 6 * cfg.Messaging.ConsumerTimeoutSeconds})
	}
	return out
}

// consumer wires one row of the contract (orderevents.Consumers): its queue, the
// function from lambdas/<name>, its database login if it has a role, and what
// consumerExtras add.
func (w eventsWiring) consumer(c orderevents.Consumer, queue awssqs.IQueue, after constructs.IDependable) consumer.Props {
	db := w.db
	props := consumer.Props{
		Function:       w.function("./lambdas/"+c.Name, c.Description, map[string]string{}, c.DatabaseRole != ""),
		Queue:          queue,
		MaxConcurrency: w.cfg.Messaging.ConsumerConcurrency,
		After:          after,
	}
	if c.DatabaseRole != "" {
		login := w.logins[c.DatabaseRole]
		props.Function.Environment[envnames.DBSecretARN] = *login.SecretArn()
		props.Function.Environment[envnames.DBWriterHost] = *db.WriterEndpoint
		access := w.login(login)
		props.Database = &access
	}
	if extra, ok := consumerExtras[c.Name]; ok {
		extra(w, &props)
	}
	return props
}

// consumerExtras add what a consumer needs beyond its queue and its database
// login: the environment and grants of its own resources. A consumer without an
// entry needs none.
var consumerExtras = map[string]func(eventsWiring, *consumer.Props){
	"analytics": func(w eventsWiring, p *consumer.Props) {
		events := w.Storage.Events
		p.Function.Environment[envnames.EventsBucket] = *events.BucketName()
		p.Writes = &grant.BucketPrefix{Bucket: events, Prefix: "events/"}
		// The data key admits the archive's writer by its role's name.
		p.Function.RoleName = dataWriterRole(w.stack, w.cfg, "analytics")
	},
	"notifications": func(w eventsWiring, p *consumer.Props) {
		sender := w.cfg.Messaging.SenderEmail
		p.Function.Environment[envnames.SenderEmail] = sender
		p.SendsEmailAs = sender
		if sender == "" {
			p.Function.Description += " (no SES sender in this stage: logs the messages instead)"
		}
	},
}

// report is the daily report: its function reads a replica and writes under
// reports/ of the reports bucket, whose key admits it by its role's name.
func (w eventsWiring) report(key awskms.IKey) report.Props {
	db, reports := w.db, w.Storage.Reports
	login := w.logins[schema.ReportRole]
	fn := w.function("./lambdas/dailyreport", "Reports the sales of the day before from a read replica",
		map[string]string{envnames.DBSecretARN: *login.SecretArn(), envnames.DBReaderHost: db.ReaderName, envnames.ReportsBucket: *reports.BucketName()}, true)
	fn.RoleName = dataWriterRole(w.stack, w.cfg, "dailyreport")
	return report.Props{
		Function:      fn,
		Schedule:      w.cfg.Report.Schedule,
		TimeZone:      w.cfg.Report.TimeZone,
		RetryAttempts: w.cfg.Report.RetryAttempts,
		Emails:        w.cfg.Report.Emails,
		Key:           key,
		Database:      w.login(login),
		Writes:        grant.BucketPrefix{Bucket: reports, Prefix: "reports/"},
	}
}

// catalogImport is the catalog import: its function logs in to the writer as the
// catalog's role once the schema that makes the role is migrated, reads the
// import bucket's uploads, and tells the cache.
func (w eventsWiring) catalogImport(after constructs.IDependable) catalogimport.Props {
	kv := w.Cache
	return catalogimport.Props{
		Function:   w.function("./lambdas/catalogimport", "Loads an uploaded catalog file into the database and drops changed products from the cache (make catalog-import STAGE=...)", map[string]string{}, true),
		Files:      w.Storage.Imports,
		Database:   w.login(w.logins[schema.CatalogRole]),
		WriterHost: *w.db.WriterEndpoint,
		Cache:      catalogimport.Cache{Reach: kv.Connections(), Port: cache.Port, Host: *kv.PrimaryEndpoint, AuthToken: kv.AuthToken},
		After:      after,
	}
}

// Functions lists the stack's Go functions: the migration, the daily report, the
// catalog import, then the consumers in the contract's order.
func (e *Events) Functions() []*gofunction.Function {
	fns := []*gofunction.Function{e.Migration, e.Report.Function, e.CatalogImport.Function}
	for _, name := range orderevents.ConsumerNames() {
		fns = append(fns, e.Consumers[name])
	}
	return fns
}

// consumerID is the construct ID of a subscriber's function, e.g. "InventoryConsumer".
func consumerID(name string) string {
	return string(name[0]-'a'+'A') + name[1:] + "Consumer"
}
