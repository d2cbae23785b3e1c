package shop

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// originSecrets is Secrets Manager holding the origin secret: versions move from
// AWSCURRENT to AWSPREVIOUS on a rotation, as put-secret-value does.
type originSecrets struct {
	mu                sync.Mutex
	current, previous string
	down              bool
	reads             atomic.Int64
}

func (s *originSecrets) rotate(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.previous, s.current = s.current, value
}

func (s *originSecrets) setDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

func (s *originSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errors.New("secretsmanager: connection refused")
	}
	v := s.current
	if in.VersionStage != nil && *in.VersionStage == "AWSPREVIOUS" {
		if s.previous == "" {
			return nil, &smtypes.ResourceNotFoundException{Message: new(string)}
		}
		v = s.previous
	}
	doc := `{"` + OriginSecretKey + `":"` + v + `"}`
	return &secretsmanager.GetSecretValueOutput{SecretString: &doc}, nil
}

const (
	firstValue  = "first-origin-value-0123456789abcdef"
	secondValue = "second-origin-value-0123456789abcdef"
	thirdValue  = "third-origin-value-0123456789abcdef"
)

// guarded is a handler behind an origin guard that counts the requests reaching it.
func guarded(t *testing.T, secrets *originSecrets, minReread time.Duration) (http.Handler, *OriginGuard, *atomic.Int64) {
	t.Helper()
	var reached atomic.Int64
	g := &OriginGuard{Secrets: secrets, SecretID: "shop-test/origin-verify", Refresh: time.Hour, MinReread: minReread,
		Open: []string{"/healthz"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	return h, g, &reached
}

// primed is guarded after the guard's first, successful, read of the secret.
func primed(t *testing.T, secrets *originSecrets, minReread time.Duration) (http.Handler, *atomic.Int64) {
	t.Helper()
	h, g, reached := guarded(t, secrets, minReread)
	if err := g.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, reached
}

func call(h http.Handler, path, header string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if header != "" {
		req.Header.Set(OriginHeader, header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestOriginGuardRefusesWhatDidNotComeThroughCloudFront(t *testing.T) {
	secrets := &originSecrets{current: firstValue}
	h, reached := primed(t, secrets, 0)
	for _, tc := range []struct {
		name, path, header string
		want               int
	}{
		{"no header", "/api/products", "", http.StatusForbidden},
		{"a forged value", "/api/products", "guess", http.StatusForbidden},
		{"the value with a suffix", "/api/products", firstValue + "x", http.StatusForbidden},
		{"a prefix of the value", "/api/products", firstValue[:20], http.StatusForbidden},
		{"the current value", "/api/products", firstValue, http.StatusOK},
		{"the load balancer's health check", "/healthz", "", http.StatusOK},
	} {
		if got := call(h, tc.path, tc.header); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if n := reached.Load(); n != 2 {
		t.Errorf("%d requests reached the handler, want 2: a refused request must do no work", n)
	}
}

// TestOriginGuardAcceptsBothValuesDuringARotation: after put-secret-value the
// service accepts the new value at once (CloudFront sends it after the next
// deploy) and the old one until the secret rotates again.
func TestOriginGuardAcceptsBothValuesDuringARotation(t *testing.T) {
	secrets := &originSecrets{current: firstValue}
	h, _ := primed(t, secrets, 0)
	secrets.rotate(secondValue)
	if got := call(h, "/", secondValue); got != http.StatusOK {
		t.Errorf("the new value right after the rotation: %d, want 200", got)
	}
	if got := call(h, "/", firstValue); got != http.StatusOK {
		t.Errorf("the old value during the rotation: %d, want 200", got)
	}
	secrets.rotate(thirdValue)
	if got := call(h, "/", thirdValue); got != http.StatusOK {
		t.Errorf("the third value: %d, want 200", got)
	}
	if got := call(h, "/", firstValue); got != http.StatusForbidden {
		t.Errorf("the first value two rotations later: %d, want 403", got)
	}
}

// TestOriginGuardWithSecretsManagerDown: values read once stay accepted while
// Secrets Manager is unreachable; with none ever read, everything is refused.
func TestOriginGuardWithSecretsManagerDown(t *testing.T) {
	secrets := &originSecrets{current: firstValue}
	h, _ := primed(t, secrets, 0)
	secrets.setDown(true)
	if got := call(h, "/", firstValue); got != http.StatusOK {
		t.Errorf("known value, Secrets Manager down: %d, want 200", got)
	}
	if got := call(h, "/", "forged"); got != http.StatusForbidden {
		t.Errorf("forged value, Secrets Manager down: %d, want 403", got)
	}

	cold := &originSecrets{current: firstValue, down: true}
	h, g, reached := guarded(t, cold, 0)
	if err := g.Prime(context.Background()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Prime with Secrets Manager down: %v, want an error saying requests are refused", err)
	}
	if got := call(h, "/", firstValue); got != http.StatusForbidden || reached.Load() != 0 {
		t.Errorf("no value ever read: %d (handler reached %d times), want 403 and no work", got, reached.Load())
	}
}

// TestOriginGuardBoundsSecretReads: a flood of forged headers reads the secret
// again at most once per MinReread, not once per request.
func TestOriginGuardBoundsSecretReads(t *testing.T) {
	secrets := &originSecrets{current: firstValue}
	h, _ := primed(t, secrets, time.Hour)
	before := secrets.reads.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				call(h, "/api/products", "forged")
			}
		}()
	}
	wg.Wait()
	if n := secrets.reads.Load() - before; n > 0 {
		t.Errorf("1000 forged requests within MinReread read the secret %d more times, want 0", n)
	}
}

// TestServerRefusesBeforeAnyWork: through the service's own handler, a request
// without the header is refused before the route's handler touches the database
// (there is none here: reaching it would panic and answer 500).
func TestServerRefusesBeforeAnyWork(t *testing.T) {
	secrets := &originSecrets{current: firstValue}
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Origin: &OriginGuard{Secrets: secrets, SecretID: "s", Refresh: time.Hour, MinReread: time.Second, Open: []string{"/healthz"}}}
	if err := s.Origin.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, path := range []string{"/api/products", "/api/products/1", "/api/orders/1", "/readyz", "/internal/stats"} {
		if got := call(h, path, ""); got != http.StatusForbidden {
			t.Errorf("GET %s without the origin header: %d, want 403", path, got)
		}
	}
	if got := call(h, "/healthz", ""); got != http.StatusOK {
		t.Errorf("GET /healthz: %d, want 200", got)
	}
}
