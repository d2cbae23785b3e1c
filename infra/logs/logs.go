// Package logs creates CloudWatch log groups the way every tier wants them: a
// retention and a removal policy chosen on purpose, never the defaults.
package logs

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/removal"
)

// GroupProps configure a log group.
type GroupProps struct {
	// RetentionDays is one of the periods CloudWatch Logs accepts (see Retention).
	RetentionDays int
	// RemovalPolicy applies to the group when it leaves its stack. The zero value
	// retains it; SNAPSHOT, which log groups do not support, also retains it.
	RemovalPolicy awscdk.RemovalPolicy
	// Key encrypts the group's events: the stack's region's logs key (NewKey).
	Key awskms.IKey
	// Name is the group's name; empty lets CloudFormation choose one.
	Name string
}

// NewGroup creates a log group, encrypted with its key, with the given retention
// and removal policy.
func NewGroup(scope constructs.Construct, id string, props GroupProps) awslogs.LogGroup {
	if props.Key == nil {
		panic("logs: group " + id + " has no key: every log group is encrypted with the region's logs key")
	}
	group := &awslogs.LogGroupProps{
		Retention:     Retention(props.RetentionDays),
		RemovalPolicy: removal.Keep(props.RemovalPolicy),
		EncryptionKey: props.Key,
	}
	if props.Name != "" {
		group.LogGroupName = jsii.String(props.Name)
	}
	return awslogs.NewLogGroup(scope, jsii.String(id), group)
}

// NewKey creates the key that encrypts log groups in its stack's region. CloudWatch
// Logs may use it only for log groups of this account and region: the encryption
// context it sends names the log group, and the key policy requires one of ours.
func NewKey(scope constructs.Construct, id string, removalPolicy awscdk.RemovalPolicy) awskms.Key {
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the stage's CloudWatch log groups in this region"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Keep(removalPolicy),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsEncryptsThisAccountsGroups"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(awscdk.Fn_Sub(jsii.String("logs.${AWS::Region}.amazonaws.com"), nil), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"), nil)},
		},
	}), nil)
	return key
}

var retentions = map[int]awslogs.RetentionDays{
	1:    awslogs.RetentionDays_ONE_DAY,
	3:    awslogs.RetentionDays_THREE_DAYS,
	5:    awslogs.RetentionDays_FIVE_DAYS,
	7:    awslogs.RetentionDays_ONE_WEEK,
	14:   awslogs.RetentionDays_TWO_WEEKS,
	30:   awslogs.RetentionDays_ONE_MONTH,
	60:   awslogs.RetentionDays_TWO_MONTHS,
	90:   awslogs.RetentionDays_THREE_MONTHS,
	120:  awslogs.RetentionDays_FOUR_MONTHS,
	150:  awslogs.RetentionDays_FIVE_MONTHS,
	180:  awslogs.RetentionDays_SIX_MONTHS,
	365:  awslogs.RetentionDays_ONE_YEAR,
	400:  awslogs.RetentionDays_THIRTEEN_MONTHS,
	545:  awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731:  awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS,
	2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS,
	2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// Retention converts a number of days into the CDK's retention. The stage
// configuration is validated against config.LogRetentionDays first, so an unknown
// number here is a programming error.
func Retention(days int) awslogs.RetentionDays {
	r, ok := retentions[days]
	if !ok {
		panic(fmt.Sprintf("logs: %d is not a CloudWatch Logs retention period", days))
	}
	return r
}
