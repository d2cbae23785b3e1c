// Package routing sends a stage's API traffic to its regions by DNS, when the stage
// has a domain and a standby region: each region serves its HTTP API under two
// names of its own, with a certificate for both, and adds its records to them.
//
//   - ReadName (api.<domain>) has one latency record per region: CloudFront's edge
//     resolves it to the region nearest to it whose health check passes. Reads
//     (the storefront, products, health) go there.
//   - WriteName (writer.api.<domain>) has a failover pair: the primary region while
//     its health check passes, the standby's otherwise. Writes and order lookups go
//     there, so they reach the region whose database takes writes: the standby
//     answers them 503 with Retry-After until a failover promotes its replica.
//
// A region's health check is a calculated one over a CloudWatch-metric check per
// alarm that means its shop is down (the API's 5xx, the load balancer's 5xx, no
// healthy host): unhealthy when any is, as the composite "shop is down" alarm is.
// Route 53 health checks cannot watch a composite alarm, and these need no public
// endpoint. Those alarms page the region's ops topic when they fire and when they
// clear, so every change of a health check's state is paged.
package routing

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ReadName is the latency-routed name of a domain's API; WriteName the
// failover-routed one.
func ReadName(domain string) string  { return "api." + domain }
func WriteName(domain string) string { return "writer.api." + domain }

// Props configure one region's names and records.
type Props struct {
	// Domain is the site's host name (config Edge.Domain); the API's names are
	// ReadName and WriteName of it.
	Domain string
	// Zone is the public hosted zone of Domain: it validates the certificate and
	// holds the records.
	Zone awsroute53.IHostedZone
	// Region is the region the API runs in, which names its records.
	Region string
	// Primary is true in the region whose database takes writes until a failover:
	// the PRIMARY of the WriteName pair.
	Primary bool
	// API is the region's HTTP API, mapped at the root of both names.
	API awsapigatewayv2.IHttpApi
	// Stage is the API's stage the names map to.
	Stage awsapigatewayv2.IHttpStage
	// Down are the region's alarms that mean its shop is down: metric alarms on
	// standard-resolution metrics with a plain statistic, which Route 53 can watch.
	Down []awscloudwatch.Alarm
}

// Region is one region's API names, health check and records.
type Region struct {
	constructs.Construct
	// HealthCheck is healthy while none of Props.Down is in alarm. A failover
	// raises the old primary's threshold above its children, so that it fails for
	// good and keeps traffic away from it (README: Failover runbook).
	HealthCheck awsroute53.HealthCheck
	// Certificate covers ReadName and WriteName, validated through DNS in the zone.
	Certificate awscertificatemanager.Certificate
}

// New creates a region's names, health check and records.
func New(scope constructs.Construct, id string, props Props) *Region {
	this := constructs.NewConstruct(scope, jsii.String(id))
	r := &Region{Construct: this}
	read, write := ReadName(props.Domain), WriteName(props.Domain)
	r.Certificate = awscertificatemanager.NewCertificate(this, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
		DomainName:              jsii.String(read),
		SubjectAlternativeNames: jsii.Strings(write),
		Validation:              awscertificatemanager.CertificateValidation_FromDns(props.Zone),
	})
	r.HealthCheck = healthCheck(this, props)
	for _, name := range []struct {
		id, host string
		record   awsroute53.ARecordProps
	}{
		{"Read", read, awsroute53.ARecordProps{Region: jsii.String(props.Region)}},
		{"Write", write, awsroute53.ARecordProps{Failover: failover(props.Primary)}},
	} {
		domain := awsapigatewayv2.NewDomainName(this, jsii.String(name.id+"Domain"), &awsapigatewayv2.DomainNameProps{
			DomainName:     jsii.String(name.host),
			Certificate:    r.Certificate,
			SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
		})
		awsapigatewayv2.NewApiMapping(this, jsii.String(name.id+"Mapping"), &awsapigatewayv2.ApiMappingProps{Api: props.API, Stage: props.Stage, DomainName: domain})
		record := name.record
		record.Zone = props.Zone
		record.RecordName = jsii.String(name.host)
		record.SetIdentifier = jsii.String(props.Region)
		record.HealthCheck = r.HealthCheck
		record.Target = awsroute53.RecordTarget_FromAlias(&apiAlias{domain})
		awsroute53.NewARecord(this, jsii.String(name.id+"Record"), &record)
	}
	return r
}

// apiAlias is an alias record's target: an API Gateway custom domain's regional
// name, with Route 53 evaluating the target's health beside the record's health
// check (which a failover record must).
type apiAlias struct{ domain awsapigatewayv2.DomainName }

// Bind implements awsroute53.IAliasRecordTarget.
func (a *apiAlias) Bind(awsroute53.IRecordSet, awsroute53.IHostedZone) *awsroute53.AliasRecordTargetConfig {
	return &awsroute53.AliasRecordTargetConfig{
		DnsName:              a.domain.RegionalDomainName(),
		HostedZoneId:         a.domain.RegionalHostedZoneId(),
		EvaluateTargetHealth: jsii.Bool(true),
	}
}

func failover(primary bool) awsroute53.Failover {
	if primary {
		return awsroute53.Failover_PRIMARY
	}
	return awsroute53.Failover_SECONDARY
}

// healthCheck is the calculated check over one CloudWatch-metric check per alarm.
// With too little data, a check takes the state its alarm would: unhealthy for an
// alarm that treats missing data as breaching (no healthy host reported means none
// serving), healthy otherwise (no 5xx reported means none answered).
func healthCheck(scope constructs.Construct, props Props) awsroute53.HealthCheck {
	var children []awsroute53.IHealthCheck
	for _, alarm := range props.Down {
		insufficient := awsroute53.InsufficientDataHealthStatusEnum_HEALTHY
		if cfn, ok := alarm.Node().DefaultChild().(awscloudwatch.CfnAlarm); ok && cfn.TreatMissingData() != nil && *cfn.TreatMissingData() == "breaching" {
			insufficient = awsroute53.InsufficientDataHealthStatusEnum_UNHEALTHY
		}
		children = append(children, awsroute53.NewHealthCheck(scope, jsii.String(*alarm.Node().Id()+"Check"), &awsroute53.HealthCheckProps{
			Type:                         awsroute53.HealthCheckType_CLOUDWATCH_METRIC,
			AlarmIdentifier:              &awsroute53.AlarmIdentifier{Name: alarm.AlarmName(), Region: jsii.String(props.Region)},
			InsufficientDataHealthStatus: insufficient,
		}))
	}
	return awsroute53.NewHealthCheck(scope, jsii.String("HealthCheck"), &awsroute53.HealthCheckProps{
		Type:              awsroute53.HealthCheckType_CALCULATED,
		ChildHealthChecks: &children,
		HealthThreshold:   jsii.Number(float64(len(children))),
	})
}
