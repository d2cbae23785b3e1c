package config

import (
	"fmt"
	"net/mail"
	"net/url"
)

// Ops says who hears about alarms. Every alarm of the stage notifies one ops
// topic, on entering ALARM and on recovering; these are its subscribers.
type Ops struct {
	// AlarmEmails each confirm their subscription once, from the email SNS sends.
	AlarmEmails []string
	// AlarmHTTPSEndpoints are SNS HTTPS subscription URLs: a paging service's or a
	// chat tool's SNS integration. The URL is in the template: use one whose
	// secret, if any, you can rotate.
	AlarmHTTPSEndpoints []string
	// RequireSubscriber makes `make deploy` (which passes -c deploy=true) refuse the
	// stage while it has no alarm email or HTTPS endpoint: its alarms would reach
	// no one. Synth and tests never need one.
	RequireSubscriber bool
	// Tracing turns on X-Ray active tracing for every Lambda function: each
	// invocation, and the SQS message that started it, becomes a trace.
	Tracing bool
}

// HasSubscriber says whether the stage's alarms reach anyone.
func (o Ops) HasSubscriber() bool { return len(o.AlarmEmails)+len(o.AlarmHTTPSEndpoints) > 0 }

// ReadyToDeploy reports what synth allows but a deploy must not: a stage that
// requires an alarm subscriber and has none. One line, naming the fields.
func (c Config) ReadyToDeploy() error {
	if c.Ops.RequireSubscriber && !c.Ops.HasSubscriber() {
		return fmt.Errorf("%s config: ops.alarmEmails and ops.alarmHTTPSEndpoints are both empty: want at least one on-call address or paging URL before deploying %s (ops.requireSubscriber is true), so its alarms reach a person", c.Stage, c.Stage)
	}
	return nil
}

func (o Ops) validate(p *problems) {
	for _, e := range o.AlarmEmails {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			p.add("ops.alarmEmails", e, "plain email addresses such as oncall@example.com")
		}
	}
	for _, e := range o.AlarmHTTPSEndpoints {
		if u, err := url.Parse(e); err != nil || u.Scheme != "https" || u.Host == "" {
			p.add("ops.alarmHTTPSEndpoints", e, "https:// URLs that accept SNS notifications")
		}
	}
}
