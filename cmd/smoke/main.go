// Command smoke checks a running shop from the outside, as a shopper and an
// abuser reach it, in a bounded number of requests, and prints a table: each
// check, its result (pass, FAIL or skipped) and why. A check that cannot run
// against the target is skipped with the reason, never counted as passed. It
// exits 1 when a check failed or the stage's addresses cannot be read, 2 on a
// usage error (internal/smoke has the checks):
//
//	go run ./cmd/smoke -stage dev                    # make smoke STAGE=dev: the URLs from the stage's stack outputs
//	go run ./cmd/smoke -url http://127.0.0.1:8080    # make smoke URL=…: that base only, no stage's limits
//	go run ./cmd/smoke -stage dev -url https://… -api-url https://…   # given URLs, the stage's limits
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/smoke"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, newStacks))
}

// errUsage is a mistake in the command line: exit status 2.
var errUsage = errors.New("usage")

// run is the command: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, connect func(context.Context, string) (stacks, error)) int {
	flags := flag.NewFlagSet("smoke", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stage := flags.String("stage", "", "a deployed stage: its limits from infra/config, and, unless -url and -api-url give them, its URLs from its stacks' outputs (needs AWS credentials)")
	siteURL := flags.String("url", "", "the base URL to check, e.g. http://127.0.0.1:8080 for make run-local")
	apiURL := flags.String("api-url", "", "the HTTP API's own URL, which must refuse what did not come through CloudFront")
	timeout := flags.Duration("timeout", 5*time.Minute, "the most the whole run may take")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	target, err := resolve(ctx, *stage, *siteURL, *apiURL, connect)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, describe(target))
	report := smoke.Run(ctx, nil, target, smoke.DefaultOptions())
	report.Print(stdout)
	if report.Failed() {
		return 1
	}
	return 0
}

// resolve turns the command line into the target: the given URLs, and a stage's
// limits and, for the URLs not given, its stack outputs.
func resolve(ctx context.Context, stage, siteURL, apiURL string, connect func(context.Context, string) (stacks, error)) (smoke.Target, error) {
	target := smoke.Target{SiteURL: siteURL, APIURL: apiURL}
	if stage == "" && siteURL == "" {
		return target, fmt.Errorf("%w: give a stage (-stage, make smoke STAGE=…), a URL (-url, make smoke URL=…), or both", errUsage)
	}
	if stage != "" {
		cfg, err := config.ForStage(stage)
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			return target, fmt.Errorf("%w: %w", errUsage, err)
		}
		limits := smoke.LimitsOf(cfg)
		target.Stage = &limits
		if siteURL == "" || apiURL == "" {
			cf, err := connect(ctx, cfg.Region)
			if err == nil {
				err = lookUp(ctx, cf, cfg.Prefix, &target)
			}
			if err != nil {
				return target, fmt.Errorf("stage %s: %w", stage, err)
			}
		}
	}
	for _, u := range []struct{ flag, value string }{{"-url", target.SiteURL}, {"-api-url", target.APIURL}} {
		if p, err := url.Parse(u.value); u.value != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			return target, fmt.Errorf("%w: %s %q: want a base URL such as https://d111111abcdef8.cloudfront.net or http://127.0.0.1:8080", errUsage, u.flag, u.value)
		}
	}
	return target, nil
}

// describe is the line above the table: what is checked, against which limits.
func describe(t smoke.Target) string {
	line := "smoke of " + t.SiteURL
	if t.APIURL != "" {
		line += " (API " + t.APIURL + ")"
	}
	if t.Stage == nil {
		return line + ": no stage given, so no limits to expect"
	}
	l := t.Stage
	return fmt.Sprintf("%s, stage %s: WAF %s per IP, %s per session; POST /api/orders burst %d at %g/s",
		line, l.Stage, l.PerIP, l.PerSession, l.OrdersBurst, l.OrdersRate)
}
