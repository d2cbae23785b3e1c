// Package config holds the typed configuration of each deployment stage.
//
// A stage is defined once, in Go, in stages.go. Validate checks a Config before
// any construct is built and reports every problem in one error, each on its own
// line, naming the field, the value given and what is allowed.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Config is everything that differs between stages. The zero value is not a valid
// configuration: start from ForStage and change what you need.
type Config struct {
	// Stage is the stage's name, as given to -c stage=NAME and make STAGE=NAME.
	Stage string
	// Production marks a stage that serves customers, whatever its name. Validate
	// then holds it to the guards such a stage must keep (productionGuards lists
	// them), and make deploy, destroy and the other changing targets ask for
	// CONFIRM=<stage>. A copy of prod under another name keeps them all.
	Production bool
	// Account and Region pin the stacks to one environment. Leave both empty for an
	// environment-agnostic synth; set both to deploy somewhere specific (the availability
	// zones of that account and region must then be in cdk.context.json). Region may
	// be set alone: the stacks then go to that region of whichever account deploys
	// them. A stage with a secondary region sets Region.
	Account string
	Region  string
	// Secondary is the stage's second region, a warm standby; its zero value keeps
	// the stage in one region.
	Secondary Secondary
	// Prefix starts the name of every stack of the stage, e.g. "shop-dev".
	Prefix string
	// BootstrapQualifier names the stage's own CDK bootstrap (make bootstrap
	// STAGE=…): its roles, asset bucket and version parameter. A stage deploys only
	// through its own, and its deploy role may assume only its own, so stages that
	// share an account cannot deploy one another. 1 to 10 lower-case letters and
	// digits, different in every stage.
	BootstrapQualifier string
	// Tags go on every resource that supports tags.
	Tags Tags
	// TerminationProtection guards the stateful stack against `cdk destroy`
	// (required in production).
	TerminationProtection bool
	// RemovalPolicy says what happens to stateful resources when they leave a stack.
	RemovalPolicy RemovalPolicy
	Network       Network
	Database      Database
	Cache         Cache
	Storage       Storage
	Messaging     Messaging
	Report        Report
	Web           Web
	API           API
	Edge          Edge
	Ops           Ops
	Delivery      Delivery
}

// Tags are the cost-allocation tags put on every resource. The stage tag comes from
// Config.Stage.
type Tags struct {
	Project    string
	Owner      string
	CostCentre string
}

// Network sizes the VPC.
type Network struct {
	// CIDR is the VPC's IPv4 block: an RFC 1918 network from /16 to /19. Public and
	// database subnets get 1/256 of it per AZ, application subnets 1/16 per AZ.
	CIDR string
	// AZs is how many availability zones the VPC spans.
	AZs int
	// NATGateways is how many NAT gateways serve the private subnets: 1 is cheapest,
	// one per AZ survives the loss of an AZ.
	NATGateways int
	// FlowLogRetentionDays is how long VPC flow logs stay in CloudWatch Logs.
	FlowLogRetentionDays int
}

// RemovalPolicy is what CloudFormation does with a stateful resource that is removed
// from its stack or whose stack is deleted.
type RemovalPolicy string

const (
	// Destroy deletes the resource and its data: for stages you can rebuild.
	Destroy RemovalPolicy = "destroy"
	// Snapshot deletes the resource but keeps a final snapshot where the resource
	// supports one (databases, caches); other resources are retained.
	Snapshot RemovalPolicy = "snapshot"
	// Retain leaves the resource and its data in the account.
	Retain RemovalPolicy = "retain"
)

var removalPolicies = []RemovalPolicy{Destroy, Snapshot, Retain}

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

const (
	minAZs, maxAZs       = 2, 3
	minPrefix, maxPrefix = 16, 19
)

var (
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	stagePattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	prefixPattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}[a-z0-9]$`)
	tagPattern       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$`)
	qualifierPattern = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
	privateRanges    = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
)

