// Package cost estimates what a stage costs a month, idle, from its synthesized
// CloudFormation templates and a dated table of on-demand prices (prices.json).
// It calls no AWS API: sizes and counts come from the templates themselves.
//
// Every resource type in a template is either costed here or listed in the price
// table as free at idle, with the reason. Any other type is an error, so a new kind
// of resource cannot slip into the estimate at $0 unnoticed.
package cost

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Tiers are the tiers an estimate is itemised by, in the order tables list them.
var Tiers = []string{"network", "database", "cache", "storage", "events", "web", "api", "edge", "cdn", "ops", "failover"}

// Item is one line of an estimate: what is billed, how much of it, and what that
// costs a month.
type Item struct {
	Tier string
	// Name says what is billed, in words that are the same in every stage, e.g.
	// "PostgreSQL instances (Multi-AZ counts twice)".
	Name string
	// Size is the instance class, node type or variant, when the price depends on it.
	Size     string
	Quantity float64
	// Unit is what Quantity counts, e.g. "GB" or "metrics"; empty when it counts Name.
	Unit    string
	Monthly float64

	rank int // the order of Name within its tier
}

// Breakdown is the estimate of one stage: its items, summed by tier, name and size.
type Breakdown struct {
	Items []Item
	// Free counts the resources that cost nothing at idle, by resource type.
	Free map[string]int
}

// Total is the stage's monthly cost.
func (b Breakdown) Total() float64 {
	var sum float64
	for _, it := range b.Items {
		sum += it.Monthly
	}
	return sum
}

// TierTotal is the monthly cost of one tier.
func (b Breakdown) TierTotal(tier string) float64 {
	var sum float64
	for _, it := range b.Items {
		if it.Tier == tier {
			sum += it.Monthly
		}
	}
	return sum
}

// Tiers lists the tiers that have items, in the order of the package's Tiers.
func (b Breakdown) Tiers() []string {
	var tiers []string
	for _, it := range b.Items { // sorted by tier
		if len(tiers) == 0 || tiers[len(tiers)-1] != it.Tier {
			tiers = append(tiers, it.Tier)
		}
	}
	return tiers
}

// Estimate costs every resource of a stage's templates, given by stack name, at
// the prices p. It reports every resource it cannot cost, in one error.
func Estimate(templates map[string]map[string]any, p Prices) (Breakdown, error) {
	type key struct{ tier, name, size, unit string }
	sums := map[key]*Item{}
	free := map[string]int{}
	var problems []error
	for _, stack := range slices.Sorted(maps.Keys(templates)) {
		resources, ok := templates[stack]["Resources"].(map[string]any)
		if !ok {
			problems = append(problems, fmt.Errorf("stack %s: no Resources", stack))
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(resources)) {
			r, err := newResource(stack, id, resources)
			r.templates = templates
			if err != nil {
				problems = append(problems, err)
				continue
			}
			items, err := r.cost(p, free)
			if err != nil {
				problems = append(problems, fmt.Errorf("stack %s, resource %s (%s): %w", stack, id, r.typ, err))
				continue
			}
			for _, it := range items {
				it.Tier = tierOf(stack, id)
				k := key{it.Tier, it.Name, it.Size, it.Unit}
				if sum, ok := sums[k]; ok {
					sum.Quantity += it.Quantity
					sum.Monthly += it.Monthly
					continue
				}
				sums[k] = &it
			}
		}
	}
	if err := errors.Join(problems...); err != nil {
		return Breakdown{}, err
	}
	b := Breakdown{Free: free}
	for _, it := range sums {
		b.Items = append(b.Items, *it)
	}
	slices.SortFunc(b.Items, compareItems)
	return b, nil
}

// tierOf is the stack's name suffix (shop-dev-web → web) when that is a tier. A
// stack holding several tiers (shop-dev-stateful) is split by logical ID, which
// the CDK starts with the construct's ID (DatabasePrimaryEDE0B3D0 → database).
func tierOf(stack, logicalID string) string {
	suffix := stack[strings.LastIndex(stack, "-")+1:]
	if slices.Contains(Tiers, suffix) {
		return suffix
	}
	id := strings.ToLower(logicalID)
	for _, tier := range Tiers {
		if strings.HasPrefix(id, tier) {
			return tier
		}
	}
	return suffix
}

// compareItems orders items by tier, then by the pricer and line that made them.
func compareItems(x, y Item) int {
	return cmp.Or(cmp.Compare(tierRank(x.Tier), tierRank(y.Tier)), cmp.Compare(x.Tier, y.Tier),
		cmp.Compare(x.rank, y.rank), cmp.Compare(x.Name, y.Name), cmp.Compare(x.Size, y.Size))
}

func tierRank(tier string) int {
	if i := slices.Index(Tiers, tier); i >= 0 {
		return i
	}
	return len(Tiers)
}

// resource is one resource of a template, with its stack's other resources so
// that references to them (a launch template, a replica's source) can be followed.
type resource struct {
	stack, id, typ string
	props          map[string]any
	siblings       map[string]any
	// templates are every stack's, by name: a Fn::GetStackOutput is followed to
	// the resource its output names (a cross-region replica's source).
	templates map[string]map[string]any
}

