// Package web builds the web tier: an internal Application Load Balancer in front
// of an Auto Scaling group of Graviton instances running the sample service,
// installed from a CDK asset as a systemd unit.
package web

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/checks"
	"github.com/example/scalable-web/infra/gobuild"
	"github.com/example/scalable-web/infra/logs"
	"github.com/example/scalable-web/infra/storage"
	"github.com/example/scalable-web/internal/envnames"
)

// ServicePort is where the service listens on each instance.
const ServicePort = 8080

// Props configure the web tier. The stage configuration has validated them.
type Props struct {
	// Vpc is the network of the fleet, the load balancer and their security groups.
	Vpc awsec2.IVpc
	// Subnets hold the instances and the internal load balancer (the stacks pass
	// the application subnets).
	Subnets *awsec2.SubnetSelection
	// SourceDir is the module root; the service is built from ./service.
	SourceDir string
	// Environment is the service's, e.g. DB_SECRET_ARN; SHOP_ADDR and
	// DRAIN_TIMEOUT are set here.
	Environment map[string]string
	// MetricsNamespace is where the service records its business metrics
	// (METRICS_NAMESPACE); the outbox alarm reads them there.
	MetricsNamespace string
	// Tracing has the service send its spans to the CloudWatch agent on the
	// instance (OTLP/HTTP on loopback), which forwards them to X-Ray.
	Tracing bool

	// InstanceType is the instances' type, one of config.WebInstanceTypes (Graviton:
	// the service is built for arm64), from config Web.InstanceType.
	InstanceType string
	// MinCapacity and MaxCapacity bound the Auto Scaling group, in instances: min 1
	// to 20 (2 or more in production), max above min, up to 50 (from config Web).
	MinCapacity, MaxCapacity int
	// CPUTargetPercent is the average CPU utilisation, in percent, that target
	// tracking keeps the group at, 10 to 90 (from config Web.CPUTargetPercent).
	CPUTargetPercent int
	// RequestsPerTargetPerMin is the requests per instance per minute that target
	// tracking aims for, 1 or more (from config Web.RequestsPerTargetPerMinute).
	RequestsPerTargetPerMin int
	// DrainSeconds is the ALB's deregistration delay and the service's shutdown drain
	// (DRAIN_TIMEOUT), in seconds, 0 to 3600; systemd allows 10 s more to stop.
	DrainSeconds int
	// P99LatencyAlarmMillis is the targets' p99 response time, in milliseconds, above
	// which for 15 minutes the P99ResponseTime alarm fires.
	P99LatencyAlarmMillis int
	// DeletionProtection stops the load balancer from being deleted until it is
	// turned off (from config Web.DeletionProtection, required in production).
	DeletionProtection bool
	// AccessLogs is the bucket the load balancer writes its access logs to, under
	// storage.LoadBalancerLogPrefix (the stateful stack's access-log bucket).
	AccessLogs awss3.IBucket
	// LogRetentionDays is how long, in days, the service's log group keeps its logs:
	// one of config.LogRetentionDays (from config Web.LogRetentionDays).
	LogRetentionDays int
	// LogsKey encrypts the log groups (logs.NewKey, in the stateful stack).
	LogsKey awskms.IKey
	// RemovalPolicy applies to the service's log group: DESTROY deletes it, anything
	// else (and the zero value) retains it.
	RemovalPolicy awscdk.RemovalPolicy
	// Notifications receives the group's launch and termination events, failed
	// ones included.
	Notifications awssns.ITopic
}

