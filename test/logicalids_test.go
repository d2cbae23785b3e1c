package test

import (
	"fmt"
	"testing"
)

// TestStatefulLogicalIDs pins the logical IDs of resources whose replacement loses
// data or takes the stage down. A construct renamed or moved in the stateful stack
// changes its logical ID, and CloudFormation then deletes the old resource and
// creates a new one. If this test fails, you are about to replace these resources:
// keep the old construct IDs instead (or, if you mean it, plan the migration).
func TestStatefulLogicalIDs(t *testing.T) {
	pinned := map[string]string{
		"Network6E62CE96":         "AWS::EC2::VPC",
		"NetworkFlowLogs2BEC3212": "AWS::Logs::LogGroup",
		"NetworkIGWFFCF7729":      "AWS::EC2::InternetGateway",
		// The database: its data, the key that decrypts it and its snapshots, its
		// password, and the names and security group other tiers hold on to.
		"DatabasePrimaryEDE0B3D0":       "AWS::RDS::DBInstance",
		"DatabaseKey5E5D9547":           "AWS::KMS::Key",
		"DatabaseSecret3B817195":        "AWS::SecretsManager::Secret",
		"DatabaseZoneE8CE2781":          "AWS::Route53::HostedZone",
		"DatabaseSecurityGroup5C91FDCB": "AWS::EC2::SecurityGroup",
		// The cache, its key and AUTH token, and its security group.
		"Cache18F6EE16":              "AWS::ElastiCache::ReplicationGroup",
		"CacheKeyCDF9DE27":           "AWS::KMS::Key",
		"CacheAuthToken04672416":     "AWS::SecretsManager::Secret",
		"CacheSecurityGroup79A9F160": "AWS::EC2::SecurityGroup",
		// The buckets: the event archive, the reports and the access logs.
		"StorageAccessLogs96FB524C": "AWS::S3::Bucket",
		"StorageEvents1AF1C090":     "AWS::S3::Bucket",
		"StorageReports31B47EB2":    "AWS::S3::Bucket",
	}
	replicas := []string{"DatabaseReplica1ED560A1F", "DatabaseReplica2035311FF"}
	subnets := map[string][]string{
		"public": {"NetworkpublicSubnet1SubnetFE631E4C", "NetworkpublicSubnet2Subnet3F668A23", "NetworkpublicSubnet3Subnet0BA6B745"},
		"app":    {"NetworkappSubnet1Subnet63AA56BD", "NetworkappSubnet2SubnetD1C37E1B", "NetworkappSubnet3Subnet50F14C8F"},
		"data":   {"NetworkdataSubnet1Subnet8C7AFDF0", "NetworkdataSubnet2Subnet4F004583", "NetworkdataSubnet3SubnetD8B5EDB4"},
	}
	forEachStage(t, func(t *testing.T, s *synthesis, stack string) {
		want := map[string]string{}
		for id, typ := range pinned {
			want[id] = typ
		}
		for _, ids := range subnets {
			for _, id := range ids[:s.cfg.Network.AZs] {
				want[id] = "AWS::EC2::Subnet"
			}
		}
		if s.cfg.Database.Replicas > len(replicas) {
			t.Errorf("%d replicas: pin the logical IDs of the ones past %d here", s.cfg.Database.Replicas, len(replicas))
		}
		for _, id := range replicas[:min(s.cfg.Database.Replicas, len(replicas))] {
			want[id] = "AWS::RDS::DBInstance"
		}
		resources := s.templates[stack]["Resources"].(map[string]any)
		for id, typ := range want {
			r, ok := resources[id].(map[string]any)
			if !ok {
				t.Errorf("%s (%s) is gone: its replacement would be created under a new logical ID", id, typ)
				continue
			}
			if got := fmt.Sprint(r["Type"]); got != typ {
				t.Errorf("%s: got type %s, want %s", id, got, typ)
			}
		}
	})
}
