package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// HealthChecks is the part of Route 53 the failover uses.
type HealthChecks interface {
	GetHealthCheck(context.Context, *route53.GetHealthCheckInput, ...func(*route53.Options)) (*route53.GetHealthCheckOutput, error)
	UpdateHealthCheck(context.Context, *route53.UpdateHealthCheckInput, ...func(*route53.Options)) (*route53.UpdateHealthCheckOutput, error)
}

// drain is step 6: the old primary's calculated health check is made to need one
// healthy child more than it has, which Route 53 never finds, so its latency and
// failover records stop answering and every name resolves to this region. Its
// alarms recovering after the failover changes nothing: the old primary's
// database is no longer the one that writes. To fail back, set the threshold to
// the number of children again (README: Failover).
func (f Failover) drain(ctx context.Context) (Action, error) {
	id := f.Config.DrainHealthCheck
	if id == "" {
		return NotApplicable, nil
	}
	out, err := f.Checks.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: &id})
	if err != nil {
		return "", fmt.Errorf("health check %s: %w", id, err)
	}
	c := out.HealthCheck
	if c == nil || c.HealthCheckConfig == nil || c.HealthCheckConfig.Type != types.HealthCheckTypeCalculated {
		return "", fmt.Errorf("health check %s is not a calculated one: it cannot be made to fail by its threshold", id)
	}
	children := int32(len(c.HealthCheckConfig.ChildHealthChecks))
	if aws.ToInt32(c.HealthCheckConfig.HealthThreshold) > children {
		return AlreadyDone, nil
	}
	// The version makes the update fail if someone changed the check meanwhile.
	if _, err := f.Checks.UpdateHealthCheck(ctx, &route53.UpdateHealthCheckInput{
		HealthCheckId: &id, HealthCheckVersion: c.HealthCheckVersion, HealthThreshold: aws.Int32(children + 1),
	}); err != nil {
		return "", fmt.Errorf("fail health check %s: %w", id, err)
	}
	f.Log.InfoContext(ctx, "old primary drained", slog.String("healthCheck", id), slog.Int("threshold", int(children+1)), slog.Int("children", int(children)))
	return Done, nil
}