// SessionManagerActions are what the SSM agent needs for Session Manager: register
// the instance, and open the control and data channels of a session.
var SessionManagerActions = []string{
	"ssm:UpdateInstanceInformation",
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// Web is the load balancer and the fleet behind it.
type Web struct {
	constructs.Construct
	LoadBalancer elbv2.ApplicationLoadBalancer
	Listener     elbv2.ApplicationListener
	TargetGroup  elbv2.ApplicationTargetGroup
	Fleet        awsautoscaling.AutoScalingGroup
	Role         awsiam.Role
	Binary       awss3assets.Asset
	Logs         awslogs.LogGroup
	Alarms       []awscloudwatch.Alarm
	// NoHealthyHosts and LoadBalancer5xx are among Alarms: they mean the shop is down.
	NoHealthyHosts, LoadBalancer5xx awscloudwatch.Alarm
	// OutboxStuck is among Alarms: order events are waiting to reach SNS.
	OutboxStuck      awscloudwatch.Alarm
	metricsNamespace string
}

// Connections of the fleet: grant it access to the data tier with AllowTo.
func (w *Web) Connections() awsec2.Connections { return w.Fleet.Connections() }

// The fleet's fixed settings, the ones no stage configures.
const (
	// rootVolumeGiB is each instance's encrypted gp3 root volume: the OS, the
	// CloudWatch agent and the binary need a few GiB; the rest holds logs until
	// the agent ships them.
	rootVolumeGiB = 20
	// warmupSeconds keeps a new instance's metrics out of scaling decisions until
	// the service and the agent have started and its CPU has settled.
	warmupSeconds = 90
	// cooldownSeconds is the wait between simple scaling activities; target
	// tracking uses warmup instead.
	cooldownSeconds = 120
	// healthGraceMinutes is how long a booting instance may fail the load
	// balancer's health check before the group replaces it.
	healthGraceMinutes = 3
	// signalMinutes is how long a rolling update waits for each new instance to
	// signal that /readyz answers, and pauses at most between batches.
	signalMinutes = 15
	// The load balancer's health check of /healthz: every 15 s, healthy after 2
	// passes, unhealthy after 3 failures (45 s), 5 s to answer.
	healthIntervalSeconds, healthyChecks, unhealthyChecks, healthTimeoutSeconds = 15, 2, 3, 5
	// idleTimeoutSeconds closes idle connections: above the service's longest
	// request, below API Gateway's VPC link keep-alive.
	idleTimeoutSeconds = 60
)

// New creates the web tier.
func New(scope constructs.Construct, id string, props Props) *Web {
	this := constructs.NewConstruct(scope, jsii.String(id))
	w := &Web{Construct: this, metricsNamespace: props.MetricsNamespace}
	w.Binary = awss3assets.NewAsset(this, jsii.String("Binary"), &awss3assets.AssetProps{
		Path:          jsii.String(filepath.Join(props.SourceDir, "service")),
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling:      gobuild.Bundling(props.SourceDir, "./service", "shop", awscdk.BundlingOutput_SINGLE_FILE),
	})
	w.Logs = logs.NewGroup(this, "Logs", logs.GroupProps{RetentionDays: props.LogRetentionDays, RemovalPolicy: props.RemovalPolicy, Key: props.LogsKey})
	w.addRole(props)
	template := w.newLaunchTemplate(props)
	w.addFleet(props, template)
	w.installService(template.UserData(), props)
	w.addLoadBalancer(props)
	w.Fleet.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsautoscaling.CpuUtilizationScalingProps{
		TargetUtilizationPercent: jsii.Number(props.CPUTargetPercent),
	})
	w.Fleet.ScaleOnRequestCount(jsii.String("Requests"), &awsautoscaling.RequestCountScalingProps{
		TargetRequestsPerMinute: jsii.Number(props.RequestsPerTargetPerMin),
	})
	w.addAlarms(props)
	w.suppress()
	return w
}

// addRole is the instances' role: Session Manager, the binary's object, the log
// group, X-Ray when tracing; the stacks grant the rest (secrets, the topic).
func (w *Web) addRole(props Props) {
	w.Role = awsiam.NewRole(w.Construct, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		Description: jsii.String("The service's instances: Session Manager, their binary, logs, and what the stacks grant"),
	})
	// Session Manager, the only way in, and nothing else of Systems Manager: not
	// AmazonSSMManagedInstanceCore, whose ssm:GetParameter* on every parameter of the
	// account would let an instance read every stage's. The service reads no
	// parameter; its secrets are granted one by one.
	w.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(SessionManagerActions...),
		Resources: jsii.Strings("*"),
	}))
	// Exactly the binary's object, not the CDK's grantRead on the whole assets bucket.
	w.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*w.Binary.Bucket().ArnForObjects(w.Binary.S3ObjectKey())),
	}))
	w.Logs.GrantWrite(w.Role)
	// The CloudWatch agent's host metrics (memory, disk), in the fleet's namespace only.
	w.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("cloudwatch:PutMetricData"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": props.MetricsNamespace}},
	}))
	if props.Tracing {
		w.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"),
			Resources: jsii.Strings("*"),
		}))
		checks.Suppress(w.Role, "AwsSolutions-IAM5",
			"The CloudWatch agent forwards the service's spans to X-Ray, whose PutTraceSegments, PutTelemetryRecords and sampling actions support no resource-level permissions, so IAM takes only Resource *.",
			"Resource::*")
	}
}

