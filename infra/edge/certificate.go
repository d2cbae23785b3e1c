package edge

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Zone references a Route 53 hosted zone by its configured ID and name: no lookup,
// so synth needs no AWS account.
func Zone(scope constructs.Construct, id, zoneID, zoneName string) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String(id), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(zoneID), ZoneName: jsii.String(zoneName),
	})
}

// NewCertificate creates the ACM certificate of domain, validated by a DNS record
// that CloudFormation writes into zone. Its stack must be in us-east-1, the only
// region CloudFront takes certificates from.
func NewCertificate(scope constructs.Construct, id, domain string, zone awsroute53.IHostedZone) awscertificatemanager.Certificate {
	requireRegion(scope, "certificate")
	return awscertificatemanager.NewCertificate(scope, jsii.String(id), &awscertificatemanager.CertificateProps{
		DomainName: jsii.String(domain),
		Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
	})
}