func newResource(stack, id string, siblings map[string]any) (resource, error) {
	body, _ := siblings[id].(map[string]any)
	typ, _ := body["Type"].(string)
	if typ == "" {
		return resource{}, fmt.Errorf("stack %s, resource %s: no Type", stack, id)
	}
	props, _ := body["Properties"].(map[string]any)
	return resource{stack: stack, id: id, typ: typ, props: props, siblings: siblings}, nil
}

// cost prices the resource, or counts it in free when its type has no idle cost.
func (r resource) cost(p Prices, free map[string]int) ([]Item, error) {
	price, listed := p.Prices[r.typ]
	i := slices.IndexFunc(pricers, func(pr pricer) bool { return pr.typ == r.typ })
	switch {
	case listed && price.Free != "":
		free[r.typ]++
		return nil, nil
	case !listed:
		return nil, fmt.Errorf("no price for %s in prices.json: price it, or list it as free at idle and say why", r.typ)
	case i < 0:
		return nil, fmt.Errorf("%s has a price in prices.json that the estimator does not read: add a pricer to internal/cost", r.typ)
	}
	items, err := pricers[i].cost(r, price, p.HoursPerMonth)
	for j := range items {
		items[j].rank = i*10 + j
	}
	return items, err
}

// ref returns the resource of type typ that the property at path refers to, with
// a Ref anywhere inside it, or with a Fn::GetStackOutput of another stack of the
// templates whose output holds such a Ref there.
func (r resource) ref(path, typ string) (resource, error) {
	type found struct {
		stack, id string
	}
	var refs []found
	var walk func(stack string, v any)
	walk = func(stack string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["Ref"].(string); ok && len(v) == 1 {
				refs = append(refs, found{stack, id})
			}
			if out, ok := v["Fn::GetStackOutput"].(map[string]any); ok && len(v) == 1 {
				other, _ := out["StackName"].(string)
				name, _ := out["OutputName"].(string)
				if output, ok := mapAt(r.templates[other], "Outputs", name); ok {
					walk(other, output["Value"])
				}
				return
			}
			for _, x := range v {
				walk(stack, x)
			}
		case []any:
			for _, x := range v {
				walk(stack, x)
			}
		}
	}
	walk(r.stack, lookup(r.props, path))
	for _, f := range refs {
		siblings := r.siblings
		if f.stack != r.stack {
			siblings, _ = r.templates[f.stack]["Resources"].(map[string]any)
		}
		if other, err := newResource(f.stack, f.id, siblings); err == nil && other.typ == typ {
			other.templates = r.templates
			return other, nil
		}
	}
	return resource{}, fmt.Errorf("property %s: want a reference to an %s in the same stack, or an output of another stack that refers to one", path, typ)
}

// mapAt returns the object at m[keys[0]][keys[1]]…, if there is one.
func mapAt(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// lookup returns the property at a dotted path, or nil.
func lookup(props map[string]any, path string) any {
	var v any = props
	for name := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[name]
	}
	return v
}

// literal reports a property that is not a plain value, such as an intrinsic
// function, which only CloudFormation can resolve.
func literal(path string, v any, want string) error {
	if m, ok := v.(map[string]any); ok {
		b, _ := json.Marshal(m)
		return fmt.Errorf("property %s is the CloudFormation intrinsic %s: want a %s the estimate can read at synth", path, b, want)
	}
	return fmt.Errorf("property %s is %v: want a %s", path, v, want)
}

// str returns the string property at path, or "" when it is absent.
func (r resource) str(path string) (string, error) {
	switch v := lookup(r.props, path).(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", literal(path, v, "string")
	}
}

// required returns the string property at path, which must be set.
func (r resource) required(path string) (string, error) {
	s, err := r.str(path)
	if err == nil && s == "" {
		err = fmt.Errorf("property %s is not set", path)
	}
	return s, err
}

// number returns the number at path, which CloudFormation may write as a string,
// and whether it is set.
func (r resource) number(path string) (float64, bool, error) {
	switch v := lookup(r.props, path).(type) {
	case nil:
		return 0, false, nil
	case float64:
		return v, true, nil
	case string:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false, literal(path, v, "number")
		}
		return n, true, nil
	default:
		return 0, false, literal(path, v, "number")
	}
}

// boolean returns the boolean at path, false when it is absent.
func (r resource) boolean(path string) (bool, error) {
	switch v := lookup(r.props, path).(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b, nil
		}
		return false, literal(path, v, "boolean")
	default:
		return false, literal(path, v, "boolean")
	}
}

// rejectSet fails when any of the properties, which the price table does not
// price, is set.
func (r resource) rejectSet(why string, paths ...string) error {
	for _, path := range paths {
		if lookup(r.props, path) != nil {
			return fmt.Errorf("property %s is set: %s", path, why)
		}
	}
	return nil
}

// sized returns the hourly price of a size, or an error naming the property.
func sized(p Price, path, size string) (float64, error) {
	hourly, ok := p.Sizes[size]
	if !ok {
		return 0, fmt.Errorf("property %s %q: no price for it in prices.json (want one of %s)", path, size, strings.Join(slices.Sorted(maps.Keys(p.Sizes)), ", "))
	}
	return hourly, nil
}

// perGB returns the GB-month price of a volume type, or an error naming the property.
func perGB(p Price, path, volume string) (float64, error) {
	price, ok := p.Storage[volume]
	if !ok {
		return 0, fmt.Errorf("property %s %q: no storage price for it in prices.json (want one of %s)", path, volume, strings.Join(slices.Sorted(maps.Keys(p.Storage)), ", "))
	}
	return price, nil
}
