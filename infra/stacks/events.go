package stacks

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/batch"
	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/consumer"
	"github.com/example/scalable-web/infra/database"
	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/infra/grant"
	"github.com/example/scalable-web/infra/messaging"
	"github.com/example/scalable-web/infra/ops"
	"github.com/example/scalable-web/infra/removal"
	"github.com/example/scalable-web/internal/envnames"
	"github.com/example/scalable-web/internal/orderevents"
	"github.com/example/scalable-web/internal/schema"
)

// Events is the stateless stack of asynchronous work: the schema migration, the
// order-event fan-out and its consumers, and the daily report.
type Events struct {
	awscdk.Stack
	Migration *gofunction.Function
	Schema    awscdk.CustomResource
	Messaging *messaging.Messaging
	Consumers map[string]*gofunction.Function
	Report    *batch.Batch
}

// NewEvents creates the events stack on top of the stateful one.
func NewEvents(scope constructs.Construct, id string, cfg config.Config, sourceDir string, stateful *Stateful) *Events {
	stack := awscdk.NewStack(scope, jsii.String(id), stackProps(cfg, "Events: schema migration, order-event fan-out and consumers, daily report"))
	// Said up front, so that grants on the stateful stack's KMS keys name the account
	// in the key policy instead of this stack's roles, which would make a cycle.
	stack.AddStackDependency(stateful.Stack, jsii.String("references the network, database and buckets"))
	e := &Events{Stack: stack, Consumers: map[string]*gofunction.Function{}}
	db, net, data := stateful.Database, stateful.Network, stateful.Storage
	policy := removal.Policy(cfg.RemovalPolicy)
	function := func(pkg, description string, env map[string]string, inVPC bool) gofunction.Props {
		p := gofunction.Props{
			SourceDir: sourceDir, Package: pkg, Description: description, Environment: env,
			Timeout: cfg.Messaging.ConsumerTimeoutSeconds, LogRetentionDays: cfg.Messaging.LogRetentionDays, RemovalPolicy: policy, LogsKey: stateful.LogsKey,
			Tracing: cfg.Ops.Tracing, MetricsNamespace: cfg.Prefix,
		}
		if inVPC {
			p.Vpc, p.Subnets = net.Vpc, net.App
		}
		return p
	}
	// reachDatabase lets a function read one secret (its own login's; the migration's is
	// the admin's) and reach PostgreSQL. The rule is said from the function's side,
	// so the CDK keeps both halves (its egress, the database's ingress) in this
	// stack and the stateful stack never names it.
	reachDatabase := func(fn *gofunction.Function, secret awssecretsmanager.ISecret) {
		grant.ReadSecret(fn.Function, secret, stateful.SecretsKey)
		fn.Connections().AllowTo(db.Connections(), awsec2.Port_Tcp(jsii.Number(database.Port)), jsii.String(*fn.Function.Node().Path()))
	}

	// The schema first: a custom resource runs the migrations, and makes each
	// component's user from its secret, whenever either changes; the consumers wait
	// for it, so no code runs against an older schema.
	loginARNs := map[string]string{}
	for role, secret := range db.Logins {
		loginARNs[role] = *secret.SecretArn()
	}
	loginsJSON, err := json.Marshal(loginARNs)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	migrate := function("./lambdas/migrate", "Applies the database migrations and creates the login users of the components at deploy time",
		map[string]string{envnames.DBSecretARN: *db.Secret.SecretArn(), envnames.LoginSecrets: string(loginsJSON)}, true)
	migrate.Timeout = 300
	e.Migration = gofunction.New(stack, "Migration", migrate)
	reachDatabase(e.Migration, db.Secret)
	for _, role := range schema.Roles {
		grant.ReadSecret(e.Migration.Function, db.Logins[role], stateful.SecretsKey)
	}
	e.Schema = awscdk.NewCustomResource(stack, jsii.String("Schema"), &awscdk.CustomResourceProps{
		ServiceToken: e.Migration.Function.FunctionArn(),
		ResourceType: jsii.String("Custom::Schema"),
		Properties:   &map[string]any{"Fingerprint": schema.Fingerprint(), "Logins": string(loginsJSON)},
	})

	subscribers := make([]messaging.Subscriber, 0, len(orderevents.Consumers))
	for _, c := range orderevents.Consumers {
		var types []string
		for _, t := range c.Types {
			types = append(types, string(t))
		}
		subscribers = append(subscribers, messaging.Subscriber{Name: c.Name, EventTypes: types, VisibilityTimeoutSeconds: 6 * cfg.Messaging.ConsumerTimeoutSeconds})
	}
	e.Messaging = messaging.New(stack, "Messaging", messaging.Props{
		Subscribers:               subscribers,
		FilterAttribute:           orderevents.TypeAttribute,
		MaxReceiveCount:           cfg.Messaging.MaxReceiveCount,
		OldestMessageAlarmSeconds: cfg.Messaging.OldestMessageAlarmSeconds,
		RemovalPolicy:             policy,
	})

	// One consumer per row of the contract (orderevents.Consumers): its queue, the
	// function from lambdas/<name>, and its database login if it has a role.
	// extras add what a consumer needs beyond that: its own resources.
	extras := map[string]func(*consumer.Props){
		"analytics": func(p *consumer.Props) {
			p.Function.Environment[envnames.EventsBucket] = *data.Events.BucketName()
			p.Writes = &consumer.BucketPrefix{Bucket: data.Events, Prefix: "events/"}
			// The data key admits the archive's writer by its role's name.
			p.Function.RoleName = dataWriterRole(stack, cfg, "analytics")
		},
		"notifications": func(p *consumer.Props) {
			p.Function.Environment[envnames.SenderEmail] = cfg.Messaging.SenderEmail
			p.SendsEmailAs = cfg.Messaging.SenderEmail
			if cfg.Messaging.SenderEmail == "" {
				p.Function.Description += " (no SES sender in this stage: logs the messages instead)"
			}
		},
	}
	for _, c := range orderevents.Consumers {
		props := consumer.Props{
			Function:       function("./lambdas/"+c.Name, c.Description, map[string]string{}, c.DatabaseRole != ""),
			Queue:          e.Messaging.Queues[c.Name],
			MaxConcurrency: cfg.Messaging.ConsumerConcurrency,
			After:          e.Schema,
		}
		if c.DatabaseRole != "" {
			login := db.Logins[c.DatabaseRole]
			props.Function.Environment[envnames.DBSecretARN] = *login.SecretArn()
			props.Function.Environment[envnames.DBWriterHost] = *db.WriterEndpoint
			props.Database = &consumer.Database{Login: login, SecretsKey: stateful.SecretsKey, Reach: db.Connections(), Port: database.Port}
		}
		if extra, ok := extras[c.Name]; ok {
			extra(&props)
		}
		e.Consumers[c.Name] = consumer.New(stack, consumerID(c.Name), props)
	}

	report := db.Logins[schema.ReportRole]
	reporter := function("./lambdas/dailyreport", "Reports the sales of the day before from a read replica",
		map[string]string{envnames.DBSecretARN: *report.SecretArn(), envnames.DBReaderHost: db.ReaderName, envnames.ReportsBucket: *data.Reports.BucketName()}, true)
	reporter.RoleName = dataWriterRole(stack, cfg, "dailyreport")
	e.Report = batch.New(stack, "DailyReport", batch.Props{
		Function:      reporter,
		Schedule:      cfg.Batch.Schedule,
		TimeZone:      cfg.Batch.TimeZone,
		RetryAttempts: cfg.Batch.RetryAttempts,
		ReportEmails:  cfg.Batch.ReportEmails,
		Key:           e.Messaging.TopicKey,
	})
	reachDatabase(e.Report.Function, report)
	topic := stateful.Ops.Topic
	ops.Notify(topic, e.Messaging.Alarms...)
	ops.Notify(topic, e.Report.Alarms...)
	for _, fn := range e.Functions() {
		ops.Notify(topic, fn.Alarms...)
	}
	data.Reports.GrantPut(e.Report.Function.Function, jsii.String("reports/*"))
	checks.Suppress(e.Report.Function.Function, "AwsSolutions-IAM5",
		"Scoped by the CDK's grantPut to the reports/ prefix of the reports bucket (s3:Abort* lets it abandon a failed upload); kms:ReEncrypt* and kms:GenerateDataKey* are the variants S3 calls to encrypt with the data key, on that one key only.",
		"Action::s3:Abort*", "/^Resource::.*\\/reports\\/\\*$/", "Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*")
	return e
}

// Functions lists the stack's Go functions: the migration, the daily report, then
// the consumers in the contract's order.
func (e *Events) Functions() []*gofunction.Function {
	fns := []*gofunction.Function{e.Migration, e.Report.Function}
	for _, name := range orderevents.ConsumerNames() {
		fns = append(fns, e.Consumers[name])
	}
	return fns
}

// consumerID is the construct ID of a subscriber's function, e.g. "InventoryConsumer".
func consumerID(name string) string {
	return string(name[0]-'a'+'A') + name[1:] + "Consumer"
}
