package shop

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/example/scalable-web/internal/pg"
	"github.com/example/scalable-web/internal/shopapi"
)

// OriginHeader and OriginSecretKey are the contract with the CDN stack.
const (
	OriginHeader    = shopapi.OriginHeader
	OriginSecretKey = shopapi.OriginSecretKey
)

// OriginGuard refuses with 403, before any handler runs, every request that does
// not carry OriginHeader with the current or the previous value of the origin
// secret: accepting both lets the secret rotate while CloudFront still sends the
// old value. The load balancer's health checks (Open) do not come through
// CloudFront and pass; API Gateway has no route to them.
type OriginGuard struct {
	Secrets  pg.SecretReader
	SecretID string
	// Refresh is how often the values are read again; a request with a value that
	// matches neither reads them again too, at most once per MinReread, so a
	// rotation is picked up at once and a flood of forged headers costs one read.
	Refresh, MinReread time.Duration
	Open               []string
	Log                *slog.Logger

	mu       sync.Mutex
	values   [][]byte
	tried    time.Time
	inflight chan struct{}
}

// Wrap guards next.
func (g *OriginGuard) Wrap(next http.Handler) http.Handler {
	open := map[string]bool{}
	for _, p := range g.Open {
		open[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if open[r.URL.Path] || g.admits(r.Context(), r.Header.Get(OriginHeader)) {
			next.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusForbidden, "forbidden: requests reach this API through the site's CloudFront distribution only")
	})
}

// admits reports whether got is one of the secret's accepted values. With no
// value read yet (Secrets Manager unreachable since start-up) nothing is admitted:
// the guard fails closed.
func (g *OriginGuard) admits(ctx context.Context, got string) bool {
	if got == "" {
		return false
	}
	g.mu.Lock()
	// Stale counts from the last try, not the last success: with Secrets Manager
	// down, one background read per Refresh, not one per request.
	values, stale := g.values, time.Since(g.tried) > g.Refresh
	g.mu.Unlock()
	if match(values, got) {
		if stale {
			go g.reread(context.WithoutCancel(ctx), g.Refresh)
		}
		return true
	}
	return match(g.reread(ctx, g.MinReread), got)
}

// Prime reads the values once, at start-up.
func (g *OriginGuard) Prime(ctx context.Context) error {
	if len(g.reread(ctx, 0)) == 0 {
		return errors.New("origin secret " + g.SecretID + ": not readable; every request is refused until it is")
	}
	return nil
}

func match(values [][]byte, got string) bool {
	ok := false
	for _, v := range values {
		// Compare with every value, in constant time, whatever matched before.
		if subtle.ConstantTimeCompare(v, []byte(got)) == 1 {
			ok = true
		}
	}
	return ok
}

// reread reads the values again unless that was tried less than gap ago;
// concurrent callers share one read. On failure the last values read stay.
func (g *OriginGuard) reread(ctx context.Context, gap time.Duration) [][]byte {
	g.mu.Lock()
	if done := g.inflight; done != nil {
		g.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.values
	}
	if time.Since(g.tried) < gap {
		defer g.mu.Unlock()
		return g.values
	}
	g.tried = time.Now()
	done := make(chan struct{})
	g.inflight = done
	g.mu.Unlock()

	read, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	values, err := g.read(read)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight = nil
	close(done)
	if err != nil {
		if g.Log != nil {
			g.Log.Warn("origin secret: read failed, keeping the last values", slog.String("error", err.Error()))
		}
		return g.values
	}
	g.values = values
	return g.values
}

// read returns the secret's AWSCURRENT value and, when there is one, its
// AWSPREVIOUS value.
func (g *OriginGuard) read(ctx context.Context) ([][]byte, error) {
	var values [][]byte
	for _, stage := range []string{"AWSCURRENT", "AWSPREVIOUS"} {
		out, err := g.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
			SecretId: aws.String(g.SecretID), VersionStage: aws.String(stage),
		})
		var notFound *smtypes.ResourceNotFoundException
		if stage == "AWSPREVIOUS" && errors.As(err, &notFound) {
			break // never rotated: one value
		}
		if err != nil {
			return nil, err
		}
		value, err := originValue(out.SecretString)
		if err != nil {
			return nil, err
		}
		values = append(values, value)
	}
	return values, nil
}

func originValue(s *string) ([]byte, error) {
	if s == nil {
		return nil, errors.New("origin secret: no string value")
	}
	var doc map[string]string
	if err := json.Unmarshal([]byte(*s), &doc); err != nil {
		return nil, errors.New("origin secret: want JSON with a \"" + OriginSecretKey + "\" key")
	}
	v := doc[OriginSecretKey]
	if len(v) < 32 {
		return nil, errors.New("origin secret: the \"" + OriginSecretKey + "\" value is shorter than 32 characters")
	}
	return []byte(v), nil
}
