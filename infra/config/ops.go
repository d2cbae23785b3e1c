package config

import (
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
	// Tracing turns on X-Ray active tracing for every Lambda function: each
	// invocation, and the SQS message that started it, becomes a trace.
	Tracing bool
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
