// Package removal turns the stage's removal policy into the CDK's, per kind of
// resource.
package removal

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/scalable-web/infra/config"
)

// Policy is the removal policy of a resource that holds data and supports a final
// snapshot (databases, caches).
func Policy(p config.RemovalPolicy) awscdk.RemovalPolicy {
	switch p {
	case config.Destroy:
		return awscdk.RemovalPolicy_DESTROY
	case config.Snapshot:
		return awscdk.RemovalPolicy_SNAPSHOT
	default:
		return awscdk.RemovalPolicy_RETAIN
	}
}

// Keep is the removal policy of what must outlive a resource's snapshots or cannot
// be snapshotted (keys, secrets, log groups): anything but DESTROY retains, and the
// zero value retains. A KMS key deleted with its database makes every snapshot
// encrypted with it unreadable.
func Keep(p awscdk.RemovalPolicy) awscdk.RemovalPolicy {
	if p == awscdk.RemovalPolicy_DESTROY {
		return p
	}
	return awscdk.RemovalPolicy_RETAIN
}
