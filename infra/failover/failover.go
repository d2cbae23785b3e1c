// Package failover builds what moves a stage to its standby region: the Go step
// of the failover (lambdas/failover), which checks the replica's lag, promotes it
// and takes over the replicated secrets, and the AWS ARC Region switch plan that
// runs it after a person approves (make failover).
package failover

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsarcregionswitch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/gofunction"
	"github.com/example/scalable-web/internal/envnames"
)

// Props configure the failover of a stage into this stack's region.
type Props struct {
	// SourceDir is the module root, where the function is built from.
	SourceDir string
	// Name names the plan and the approver role, e.g. "shop-prod-failover".
	Name string
	// PrimaryRegion is the region the stage runs in until a failover; this stack's
	// region is the one a failover activates.
	PrimaryRegion string
	// Replica is this region's cross-region read replica, which the step promotes.
	Replica awsrds.IDatabaseInstance
	// Secrets are the ARNs, in this region, of the replicas of the primary's
	// secrets that the step takes over.
	Secrets []*string
	// SecretsKey encrypts those replicas here.
	SecretsKey awskms.IKey
	// EventSourceMappings are the IDs of this region's disabled event source
	// mappings (the consumers that write to the database), which the step enables.
	EventSourceMappings []*string
	// MaxLagSeconds is the most replica lag a failover may lose (the plan's RPO
	// bound); more, or an unknown lag, stops the failover.
	MaxLagSeconds int
	// OverrideParameter names the SSM parameter through which an operator lets a
	// failover past MaxLagSeconds or an unknown lag, by writing
	// "accept-data-loss:<replica identifier>" into it.
	OverrideParameter string
	// RecoveryTimeObjectiveMinutes is the plan's stated RTO.
	RecoveryTimeObjectiveMinutes int
	// Fleets are the ARNs of the primary region's fleet and this region's (FleetArn),
	// in that order: the plan scales this region's to the primary's recent
	// capacity before the Go step runs.
	Fleets [2]*string
	// DrainHealthCheck is the ID of the primary region's Route 53 health check,
	// which the step makes fail for good once this region takes writes; nil where
	// the stage has no domain.
	DrainHealthCheck *string

	// LogRetentionDays is how long the step's logs are kept, one of
	// config.LogRetentionDays; LogsKey encrypts them.
	LogRetentionDays int
	// LogsKey encrypts the step's log group.
	LogsKey awskms.IKey
	// RemovalPolicy applies to the step's log group.
	RemovalPolicy awscdk.RemovalPolicy
}

// Failover is the step function and the plan.
type Failover struct {
	constructs.Construct
	Step *gofunction.Function
	Plan awsarcregionswitch.CfnPlan
	// Approver is the role whose holder approves the plan's execution.
	Approver awsiam.Role
}

const (
	// stepTimeoutMinutes bounds the Go step, retries included: a promotion takes
	// minutes (RDS: "usually several minutes"), and each run returns at once
	// while it is in progress.
	stepTimeoutMinutes = 60
	// stepRetryMinutes is how long the plan waits before it runs the step again.
	stepRetryMinutes = 1
	// approvalTimeoutMinutes is how long the plan waits for a person to approve.
	approvalTimeoutMinutes = 60
	// functionTimeoutSeconds: each run makes a few API calls and returns.
	functionTimeoutSeconds = 60
	// scaleUpTimeoutMinutes is how long the plan waits for the standby's fleet to
	// reach the primary's capacity: instances boot and pass their health checks in
	// a few minutes each, launched together.
	scaleUpTimeoutMinutes = 20
	// scaleUpMinimumPercent is how much of that capacity an ungraceful execution
	// (the primary region impaired) needs before it goes on to the promotion.
	scaleUpMinimumPercent = 50
)

// New creates the step function and the plan.
func New(scope constructs.Construct, id string, props Props) *Failover {
	this := constructs.NewConstruct(scope, jsii.String(id))
	f := &Failover{Construct: this}
	drain := ""
	if props.DrainHealthCheck != nil {
		drain = *props.DrainHealthCheck
	}
	f.Step = gofunction.New(this, "Step", gofunction.Props{
		SourceDir:   props.SourceDir,
		Package:     "./lambdas/failover",
		Description: "The Go step of the failover: checks the replica's lag, promotes it, takes over the replicated secrets, enables the consumers, drains the old primary",
		Environment: map[string]string{
			envnames.FailoverReplicaID:           *props.Replica.InstanceIdentifier(),
			envnames.FailoverSecrets:             *jsonList(props.Secrets),
			envnames.FailoverEventSourceMappings: *jsonList(props.EventSourceMappings),
			envnames.FailoverMaxLagSeconds:       strconv.Itoa(props.MaxLagSeconds),
			envnames.FailoverOverrideParameter:   props.OverrideParameter,
			envnames.FailoverDrainHealthCheck:    drain,
		},
		Timeout:               functionTimeoutSeconds,
		LogRetentionDays:      props.LogRetentionDays,
		LogsKey:               props.LogsKey,
		RemovalPolicy:         props.RemovalPolicy,
		ErrorAlarmPeriods:     1,
		ErrorAlarmDescription: "The failover step failed; the plan retries it, and its logs say why (a refusal names the replica's status or lag)",
	})
	f.grant(props)
	f.addPlan(props)
	return f
}