// newLaunchTemplate is the instances' template: the newest AL2023 arm64 image,
// IMDSv2 only, an encrypted root volume, and a security group that admits nothing
// until the load balancer is allowed in and lets out only HTTPS and what a tier grants.
func (w *Web) newLaunchTemplate(props Props) awsec2.LaunchTemplate {
	instances := awsec2.NewSecurityGroup(w.Construct, jsii.String("InstanceSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Service instances: from the load balancer only; out to HTTPS and what a tier grants"),
		AllowAllOutbound: jsii.Bool(false),
	})
	instances.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("AWS APIs, Session Manager and packages, through NAT or the S3 endpoint"), nil)
	return awsec2.NewLaunchTemplate(w.Construct, jsii.String("LaunchTemplate"), &awsec2.LaunchTemplateProps{
		// The public SSM parameter of the newest AL2023 arm64 AMI: resolved at deploy
		// time, no lookup at synth.
		MachineImage:            awsec2.MachineImage_LatestAmazonLinux2023(&awsec2.AmazonLinux2023ImageSsmParameterProps{CpuType: awsec2.AmazonLinuxCpuType_ARM_64}),
		InstanceType:            awsec2.NewInstanceType(jsii.String(props.InstanceType)),
		Role:                    w.Role,
		SecurityGroup:           instances,
		HttpTokens:              awsec2.LaunchTemplateHttpTokens_REQUIRED, // IMDSv2 only
		HttpPutResponseHopLimit: jsii.Number(1),                           // no IMDS from containers
		DetailedMonitoring:      jsii.Bool(true),
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String("/dev/xvda"),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(rootVolumeGiB), &awsec2.EbsDeviceOptions{
				VolumeType: awsec2.EbsDeviceVolumeType_GP3, Encrypted: jsii.Bool(true), DeleteOnTermination: jsii.Bool(true),
			}),
		}},
		UserData: awsec2.UserData_ForLinux(nil),
	})
}

// addFleet is the Auto Scaling group: health from the load balancer, scaling and
// lifecycle events to the ops topic, and rolling updates one instance at a time,
// each new instance signalling once its /readyz answers, while the others serve.
func (w *Web) addFleet(props Props, template awsec2.LaunchTemplate) {
	minutes := func(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }
	w.Fleet = awsautoscaling.NewAutoScalingGroup(w.Construct, jsii.String("Fleet"), &awsautoscaling.AutoScalingGroupProps{
		Vpc:            props.Vpc,
		VpcSubnets:     props.Subnets,
		LaunchTemplate: template,
		MinCapacity:    jsii.Number(props.MinCapacity),
		MaxCapacity:    jsii.Number(props.MaxCapacity),
		HealthChecks: awsautoscaling.HealthChecks_WithAdditionalChecks(&awsautoscaling.AdditionalHealthChecksOptions{
			AdditionalTypes: &[]awsautoscaling.AdditionalHealthCheckType{awsautoscaling.AdditionalHealthCheckType_ELB},
			GracePeriod:     minutes(healthGraceMinutes),
		}),
		DefaultInstanceWarmup: awscdk.Duration_Seconds(jsii.Number(warmupSeconds)),
		Cooldown:              awscdk.Duration_Seconds(jsii.Number(cooldownSeconds)),
		GroupMetrics:          &[]awsautoscaling.GroupMetrics{awsautoscaling.GroupMetrics_All()},
		Notifications: &[]*awsautoscaling.NotificationConfiguration{{
			Topic: props.Notifications, ScalingEvents: awsautoscaling.ScalingEvents_ALL(),
		}},
		Signals: awsautoscaling.Signals_WaitForMinCapacity(&awsautoscaling.SignalsOptions{Timeout: minutes(signalMinutes)}),
		UpdatePolicy: awsautoscaling.UpdatePolicy_RollingUpdate(&awsautoscaling.RollingUpdateOptions{
			MinInstancesInService: jsii.Number(props.MinCapacity),
			MaxBatchSize:          jsii.Number(1),
			PauseTime:             minutes(signalMinutes),
		}),
	})
	w.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:SignalResource"),
		Resources: jsii.Strings(*awscdk.Stack_Of(w.Construct).StackId()),
	}))
}

