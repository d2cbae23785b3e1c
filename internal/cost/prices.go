package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

//go:embed prices.json
var pricesJSON []byte

// Prices is a dated table of on-demand list prices in one region, keyed by
// CloudFormation resource type, with the assumptions the estimate rests on.
type Prices struct {
	// Date is when the prices were read off AWS's pricing pages (YYYY-MM-DD).
	Date     string `json:"date"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	// HoursPerMonth turns hourly prices into monthly ones (AWS uses 730).
	HoursPerMonth float64  `json:"hoursPerMonth"`
	Assumptions   []string `json:"assumptions"`
	// Prices says what each resource type costs, or why it costs nothing at idle.
	Prices map[string]Price `json:"prices"`
}

// Price is what one resource type costs. Which fields apply depends on the type:
// the estimator reads the sizes, volumes and counts from the template.
type Price struct {
	// Hourly is per resource-hour; Monthly is per resource-month.
	Hourly  float64 `json:"hourly,omitempty"`
	Monthly float64 `json:"monthly,omitempty"`
	// Sizes is per hour, by instance class, node type, instance type or variant.
	Sizes map[string]float64 `json:"sizes,omitempty"`
	// Storage is per GB-month, by volume type.
	Storage map[string]float64 `json:"storage,omitempty"`
	// Extras is per month, by what else the type bills: a WAF rule, an alarm metric.
	Extras map[string]float64 `json:"extras,omitempty"`
	// Free says why the type costs nothing at idle; set, it marks the type as free.
	Free string `json:"free,omitempty"`
}

// DefaultPrices returns the price table kept beside this package in prices.json.
func DefaultPrices() (Prices, error) {
	return ParsePrices(pricesJSON)
}

// ParsePrices reads a price table in the format of prices.json and checks that it
// prices every resource type the estimator knows how to cost.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Prices{}, fmt.Errorf("parse price table: %w", err)
	}
	var problems []error
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
		problems = append(problems, fmt.Errorf("date %q: want YYYY-MM-DD", p.Date))
	}
	if p.Region == "" || p.Currency == "" {
		problems = append(problems, errors.New("region and currency: want both set"))
	}
	if p.HoursPerMonth <= 0 {
		problems = append(problems, fmt.Errorf("hoursPerMonth %g: want more than 0", p.HoursPerMonth))
	}
	for _, pr := range pricers {
		if price, ok := p.Prices[pr.typ]; !ok || price.Free != "" {
			problems = append(problems, fmt.Errorf("%s: want a price, the estimator costs this type", pr.typ))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return Prices{}, fmt.Errorf("price table: %w", err)
	}
	return p, nil
}
