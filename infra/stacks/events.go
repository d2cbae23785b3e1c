package stacks

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
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
)

// Events is the stateless stack of asynchronous work: the schema migration, the
// order-event fan-out and its consumers, and the daily report.
type Events struct {
	awscdk.Stack
	Migration *gofunction.Function
	Schema    awscdk.CustomResource
	Messaging *messaging.Messaging
	Consumers map[string]*gofunction.Function
	Report    *report.Report
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
	// The migration logs in as the admin, and reads every component's login to set
	// its password.
	grant.ReachDatabase(e.Migration.Function, grant.Database{Login: db.Secret, SecretsKey: stateful.SecretsKey, Reach: db.Connections(), Port: database.Port})
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
			p.Writes = &grant.BucketPrefix{Bucket: data.Events, Prefix: "events/"}
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
			props.Database = &grant.Database{Login: login, SecretsKey: stateful.SecretsKey, Reach: db.Connections(), Port: database.Port}
		}
		if extra, ok := extras[c.Name]; ok {
			extra(&props)
		}
		e.Consumers[c.Name] = consumer.New(stack, consumerID(c.Name), props)
	}

	login := db.Logins[schema.ReportRole]
	reporter := function("./lambdas/dailyreport", "Reports the sales of the day before from a read replica",
		map[string]string{envnames.DBSecretARN: *login.SecretArn(), envnames.DBReaderHost: db.ReaderName, envnames.ReportsBucket: *data.Reports.BucketName()}, true)
	reporter.RoleName = dataWriterRole(stack, cfg, "dailyreport")
	e.Report = report.New(stack, "DailyReport", report.Props{
		Function:      reporter,
		Schedule:      cfg.Report.Schedule,
		TimeZone:      cfg.Report.TimeZone,
		RetryAttempts: cfg.Report.RetryAttempts,
		Emails:        cfg.Report.Emails,
		Key:           e.Messaging.TopicKey,
		Database:      grant.Database{Login: login, SecretsKey: stateful.SecretsKey, Reach: db.Connections(), Port: database.Port},
		Writes:        grant.BucketPrefix{Bucket: data.Reports, Prefix: "reports/"},
	})
	topic := stateful.AlarmTopic.Topic
	alarms.Notify(topic, e.Messaging.Alarms...)
	alarms.Notify(topic, e.Report.Alarms...)
	for _, fn := range e.Functions() {
		alarms.Notify(topic, fn.Alarms...)
	}
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
