package test

import (
	"testing"

	"github.com/example/scalable-web/infra/config"
)

func TestEveryStageIsValid(t *testing.T) {
	for _, stage := range config.StageNames() {
		cfg, err := config.ForStage(stage)
		if err != nil {
			t.Fatalf("ForStage(%q): %v", stage, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("stage %s: %v", stage, err)
		}
	}
}

func TestUnknownStage(t *testing.T) {
	_, err := config.ForStage("nope")
	want := `stage "nope": want one of dev, staging, prod (choose with -c stage=NAME)`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

func TestBadConfigurations(t *testing.T) {
	tests := []struct {
		name   string
		change func(*config.Config)
		want   string
	}{
		{"unknown stage name", func(c *config.Config) { c.Stage = "qa" },
			`qa config: stage "qa": want one of dev, staging, prod`},
		{"CIDR not a CIDR", func(c *config.Config) { c.Network.CIDR = "10.0.0/16" },
			`dev config: network.cidr "10.0.0/16": want an IPv4 CIDR block such as 10.0.0.0/16`},
		{"IPv6 CIDR", func(c *config.Config) { c.Network.CIDR = "fd00::/48" },
			`dev config: network.cidr "fd00::/48": want an IPv4 CIDR block such as 10.0.0.0/16`},
		{"CIDR with host bits", func(c *config.Config) { c.Network.CIDR = "10.0.0.1/16" },
			`dev config: network.cidr "10.0.0.1/16": want a network address with no host bits set (10.0.0.0/16)`},
		{"CIDR too small", func(c *config.Config) { c.Network.CIDR = "10.0.0.0/24" },
			`dev config: network.cidr "10.0.0.0/24": want a prefix length from /16 to /19`},
		{"CIDR too large", func(c *config.Config) { c.Network.CIDR = "10.0.0.0/8" },
			`dev config: network.cidr "10.0.0.0/8": want a prefix length from /16 to /19`},
		{"public CIDR", func(c *config.Config) { c.Network.CIDR = "8.8.0.0/16" },
			`dev config: network.cidr "8.8.0.0/16": want a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`},
		{"one AZ", func(c *config.Config) { c.Network.AZs = 1; c.Network.NATGateways = 1 },
			`dev config: network.azs "1": want 2 to 3`},
		{"four AZs", func(c *config.Config) { c.Network.AZs = 4 },
			`dev config: network.azs "4": want 2 to 3`},
		{"more NAT gateways than AZs", func(c *config.Config) { c.Network.NATGateways = 3 },
			`dev config: network.natGateways "3": want 1 to network.azs (2): the private subnets need a way out`},
		{"no NAT gateway", func(c *config.Config) { c.Network.NATGateways = 0 },
			`dev config: network.natGateways "0": want 1 to network.azs (2): the private subnets need a way out`},
		{"flow-log retention CloudWatch does not offer", func(c *config.Config) { c.Network.FlowLogRetentionDays = 10 },
			`dev config: network.flowLogRetentionDays "10": want one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"account not 12 digits", func(c *config.Config) { c.Account = "1234"; c.Region = "eu-west-1" },
			`dev config: account "1234": want 12 digits, or empty for an environment-agnostic synth`},
		{"region malformed", func(c *config.Config) { c.Account = "123456789012"; c.Region = "Europe" },
			`dev config: region "Europe": want an AWS region such as eu-west-1, or empty for an environment-agnostic synth`},
		{"account without region", func(c *config.Config) { c.Account = "123456789012" },
			`dev config: account/region "123456789012/": want both set or both empty`},
		{"prefix with capitals", func(c *config.Config) { c.Prefix = "Shop-Dev" },
			`dev config: prefix "Shop-Dev": want 2 to 32 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen`},
		{"empty owner tag", func(c *config.Config) { c.Tags.Owner = "" },
			`dev config: tags.owner "": want 1 to 256 letters, digits, spaces and _ . : / = + - @`},
		{"cost centre with a comma", func(c *config.Config) { c.Tags.CostCentre = "a,b" },
			`dev config: tags.costCentre "a,b": want 1 to 256 letters, digits, spaces and _ . : / = + - @`},
		{"removal policy unknown", func(c *config.Config) { c.RemovalPolicy = "keep" },
			`dev config: removalPolicy "keep": want one of destroy, snapshot, retain`},
		{"every problem at once, in field order", func(c *config.Config) {
			c.Network.CIDR = "10.0.0.0/8"
			c.Network.AZs = 1
			c.Network.NATGateways = 2
		}, `dev config: network.cidr "10.0.0.0/8": want a prefix length from /16 to /19` + "\n" +
			`dev config: network.azs "1": want 2 to 3` + "\n" +
			`dev config: network.natGateways "2": want 1 to network.azs (1): the private subnets need a way out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.ForStage("dev")
			if err != nil {
				t.Fatal(err)
			}
			tt.change(&cfg)
			err = cfg.Validate()
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}
