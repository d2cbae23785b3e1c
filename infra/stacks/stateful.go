package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/network"
)

// Stateful is the stack of long-lived resources. Its logical IDs are pinned by
// tests: renaming a construct here replaces the resource, and with it the data.
type Stateful struct {
	awscdk.Stack
	Network *network.Network
}

// NewStateful creates the stateful stack.
func NewStateful(scope constructs.Construct, id string, cfg config.Config) *Stateful {
	props := stackProps(cfg, "Stateful tier: network")
	props.TerminationProtection = jsii.Bool(cfg.TerminationProtection)
	stack := awscdk.NewStack(scope, jsii.String(id), props)

	net := network.New(stack, "Network", network.Props{
		CIDR:                 cfg.Network.CIDR,
		AZs:                  cfg.Network.AZs,
		NATGateways:          cfg.Network.NATGateways,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
		RemovalPolicy:        removalPolicy(cfg.RemovalPolicy),
	})

	return &Stateful{Stack: stack, Network: net}
}
