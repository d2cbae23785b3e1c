package cost

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Markdown renders the estimates of the named stages, in the given order, as the
// README's table: one row per tier with its sum, one per item, and the total,
// under a line naming the prices and above their assumptions.
func Markdown(p Prices, stages []string, estimates map[string]Breakdown) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Monthly cost of each stage, idle, in %s: on-demand list prices in %s on %s, %g hours a month.\n",
		p.Currency, p.Region, p.Date, p.HoursPerMonth)
	b.WriteString("`make cost` writes this table from the synthesized templates and `internal/cost/prices.json`.\n\n")

	b.WriteString("| tier / item |")
	for _, s := range stages {
		b.WriteString(" " + s + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(stages)) + "\n")

	for _, row := range rows(stages, estimates) {
		if row.name == "" {
			fmt.Fprintf(&b, "| **%s** |", row.tier)
			for _, s := range stages {
				if est := estimates[s]; slices.Contains(est.Tiers(), row.tier) {
					fmt.Fprintf(&b, " **%s** |", money(est.TierTotal(row.tier)))
				} else {
					b.WriteString(" – |")
				}
			}
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "| %s |", row.name)
		for _, s := range stages {
			b.WriteString(" " + cell(estimates[s], row.tier, row.name) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total, idle** |")
	for _, s := range stages {
		fmt.Fprintf(&b, " **%s** |", money(estimates[s].Total()))
	}
	b.WriteString("\n")
	if len(p.Assumptions) > 0 {
		b.WriteString("\nAssumptions:\n\n")
		for _, a := range p.Assumptions {
			b.WriteString("- " + a + "\n")
		}
	}
	return b.String()
}

type row struct{ tier, name string } // a tier's own row has no name

// rows lists each tier, then its items, over all stages, in the estimates' order.
func rows(stages []string, estimates map[string]Breakdown) []row {
	var items []Item
	for _, s := range stages {
		for _, it := range estimates[s].Items {
			if !slices.ContainsFunc(items, func(x Item) bool { return x.Tier == it.Tier && x.Name == it.Name }) {
				items = append(items, it)
			}
		}
	}
	slices.SortFunc(items, compareItems)
	var out []row
	for i, it := range items {
		if i == 0 || items[i-1].Tier != it.Tier {
			out = append(out, row{tier: it.Tier})
		}
		out = append(out, row{tier: it.Tier, name: it.Name})
	}
	return out
}

// cell is what one stage has of one row, e.g. "db.m7g.large × 4 ≈ $491".
func cell(b Breakdown, tier, name string) string {
	var parts []string
	var sum float64
	for _, it := range b.Items {
		if it.Tier == tier && it.Name == name {
			parts = append(parts, quantity(it))
			sum += it.Monthly
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " + ") + " ≈ " + money(sum)
}

func quantity(it Item) string {
	switch {
	case it.Size != "":
		return fmt.Sprintf("%s × %g", it.Size, it.Quantity)
	case it.Unit != "":
		return fmt.Sprintf("%g %s", it.Quantity, it.Unit)
	default:
		return fmt.Sprintf("%g", it.Quantity)
	}
}

// money shows cents below $10 and whole dollars, with thousands separators, above.
func money(v float64) string {
	if v < 9.995 {
		return fmt.Sprintf("$%.2f", v)
	}
	digits := fmt.Sprintf("%.0f", math.Round(v))
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return "$" + digits
}

// WriteText writes one stage's estimate as an itemised, aligned list.
func WriteText(w io.Writer, stage string, b Breakdown, p Prices) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: monthly cost, idle, in %s (%s on-demand prices of %s)\n", stage, p.Currency, p.Region, p.Date)
	for _, tier := range b.Tiers() {
		fmt.Fprintf(tw, "  %s\t\t%9.2f\n", tier, b.TierTotal(tier))
		for _, it := range b.Items {
			if it.Tier == tier {
				fmt.Fprintf(tw, "    %s\t%s\t%9.2f\n", it.Name, quantity(it), it.Monthly)
			}
		}
	}
	fmt.Fprintf(tw, "  total\t\t%9.2f\n", b.Total())
	var free int
	for _, n := range b.Free {
		free += n
	}
	fmt.Fprintf(tw, "  no idle cost: %d resources of %d types (prices.json says why)\n", free, len(b.Free))
	return tw.Flush()
}
