package orderevents

import (
	"errors"
	"testing"
)

// FuzzParse feeds the consumers' event parser arbitrary message bodies: it must
// never panic, and whatever it refuses must be ErrInvalid (so the message goes to
// its dead-letter queue) and whatever it accepts must validate. Seeds live in
// testdata/fuzz/FuzzParse; make fuzz runs it longer.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"eventId":"8d9c2c3e-5b1a-4f7e-9c1d-2a3b4c5d6e7f","eventType":"OrderPlaced","occurredAt":"2026-11-01T10:00:00Z","orderId":"1d9c2c3e-5b1a-4f7e-9c1d-2a3b4c5d6e7f","customerEmail":"a@example.com","lines":[{"productId":1,"quantity":2,"unitPriceCents":100}],"totalCents":200}`,
		`{"eventType":"OrderCancelled"}`, `{}`, `[]`, `null`, ``, `{"lines":[null]}`, `{"occurredAt":"not a time"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid: the message would be retried instead of dead-lettered", err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Errorf("Parse accepted an event that does not validate: %v", err)
		}
		_ = e.Items()
	})
}
