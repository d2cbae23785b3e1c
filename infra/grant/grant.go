// Package grant holds the grants that functions and the fleet need across stacks,
// each said from the grantee's side only: the CDK's own grants on the stateful
// stack's keys and secrets would add the grantee to that stack, a dependency cycle.
package grant

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
)

// ReadSecret lets grantee, in a stack other than the stateful one, read secret and
// decrypt it with key (the stage's secrets key), through Secrets Manager only. The CDK's
// grantRead on a secret with a customer key would also add the grantee to the key's
// policy, in the stateful stack: a dependency cycle. The key's policy delegates to
// IAM, so the grantee's own policy is enough.
func ReadSecret(grantee awsiam.IGrantable, secret awssecretsmanager.ISecret, key awskms.IKey) {
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
		Resources: jsii.Strings(*secret.SecretArn()),
	}))
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: jsii.Strings(*key.KeyArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("secretsmanager."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
		}},
	}))
}

// Database is what a function needs to log in: its own login's secret, the key
// that encrypts it, and the database to reach on its port.
type Database struct {
	Login      awssecretsmanager.ISecret
	SecretsKey awskms.IKey
	Reach      awsec2.IConnectable
	Port       int
}

// ReachDatabase lets fn, in the VPC, read its login and connect to the database.
// The rule is said from the function's side, so the CDK keeps both halves (its
// egress, the database's ingress) in the function's stack and the stateful stack
// never names it.
func ReachDatabase(fn awslambda.Function, db Database) {
	ReadSecret(fn, db.Login, db.SecretsKey)
	fn.Connections().AllowTo(db.Reach, awsec2.Port_Tcp(jsii.Number(db.Port)), jsii.String(*fn.Node().Path()))
}

// BucketPrefix is where a function writes, e.g. events/ of the archive bucket.
type BucketPrefix struct {
	Bucket awss3.IBucket
	Prefix string
}

// PutUnder lets fn put objects under the prefix (the CDK's grantPut, which also
// lets it encrypt with the bucket's key), and records why cdk-nag's IAM5 may pass.
func PutUnder(fn awslambda.Function, w BucketPrefix) {
	w.Bucket.GrantPut(fn, jsii.String(w.Prefix+"*"))
	checks.Suppress(fn, "AwsSolutions-IAM5",
		"Scoped by the CDK's grantPut to the "+w.Prefix+" prefix of its bucket: the function writes objects under it (s3:Abort* lets it abandon a failed upload); kms:ReEncrypt* and kms:GenerateDataKey* are the variants S3 calls to encrypt with the bucket's key, on that one key only.",
		"Action::s3:Abort*", "/^Resource::.*\\/"+strings.ReplaceAll(w.Prefix, "/", "\\/")+"\\*$/", "Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*")
}

// ReadUnder lets fn get the objects under the prefix, and decrypt them with the
// bucket's key through S3 only: s3:GetObject and kms:Decrypt, nothing else (the
// CDK's grantRead adds GetObject*, GetBucket* and List* on the whole bucket).
func ReadUnder(fn awslambda.Function, r BucketPrefix) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*r.Bucket.ArnForObjects(jsii.String(r.Prefix + "*"))),
	}))
	if key := r.Bucket.EncryptionKey(); key != nil {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings(*key.KeyArn()),
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
			}},
		}))
	}
	checks.Suppress(fn, "AwsSolutions-IAM5",
		"s3:GetObject on the "+r.Prefix+" prefix of one bucket: the function reads the files uploaded there, whose names it learns when it is invoked.",
		"/^Resource::.*\\/"+strings.ReplaceAll(r.Prefix, "/", "\\/")+"\\*$/")
}