// addLoadBalancer is the internal load balancer, its access logs, its HTTP
// listener and the fleet's target group. Its security group has no inbound rule:
// the API stack admits its VPC link, the only client.
func (w *Web) addLoadBalancer(props Props) {
	seconds := func(n float64) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(n)) }
	sg := awsec2.NewSecurityGroup(w.Construct, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Internal load balancer: HTTP from the API Gateway VPC link only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	w.LoadBalancer = elbv2.NewApplicationLoadBalancer(w.Construct, jsii.String("LoadBalancer"), &elbv2.ApplicationLoadBalancerProps{
		Vpc:                     props.Vpc,
		VpcSubnets:              props.Subnets,
		InternetFacing:          jsii.Bool(false),
		SecurityGroup:           sg,
		DeletionProtection:      jsii.Bool(props.DeletionProtection),
		DropInvalidHeaderFields: jsii.Bool(true),
		IdleTimeout:             seconds(idleTimeoutSeconds),
	})
	checks.Suppress(w.LoadBalancer, checks.NIST+"ALBWAFEnabled",
		"The web ACL is on CloudFront, the only way in (X-Origin-Verify): this internal load balancer has no public address, and a second ACL here would see only requests the first already passed.")
	// Access logs in every stage: the access-log bucket's own policy admits the
	// region's log delivery (storage.LoadBalancerLogPrefix), whatever the region.
	w.LoadBalancer.SetAttribute(jsii.String("access_logs.s3.enabled"), jsii.String("true"))
	w.LoadBalancer.SetAttribute(jsii.String("access_logs.s3.bucket"), props.AccessLogs.BucketName())
	w.LoadBalancer.SetAttribute(jsii.String("access_logs.s3.prefix"), jsii.String(storage.LoadBalancerLogPrefix))
	w.Listener = w.LoadBalancer.AddListener(jsii.String("Http"), &elbv2.BaseApplicationListenerProps{
		Port: jsii.Number(80), Protocol: elbv2.ApplicationProtocol_HTTP, Open: jsii.Bool(false),
	})
	checks.Suppress(w.Listener, checks.NIST+"ALBHttpToHttpsRedirection",
		"Internal load balancer reached only through API Gateway's VPC link inside the VPC: TLS ends at CloudFront and API Gateway, and the security group admits the link alone. There is no viewer to redirect.")
	checks.Suppress(w.Listener, checks.NIST+"ELBv2ACMCertificateRequired",
		"Internal load balancer behind API Gateway's VPC link: viewers' TLS ends at CloudFront (ACM certificate) and API Gateway; HTTP runs only inside the VPC between the link and the instances.")
	w.TargetGroup = w.Listener.AddTargets(jsii.String("Fleet"), &elbv2.AddApplicationTargetsProps{
		Port:                jsii.Number(ServicePort),
		Protocol:            elbv2.ApplicationProtocol_HTTP,
		Targets:             &[]elbv2.IApplicationLoadBalancerTarget{w.Fleet},
		DeregistrationDelay: seconds(float64(props.DrainSeconds)),
		HealthCheck: &elbv2.HealthCheck{
			Path: jsii.String("/healthz"), Interval: seconds(healthIntervalSeconds),
			HealthyThresholdCount: jsii.Number(healthyChecks), UnhealthyThresholdCount: jsii.Number(unhealthyChecks),
			Timeout: seconds(healthTimeoutSeconds),
		},
	})
}

// agentOTLPEndpoint is where the CloudWatch agent receives OTLP over HTTP.
const agentOTLPEndpoint = "127.0.0.1:4318"

// agentConfig is the CloudWatch agent's configuration: ship the service's log file
// (its business metrics included), publish the host's memory, disk and disk I/O
// (hostMetrics), and with tracing, receive its spans over OTLP on loopback and
// forward them to X-Ray.
func agentConfig(logGroup, namespace string, tracing bool) string {
	config := map[string]any{"logs": map[string]any{"logs_collected": map[string]any{"files": map[string]any{
		"collect_list": []any{map[string]any{"file_path": "/var/log/shop/service.log", "log_group_name": logGroup, "log_stream_name": "{instance_id}"}},
	}}}, "metrics": hostMetrics(namespace)}
	if tracing {
		config["traces"] = map[string]any{"traces_collected": map[string]any{"otlp": map[string]any{"http_endpoint": agentOTLPEndpoint}}}
	}
	b, err := json.Marshal(config)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return string(b)
}

// Host metrics the CloudWatch agent publishes, in the fleet's namespace, every
// minute: each instance's under its InstanceId, and the fleet's as one series
// without dimensions (aggregation_dimensions [[]]), which the alarms and the
// dashboard read: its Maximum is the worst instance.
const (
	// HostMemoryMetric is the share of memory in use, in percent.
	HostMemoryMetric = "mem_used_percent"
	// HostDiskMetric is the share of the root file system in use, in percent.
	HostDiskMetric = "disk_used_percent"
	// HostDiskIOMetric is the time the disks spent on I/O, in milliseconds per period.
	HostDiskIOMetric = "diskio_io_time"
	// hostMetricsIntervalSeconds is how often the agent samples them.
	hostMetricsIntervalSeconds = 60
)

