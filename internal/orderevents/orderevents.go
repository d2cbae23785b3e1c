// Package orderevents is the contract of the order events the service publishes to
// SNS and the consumers read from SQS: one JSON document per event, and its type
// repeated in the eventType message attribute that the subscriptions filter on.
package orderevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Type names what happened to an order.
type Type string

const (
	OrderPlaced    Type = "OrderPlaced"
	OrderCancelled Type = "OrderCancelled"
)

// TypeAttribute is the SNS/SQS message attribute that carries the event type.
const TypeAttribute = "eventType"

// Event is one order event.
type Event struct {
	EventID       string    `json:"eventId"`
	Type          Type      `json:"eventType"`
	OccurredAt    time.Time `json:"occurredAt"`
	OrderID       string    `json:"orderId"`
	CustomerEmail string    `json:"customerEmail"`
	Lines         []Line    `json:"lines"`
	TotalCents    int64     `json:"totalCents"`
}

// Line is one product of an order.
type Line struct {
	ProductID      int64 `json:"productId"`
	Quantity       int   `json:"quantity"`
	UnitPriceCents int64 `json:"unitPriceCents"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ErrInvalid wraps every reason an event is refused; such a message can never
// succeed and belongs in the dead-letter queue.
var ErrInvalid = errors.New("invalid order event")

// Parse decodes and validates one event. Unknown fields are allowed, so producers
// can add fields before consumers know them.
func Parse(body []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return Event{}, fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, err)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate reports every missing or wrong field of e at once.
func (e Event) Validate() error {
	var problems []string
	if !uuidPattern.MatchString(e.EventID) {
		problems = append(problems, fmt.Sprintf("eventId %q: want a lower-case UUID", e.EventID))
	}
	if e.Type != OrderPlaced && e.Type != OrderCancelled {
		problems = append(problems, fmt.Sprintf("eventType %q: want OrderPlaced or OrderCancelled", e.Type))
	}
	if e.OccurredAt.IsZero() {
		problems = append(problems, "occurredAt: missing")
	}
	if !uuidPattern.MatchString(e.OrderID) {
		problems = append(problems, fmt.Sprintf("orderId %q: want a lower-case UUID", e.OrderID))
	}
	if !strings.Contains(e.CustomerEmail, "@") {
		problems = append(problems, fmt.Sprintf("customerEmail %q: want an email address", e.CustomerEmail))
	}
	if len(e.Lines) == 0 {
		problems = append(problems, "lines: want at least one")
	}
	for i, l := range e.Lines {
		if l.ProductID <= 0 || l.Quantity <= 0 || l.UnitPriceCents < 0 {
			problems = append(problems, fmt.Sprintf("lines[%d]: want productId > 0, quantity > 0, unitPriceCents >= 0", i))
		}
	}
	if e.TotalCents < 0 {
		problems = append(problems, "totalCents: want >= 0")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Items is the number of units in the order.
func (e Event) Items() int {
	n := 0
	for _, l := range e.Lines {
		n += l.Quantity
	}
	return n
}
