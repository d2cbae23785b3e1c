// Package emf writes business metrics in CloudWatch's embedded metric format: one
// JSON line per record, which CloudWatch Logs turns into metrics as it ingests it.
// A Lambda function writes to its standard output; the service writes to its log
// file, which the CloudWatch agent ships. No API call, no IAM permission, and a
// local run simply prints the lines.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

const (
	Count   Unit = "Count"
	Seconds Unit = "Seconds"
	None    Unit = "None"
)

// Metric is one value of a record.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Recorder writes records to Out under one namespace, with the dimension
// Service=Service on every metric.
type Recorder struct {
	Out       io.Writer
	Namespace string
	Service   string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex // one record per write, even from many goroutines
}

// ServiceDimension is the one dimension of every metric.
const ServiceDimension = "Service"

// Record writes the metrics as one record. A nil Recorder records nothing, so
// code under test can leave it out.
func (r *Recorder) Record(metrics ...Metric) error {
	if r == nil || len(metrics) == 0 {
		return nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	type definition struct {
		Name string `json:"Name"`
		Unit Unit   `json:"Unit"`
	}
	defs := make([]definition, 0, len(metrics))
	record := map[string]any{ServiceDimension: r.Service}
	for _, m := range metrics {
		if m.Name == "_aws" || m.Name == ServiceDimension {
			return fmt.Errorf("emf: metric name %q is reserved", m.Name)
		}
		defs = append(defs, definition{Name: m.Name, Unit: m.Unit})
		record[m.Name] = m.Value
	}
	record["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  r.Namespace,
			"Dimensions": [][]string{{ServiceDimension}},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err = r.Out.Write(append(line, '\n'))
	return err
}