// grant lets the step do its work, on these resources only.
func (f *Failover) grant(props Props) {
	role := f.Step.Function
	add := func(actions []string, resources ...*string) {
		role.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: &resources,
		}))
	}
	add([]string{"rds:DescribeDBInstances", "rds:PromoteReadReplica"}, props.Replica.InstanceArn())
	add([]string{"secretsmanager:DescribeSecret", "secretsmanager:StopReplicationToReplica",
		"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"}, props.Secrets...)
	role.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
		Resources: jsii.Strings(*props.SecretsKey.KeyArn()),
		// Only through Secrets Manager, for the secrets above.
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("secretsmanager."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
		}},
	}))
	stack := awscdk.Stack_Of(f.Construct)
	add([]string{"ssm:GetParameter"}, stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(props.OverrideParameter[1:]),
	}))
	if len(props.EventSourceMappings) > 0 {
		var mappings []*string
		for _, id := range props.EventSourceMappings {
			mappings = append(mappings, stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("lambda"), Resource: jsii.String("event-source-mapping"), ResourceName: id,
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}))
		}
		add([]string{"lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"}, mappings...)
	}
	if props.DrainHealthCheck != nil {
		add([]string{"route53:GetHealthCheck", "route53:UpdateHealthCheck"},
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":route53:::healthcheck/"), props.DrainHealthCheck}))
	}
	add([]string{"cloudwatch:GetMetricData"}, jsii.String("*"))
	checks.Suppress(f.Step.Function, "AwsSolutions-IAM5",
		"cloudwatch:GetMetricData supports no resource-level permissions (IAM takes only Resource *); the step reads the replica's ReplicaLag with it and nothing else.",
		"Resource::*")
}