// hostMetrics is the agent's "metrics" section: memory, the root file system, and
// disk I/O time.
func hostMetrics(namespace string) map[string]any {
	return map[string]any{
		"namespace":              namespace,
		"append_dimensions":      map[string]any{"InstanceId": "${aws:InstanceId}"},
		"aggregation_dimensions": []any{[]any{}},
		"metrics_collected": map[string]any{
			"mem":    map[string]any{"measurement": []any{"used_percent"}, "metrics_collection_interval": hostMetricsIntervalSeconds},
			"disk":   map[string]any{"measurement": []any{"used_percent"}, "resources": []any{"/"}, "drop_device": true, "metrics_collection_interval": hostMetricsIntervalSeconds},
			"diskio": map[string]any{"measurement": []any{"io_time"}, "metrics_collection_interval": hostMetricsIntervalSeconds},
		},
	}
}

// installService writes the user data: fetch the binary, install it as a systemd
// unit with its environment, ship its log file, wait for /readyz, and signal.
func (w *Web) installService(ud awsec2.UserData, props Props) {
	stack := awscdk.Stack_Of(w.Construct)
	asg := stack.GetLogicalId(w.Fleet.Node().DefaultChild().(awscdk.CfnElement))
	env := map[string]string{envnames.ShopAddr: fmt.Sprintf(":%d", ServicePort), envnames.DrainTimeout: fmt.Sprintf("%ds", props.DrainSeconds),
		envnames.MetricsNamespace: props.MetricsNamespace}
	if props.Tracing {
		env[envnames.TracingEndpoint] = "http://" + agentOTLPEndpoint
	}
	for k, v := range props.Environment {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var envFile strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&envFile, "%s=%s\n", k, env[k])
	}
	signal := fmt.Sprintf("/opt/aws/bin/cfn-signal --exit-code \"$1\" --stack %s --resource %s --region %s || true", *stack.StackName(), *asg, *stack.Region())
	commands := func(lines ...string) { ud.AddCommands(*jsii.Strings(lines...)...) }
	commands(
		"set -euo pipefail",
		"signal() { "+signal+"; }",
		"trap 'signal 1' ERR",
		"dnf install -y aws-cfn-bootstrap amazon-cloudwatch-agent",
		"useradd --system --no-create-home --shell /sbin/nologin shop || true",
		"install -d -m 0755 /opt/shop && install -d -o shop -m 0750 /var/log/shop",
	)
	ud.AddS3DownloadCommand(&awsec2.S3DownloadOptions{Bucket: w.Binary.Bucket(), BucketKey: w.Binary.S3ObjectKey(), LocalFile: jsii.String("/opt/shop/shop")})
	commands(
		"chmod 0755 /opt/shop/shop",
		"cat > /etc/shop.env <<'ENV'\n"+envFile.String()+"ENV",
		"cat > /etc/systemd/system/shop.service <<'UNIT'\n"+unit(props.DrainSeconds)+"UNIT",
		"cat > /etc/logrotate.d/shop <<'ROTATE'\n/var/log/shop/service.log {\n  daily\n  rotate 3\n  compress\n  copytruncate\n  missingok\n}\nROTATE",
		"cat > /opt/shop/cloudwatch-agent.json <<'AGENT'\n"+agentConfig(*w.Logs.LogGroupName(), props.MetricsNamespace, props.Tracing)+"\nAGENT",
		"/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/shop/cloudwatch-agent.json",
		"systemctl daemon-reload && systemctl enable --now shop",
		fmt.Sprintf("for _ in $(seq 90); do curl -fsS http://127.0.0.1:%d/readyz >/dev/null && break; sleep 2; done", ServicePort),
		fmt.Sprintf("curl -fsS http://127.0.0.1:%d/readyz >/dev/null", ServicePort),
		"signal 0",
	)
}

// unit is the service's systemd unit: an unprivileged user, a read-only system,
// SIGTERM with time to drain, and a restart on failure.
func unit(drainSeconds int) string {
	return fmt.Sprintf(`[Unit]
Description=shop sample service
After=network-online.target
Wants=network-online.target

[Service]
User=shop
EnvironmentFile=/etc/shop.env
ExecStart=/opt/shop/shop
Restart=on-failure
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=%d
StandardOutput=append:/var/log/shop/service.log
StandardError=append:/var/log/shop/service.log
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/log/shop

[Install]
WantedBy=multi-user.target
`, drainSeconds+10)
}
