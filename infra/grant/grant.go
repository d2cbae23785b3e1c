// Package grant holds the grants the CDK cannot write for us without a dependency
// cycle between stacks: each is said from the grantee's side only.
package grant

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
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