// addPlan creates the ARC Region switch plan: an activate workflow for this
// region whose steps are a person's approval and the Go step, run here.
func (f *Failover) addPlan(props Props) {
	stack := awscdk.Stack_Of(f.Construct)
	region := *stack.Region()
	execution := awsiam.NewRole(f.Construct, jsii.String("ExecutionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("arc-region-switch.amazonaws.com"), nil),
		Description: jsii.String("Runs the failover plan: invokes its Go step"),
	})
	f.Step.Function.GrantInvoke(execution)
	f.Approver = awsiam.NewRole(f.Construct, jsii.String("Approver"), &awsiam.RoleProps{
		RoleName:    jsii.String(props.Name + "-approver"),
		AssumedBy:   awsiam.NewAccountRootPrincipal(),
		Description: jsii.String("Approves the failover plan's execution: assume it to approve"),
	})
	execution.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("iam:PassRole"), Resources: jsii.Strings(*f.Approver.RoleArn()),
	}))
	// What ARC's EC2 Auto Scaling block needs (its documented sample policy): to
	// read both fleets and their capacity metrics, and to resize the two fleets.
	execution.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("autoscaling:UpdateAutoScalingGroup"), Resources: &[]*string{props.Fleets[0], props.Fleets[1]},
	}))
	execution.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("autoscaling:DescribeAutoScalingGroups"), Resources: jsii.Strings("*"),
	}))
	execution.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudwatch:GetMetricStatistics"), Resources: jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "AWS/AutoScaling"}},
	}))
	f.Plan = awsarcregionswitch.NewCfnPlan(f.Construct, jsii.String("Plan"), &awsarcregionswitch.CfnPlanProps{
		Name:                         jsii.String(props.Name),
		Description:                  jsii.String(fmt.Sprintf("Fails the stage over from %s to %s: approval, the fleet scaled up, then the Go step (lag check, promotion, secrets, consumers, DNS)", props.PrimaryRegion, region)),
		ExecutionRole:                execution.RoleArn(),
		RecoveryApproach:             jsii.String("activePassive"),
		Regions:                      jsii.Strings(props.PrimaryRegion, region),
		PrimaryRegion:                jsii.String(props.PrimaryRegion),
		RecoveryTimeObjectiveMinutes: jsii.Number(props.RecoveryTimeObjectiveMinutes),
		Workflows: &[]*awsarcregionswitch.CfnPlan_WorkflowProperty{{
			WorkflowTargetAction: jsii.String("activate"),
			WorkflowTargetRegion: jsii.String(region),
			WorkflowDescription:  jsii.String("Make " + region + " the stage's active region"),
			Steps: &[]*awsarcregionswitch.CfnPlan_StepProperty{
				{
					Name:               jsii.String("approve"),
					Description:        jsii.String("A person confirms the failover: it promotes the replica, which cannot be undone"),
					ExecutionBlockType: jsii.String("ManualApproval"),
					ExecutionBlockConfiguration: &awsarcregionswitch.CfnPlan_ExecutionBlockConfigurationProperty{
						ExecutionApprovalConfig: &awsarcregionswitch.CfnPlan_ExecutionApprovalConfigurationProperty{
							ApprovalRole: f.Approver.RoleArn(), TimeoutMinutes: jsii.Number(approvalTimeoutMinutes),
						},
					},
				},
				{
					Name:               jsii.String("scale-up"),
					Description:        jsii.String("The standby's fleet grows to the primary's largest capacity of the last 24 hours"),
					ExecutionBlockType: jsii.String("EC2AutoScaling"),
					ExecutionBlockConfiguration: &awsarcregionswitch.CfnPlan_ExecutionBlockConfigurationProperty{
						Ec2AsgCapacityIncreaseConfig: &awsarcregionswitch.CfnPlan_Ec2AsgCapacityIncreaseConfigurationProperty{
							Asgs: &[]*awsarcregionswitch.CfnPlan_AsgProperty{{Arn: props.Fleets[0]}, {Arn: props.Fleets[1]}},
							// The desired capacity the primary's group recorded, sampled: no
							// group metrics (and their cost) needed.
							CapacityMonitoringApproach: jsii.String("sampledMaxInLast24Hours"),
							TargetPercent:              jsii.Number(100),
							TimeoutMinutes:             jsii.Number(scaleUpTimeoutMinutes),
							// A partial scale-up still goes on to the promotion: target
							// tracking adds the rest as load arrives.
							Ungraceful: &awsarcregionswitch.CfnPlan_Ec2UngracefulProperty{MinimumSuccessPercentage: jsii.Number(scaleUpMinimumPercent)},
						},
					},
				},
				{
					Name:               jsii.String("promote-and-take-over"),
					Description:        jsii.String("The Go step: refuse above the lag bound, promote the replica, take over the secrets"),
					ExecutionBlockType: jsii.String("CustomActionLambda"),
					ExecutionBlockConfiguration: &awsarcregionswitch.CfnPlan_ExecutionBlockConfigurationProperty{
						CustomActionLambdaConfig: &awsarcregionswitch.CfnPlan_CustomActionLambdaConfigurationProperty{
							Lambdas:              &[]*awsarcregionswitch.CfnPlan_LambdasProperty{{Arn: f.Step.Function.FunctionArn()}},
							RegionToRun:          jsii.String("activatingRegion"),
							RetryIntervalMinutes: jsii.Number(stepRetryMinutes),
							TimeoutMinutes:       jsii.Number(stepTimeoutMinutes),
						},
					},
				},
			},
		}},
	})
	checks.Suppress(execution, "AwsSolutions-IAM5",
		"lambda:InvokeFunction on the step's ARN and its versions (<arn>:*), the CDK's grantInvoke: the plan may invoke this one function and nothing else.",
		"/^Resource::<.+\\.Arn>:\\*$/")
	checks.Suppress(execution, "AwsSolutions-IAM5",
		"autoscaling:DescribeAutoScalingGroups and cloudwatch:GetMetricStatistics support no resource-level permissions (IAM takes only Resource *): ARC's EC2 Auto Scaling block reads the two fleets and their AWS/AutoScaling metrics (the namespace is a condition) with them; resizing is granted on the two fleets' ARNs only.",
		"Resource::*")
}

// jsonList is the JSON array of the given strings, which may be tokens.
func jsonList(values []*string) *string {
	if len(values) == 0 {
		return jsii.String("[]")
	}
	parts := []*string{jsii.String(`["`)}
	for i, v := range values {
		if i > 0 {
			parts = append(parts, jsii.String(`","`))
		}
		parts = append(parts, v)
	}
	parts = append(parts, jsii.String(`"]`))
	return awscdk.Fn_Join(jsii.String(""), &parts)
}
