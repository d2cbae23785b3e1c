package config

import (
	"fmt"
	"net/netip"
)

// Secondary is the stage's second region, a warm standby of the first: its own
// network, cache and fleet, a cross-region read replica of the database, the
// database secret and the customer-data bucket replicated into it. Empty Region
// keeps the stage in one region; that one line turns it off.
type Secondary struct {
	// Region is the standby's AWS region, different from Config.Region, which must
	// then be set too: a stage in two regions names both (the account may stay
	// empty).
	Region string
	// CIDR is the standby VPC's IPv4 block, with the same rules as network.cidr,
	// and not overlapping it: the two networks may be peered later, and an operator
	// reading a flow log must know the region from the address.
	CIDR string
	// MinCapacity is how many instances the standby fleet runs until a failover
	// scales it to web.minCapacity: enough to serve reads from its region and to be
	// known healthy, 1 to web.minCapacity.
	MinCapacity int
	// FailoverMaxLagSeconds is the most replication lag, in seconds, that make
	// failover may lose (its RPO bound): with more, or with the lag unknown, the
	// failover stops before it promotes anything, unless an operator accepts the
	// loss (the README's runbook). 1 to 3600.
	FailoverMaxLagSeconds int
}

// maxFailoverLagSeconds bounds Secondary.FailoverMaxLagSeconds: an hour of lost
// orders is past what a failover should take without a person deciding it.
const maxFailoverLagSeconds = 3600

// Enabled reports whether the stage runs in two regions.
func (s Secondary) Enabled() bool { return s.Region != "" }

// StandbyStackName names a stack of the secondary region: the prefix, the region
// and what it holds, e.g. "shop-prod-us-west-2-failover". The primary's stacks
// keep their names, and after a failover "standby" would no longer be true.
func (c Config) StandbyStackName(stack string) string {
	return c.Prefix + "-" + c.Secondary.Region + "-" + stack
}

// Regions are the regions the stage's regional stacks deploy to: Region (empty
// for an environment-agnostic stage) and, with one, the secondary region.
func (c Config) Regions() []string {
	if c.Secondary.Enabled() {
		return []string{c.Region, c.Secondary.Region}
	}
	return []string{c.Region}
}

func (c Config) validateSecondary(p *problems) {
	s := c.Secondary
	if !s.Enabled() {
		return
	}
	if !regionPattern.MatchString(s.Region) {
		p.add("secondary.region", s.Region, "an AWS region such as us-west-2, or empty for a stage in one region")
	}
	if c.Region == "" {
		p.add("region", c.Region, fmt.Sprintf("the primary region, such as us-east-1: a stage with a secondary region (%s) names both regions", s.Region))
	}
	if s.Region == c.Region {
		p.add("secondary.region", s.Region, "a region other than the primary's (region): a standby in the same region shares its outages")
	}
	if validCIDR(p, "secondary.cidr", s.CIDR) {
		primary, err := netip.ParsePrefix(c.Network.CIDR)
		if secondary := netip.MustParsePrefix(s.CIDR); err == nil && primary.Overlaps(secondary) {
			p.add("secondary.cidr", s.CIDR, fmt.Sprintf("a block that does not overlap network.cidr (%s), such as the next /16", c.Network.CIDR))
		}
	}
	if s.FailoverMaxLagSeconds < 1 || s.FailoverMaxLagSeconds > maxFailoverLagSeconds {
		p.add("secondary.failoverMaxLagSeconds", s.FailoverMaxLagSeconds, fmt.Sprintf("1 to %d: the most replication lag a failover may lose", maxFailoverLagSeconds))
	}
	if s.MinCapacity < 1 || s.MinCapacity > c.Web.MinCapacity {
		p.add("secondary.minCapacity", s.MinCapacity, fmt.Sprintf("1 to web.minCapacity (%d): the standby serves reads until a failover scales it up", c.Web.MinCapacity))
	}
}
