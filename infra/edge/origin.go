package edge

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/internal/shopapi"
)

// NewOriginSecret creates the secret CloudFront proves itself with: it sends the
// value in shopapi.OriginHeader on every request to the API, and the service
// refuses a request without it, so the API's own execute-api URL, which skips the
// WAF, answers 403. The value is {"value": 64 letters and digits}. replicas, when
// set, are the regions (each with its key) it is replicated to, for a standby
// region's API.
func NewOriginSecret(scope constructs.Construct, id string, key awskms.IKey, removalPolicy awscdk.RemovalPolicy, replicas *[]*awssecretsmanager.ReplicaRegion) awssecretsmanager.Secret {
	secret := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		EncryptionKey:  key,
		ReplicaRegions: replicas,
		Description:    jsii.String("The value CloudFront sends in " + shopapi.OriginHeader + ": requests without it are refused"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String("{}"),
			GenerateStringKey:    jsii.String(shopapi.OriginSecretKey),
			PasswordLength:       jsii.Number(originSecretLength),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
		RemovalPolicy: removalPolicy,
	})
	checks.Suppress(secret, checks.NIST+"SecretsManagerRotationEnabled",
		"Rotated by make rotate-origin-secret, not a hosted rotation: CloudFront reads the value only when the distribution is deployed, so a rotation must be followed by a deploy of the CDN stack, which the make target does.")
	checks.Suppress(secret, "AwsSolutions-SMG4",
		"CloudFront reads the value only when the distribution is deployed, so a hosted rotation would leave it sending a value the next rotation drops. `make rotate-origin-secret` rotates it: a new value, which the service accepts at once along with the previous one, then a deploy of the CDN stack pinned to the new version.")
	return secret
}

// OriginHeaderValue is the value CloudFront's origin header is set to: a dynamic
// reference that CloudFormation resolves when it deploys the distribution, to the
// secret's current value or, when version is set, that version's. The value never
// appears in the template.
func OriginHeaderValue(secret awssecretsmanager.ISecret, version string) string {
	opts := &awscdk.SecretsManagerSecretOptions{JsonField: jsii.String(shopapi.OriginSecretKey)}
	if version != "" {
		opts.VersionId = jsii.String(version)
	}
	return *awscdk.SecretValue_SecretsManager(secret.SecretArn(), opts).UnsafeUnwrap()
}

// originSecretLength is the origin secret's length: 64 letters and digits, far
// beyond guessing, and no punctuation a header value or a proxy might mangle.
const originSecretLength = 64