// Validate reports every problem of c in one error, one line per problem, or nil.
func (c Config) Validate() error {
	var p problems
	if !stagePattern.MatchString(c.Stage) {
		p.add("stage", c.Stage, "1 to 20 lower-case letters, digits and hyphens, starting with a letter, such as prod-eu")
	}
	if !qualifierPattern.MatchString(c.BootstrapQualifier) {
		p.add("bootstrapQualifier", c.BootstrapQualifier, "1 to 10 lower-case letters and digits, different in every stage, such as shopdev (make bootstrap STAGE=… creates it)")
	}
	if c.Account != "" && !accountPattern.MatchString(c.Account) {
		p.add("account", c.Account, "12 digits, or empty for an environment-agnostic synth")
	}
	if c.Region != "" && !regionPattern.MatchString(c.Region) {
		p.add("region", c.Region, "an AWS region such as eu-west-1, or empty for an environment-agnostic synth")
	}
	if c.Account != "" && c.Region == "" {
		p.add("region", c.Region, fmt.Sprintf("an AWS region such as eu-west-1: a stage pinned to account %s names its region too", c.Account))
	}
	if !prefixPattern.MatchString(c.Prefix) {
		p.add("prefix", c.Prefix, "2 to 32 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen")
	}
	for _, tag := range []struct{ field, value string }{
		{"tags.project", c.Tags.Project},
		{"tags.owner", c.Tags.Owner},
		{"tags.costCentre", c.Tags.CostCentre},
	} {
		if !tagPattern.MatchString(tag.value) {
			p.add(tag.field, tag.value, "1 to 256 letters, digits, spaces and _ . : / = + - @")
		}
	}
	if !slices.Contains(removalPolicies, c.RemovalPolicy) {
		p.add("removalPolicy", string(c.RemovalPolicy), "one of destroy, snapshot, retain")
	}
	c.Network.validate(&p)
	c.validateSecondary(&p)
	c.Database.validate(&p, c.Network.AZs)
	c.Cache.validate(&p, c.Network.AZs)
	c.Storage.validate(&p)
	c.Messaging.validate(&p)
	c.Report.validate(&p)
	c.Web.validate(&p)
	c.API.validate(&p)
	c.Edge.validate(&p)
	c.Ops.validate(&p)
	c.Delivery.validate(&p)
	if c.Production {
		c.productionGuards(&p)
	}
	if len(p) == 0 { // the budget adds up fields that are valid on their own
		c.validateConnections(&p)
	}
	return p.err(c.Stage)
}

func (n Network) validate(p *problems) {
	validCIDR(p, "network.cidr", n.CIDR)
	if n.AZs < minAZs || n.AZs > maxAZs {
		p.add("network.azs", n.AZs, fmt.Sprintf("%d to %d", minAZs, maxAZs))
	}
	if n.NATGateways < 1 || n.NATGateways > max(n.AZs, 1) {
		p.add("network.natGateways", n.NATGateways, fmt.Sprintf("1 to network.azs (%d): the private subnets need a way out", n.AZs))
	}
	if !slices.Contains(LogRetentionDays, n.FlowLogRetentionDays) {
		p.add("network.flowLogRetentionDays", n.FlowLogRetentionDays, "one of "+intList(LogRetentionDays))
	}
}

// validCIDR reports whether cidr is a VPC block the network accepts, adding a
// problem for field when it is not.
func validCIDR(p *problems, field, cidr string) bool {
	prefix, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil || !prefix.Addr().Is4():
		p.add(field, cidr, "an IPv4 CIDR block such as 10.0.0.0/16")
	case prefix.Masked() != prefix:
		p.add(field, cidr, fmt.Sprintf("a network address with no host bits set (%s)", prefix.Masked()))
	case prefix.Bits() < minPrefix || prefix.Bits() > maxPrefix:
		p.add(field, cidr, fmt.Sprintf("a prefix length from /%d to /%d", minPrefix, maxPrefix))
	case !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return r.Contains(prefix.Addr()) && r.Bits() <= prefix.Bits() }):
		p.add(field, cidr, "a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
	default:
		return true
	}
	return false
}

// problems collects validation failures in the order they are found.
type problems []string

func (p *problems) add(field string, value any, want string) {
	*p = append(*p, fmt.Sprintf("%s %q: want %s", field, fmt.Sprint(value), want))
}

// err joins the problems into one error, a self-contained line per problem, e.g.
//
//	dev config: network.cidr "10.0.0/16": want an IPv4 CIDR block such as 10.0.0.0/16
func (p problems) err(stage string) error {
	if len(p) == 0 {
		return nil
	}
	lines := make([]string, len(p))
	for i, problem := range p {
		lines[i] = stage + " config: " + problem
	}
	return errors.New(strings.Join(lines, "\n"))
}

func intList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// StageNames lists the stages defined in stages.go, in promotion order.
func StageNames() []string {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.Stage
	}
	return names
}

// ForStage returns the configuration of the named stage, not yet validated.
func ForStage(name string) (Config, error) {
	if err := Distinct(stages); err != nil {
		return Config{}, err
	}
	for _, s := range stages {
		if s.Stage == name {
			return s, nil
		}
	}
	return Config{}, fmt.Errorf("stage %q: want one of %s (choose with -c stage=NAME)", name, strings.Join(StageNames(), ", "))
}

// Distinct reports what two stages may not share: a name, a prefix (their stacks
// would be the same stacks) or a bootstrap qualifier (their deploy roles would
// reach each other's stacks). A block copied in stages.go and not yet renamed
// fails here, naming both stages.
func Distinct(stages []Config) error {
	var p problems
	for _, setting := range []struct {
		field, why string
		value      func(Config) string
	}{
		{"stage", "one stage per name", func(c Config) string { return c.Stage }},
		{"prefix", "a prefix of its own: the stack names start with it", func(c Config) string { return c.Prefix }},
		{"bootstrapQualifier", "a qualifier of its own: each stage deploys through its own bootstrap", func(c Config) string { return c.BootstrapQualifier }},
	} {
		seen := map[string]string{}
		for _, c := range stages {
			v := setting.value(c)
			if other, ok := seen[v]; ok {
				p.add(setting.field, v, fmt.Sprintf("%s (stages %s and %s share it)", setting.why, other, c.Stage))
				continue
			}
			seen[v] = c.Stage
		}
	}
	return p.err("stages.go")
}
