package config

import "fmt"

// minProductionReplicas is the fewest database read replicas a production stage runs,
// so reads survive the loss of one.
const minProductionReplicas = 2

// productionGuards reports each guard a production stage (Production: true) lacks.
// They hang on that one field, never on the stage's name, so a copy of prod under
// another name (prod-eu) keeps every one of them.
func (c Config) productionGuards(p *problems) {
	const why = "in a production stage (production: true)"
	if !c.TerminationProtection {
		p.add("terminationProtection", c.TerminationProtection, "true "+why+": cdk destroy must not reach the data")
	}
	if c.RemovalPolicy == Destroy {
		p.add("removalPolicy", string(c.RemovalPolicy), "snapshot or retain "+why+": removing a resource must not delete its data")
	}
	if !c.Database.MultiAZ {
		p.add("database.multiAZ", c.Database.MultiAZ, "true "+why+": a standby in another AZ takes over in a minute or two")
	}
	if c.Database.Replicas >= 0 && c.Database.Replicas < minProductionReplicas {
		p.add("database.replicas", c.Database.Replicas, fmt.Sprintf("%d or more %s, so reads survive the loss of a replica", minProductionReplicas, why))
	}
	if !c.Database.DeletionProtection {
		p.add("database.deletionProtection", c.Database.DeletionProtection, "true "+why)
	}
	if !c.Cache.AutomaticFailover {
		p.add("cache.automaticFailover", c.Cache.AutomaticFailover, "true "+why+": a replica takes over from a failed primary")
	}
	if c.Web.MinCapacity == 1 {
		p.add("web.minCapacity", c.Web.MinCapacity, "2 or more "+why+", so one instance can fail")
	}
	if !c.Web.DeletionProtection {
		p.add("web.deletionProtection", c.Web.DeletionProtection, "true "+why)
	}
	if !c.Ops.RequireSubscriber {
		p.add("ops.requireSubscriber", c.Ops.RequireSubscriber, "true "+why+": make deploy refuses it until an alarm reaches a person")
	}
}
