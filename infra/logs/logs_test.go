package logs

import (
	"testing"

	"github.com/example/scalable-web/infra/config"
)

// The stage configuration validates retention against config.LogRetentionDays; every
// value it accepts must convert here, and nothing else.
func TestRetentionCoversTheConfigList(t *testing.T) {
	for _, days := range config.LogRetentionDays {
		if _, ok := retentions[days]; !ok {
			t.Errorf("config accepts %d days, Retention does not convert it", days)
		}
	}
	if got, want := len(retentions), len(config.LogRetentionDays); got != want {
		t.Errorf("Retention converts %d periods, config accepts %d", got, want)
	}
}
