package config

// project, owner and costCentre tag every resource of every stage: change them when you fork.
const (
	project    = "shop"
	owner      = "platform-team"
	costCentre = "cc-0000"
)

// stages are the deployment stages, in promotion order. Config values are copied on
// use, so ForStage callers may change what they get without touching these.
var stages = []Config{
	{
		Stage:         "dev",
		Prefix:        "shop-dev",
		Tags:          Tags{Project: project, Owner: owner, CostCentre: costCentre},
		RemovalPolicy: Destroy,
		Network: Network{
			CIDR:                 "10.10.0.0/16",
			AZs:                  2,
			NATGateways:          1,
			FlowLogRetentionDays: 14,
		},
	},
	{
		Stage:         "staging",
		Prefix:        "shop-staging",
		Tags:          Tags{Project: project, Owner: owner, CostCentre: costCentre},
		RemovalPolicy: Snapshot,
		Network: Network{
			CIDR:                 "10.20.0.0/16",
			AZs:                  2,
			NATGateways:          1,
			FlowLogRetentionDays: 90,
		},
	},
	{
		Stage:                 "prod",
		Prefix:                "shop-prod",
		Tags:                  Tags{Project: project, Owner: owner, CostCentre: costCentre},
		TerminationProtection: true,
		RemovalPolicy:         Retain,
		Network: Network{
			CIDR:                 "10.30.0.0/16",
			AZs:                  3,
			NATGateways:          3,
			FlowLogRetentionDays: 365,
		},
	},
}
