package connbudget

import "testing"

func TestMaxConnections(t *testing.T) {
	for _, tt := range []struct {
		gib  float64
		want int
	}{{1, 84}, {4, 337}, {8, 675}, {128, 5000}} {
		if got := MaxConnections(tt.gib); got != tt.want {
			t.Errorf("%v GiB: got %d, want %d", tt.gib, got, tt.want)
		}
	}
}

func TestPrimaryCountsTheReaderPoolsWithoutReplicas(t *testing.T) {
	s := Stage{FleetMax: 2, Replicas: 0, DatabaseConsumers: 2, ConsumerConcurrency: 2, Rotations: 5}
	if got := Primary(s).Total(); got != 2*20+2*2+1+1+1+10+15 {
		t.Errorf("no replicas: got %s", Primary(s))
	}
	s.Replicas = 1
	if got := Primary(s).Total(); got != 2*10+2*2+0+1+1+10+15 {
		t.Errorf("with a replica: got %s", Primary(s))
	}
}
