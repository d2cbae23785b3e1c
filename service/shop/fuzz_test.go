package shop

import (
	"strings"
	"testing"
)

// FuzzDecodeOrderRequest feeds the order decoder arbitrary bodies: it must never
// panic, accept trailing data, or answer with Go's words. Seeds live in
// testdata/fuzz/FuzzDecodeOrderRequest; make fuzz runs it longer.
func FuzzDecodeOrderRequest(f *testing.F) {
	for _, seed := range []string{
		`{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1}]}`,
		`{"customerEmail":"a@example.com","lines":[{"productId":1,"quantity":1}]} {"x":1}`,
		`{"customerEmail":1}`, `{"lines":[{"productId":"1"}]}`, `[]`, `null`, ``, `{`, `{"lines":null}`,
		`{"customerEmail":"a@example.com","lines":[{"productId":1e400,"quantity":1}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req OrderRequest
		err := decodeJSON(strings.NewReader(string(body)), &req)
		if err == nil {
			_ = req.Validate() // must not panic either
			_ = req.Hash()
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "body: ") {
			t.Errorf("error %q does not start with the part of the request it is about", msg)
		}
		for _, leak := range leaks {
			if strings.Contains(msg, leak) {
				t.Errorf("error %q carries %q", msg, leak)
			}
		}
	})
}
