package database

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/scalable-web/infra/alarms"
	"github.com/example/scalable-web/infra/dashboard"
)

// PostgreSQL on RDS allows about one connection per 9.1 MiB of instance memory.
const bytesPerConnection = 9531392

// addAlarms watches the primary (CPU, storage, memory, connections) and each replica
// (the same, plus lag). The stack sends them to the ops topic. Missing data is not
// breaching: an instance that stops reporting shows up in the API's and the load
// balancer's 5xx alarms, which page.
func (d *Database) addAlarms(props Props) {
	d.watch("Primary", d.Primary, props, "")
	for i, r := range d.Replicas {
		name := fmt.Sprintf("Replica%d", i+1)
		d.watch(name, r, props, fmt.Sprintf("%s: more than %ds behind the primary; the service reads from the primary instead", name, props.ReplicaLagAlarmSeconds))
	}
}

// watch adds the alarms of one instance: CPU, storage, memory, connections and,
// for a replica (lag names what its lag means), replica lag.
func (d *Database) watch(name string, instance awsrds.IDatabaseInstance, props Props, lag string) {
	memory := props.MemoryGiB * (1 << 30)
	d.alarm(name+"Cpu", instance.Metric(jsii.String("CPUUtilization"), nil), 80,
		false, name+": CPU above 80% for 15 minutes")
	d.alarm(name+"FreeStorage", instance.Metric(jsii.String("FreeStorageSpace"), nil), float64(props.AllocatedStorageGiB)*(1<<30)/10,
		true, name+": less than 10% of the allocated storage free (autoscaling should have grown it)")
	d.alarm(name+"FreeMemory", instance.Metric(jsii.String("FreeableMemory"), nil), memory/10,
		true, name+": less than 10% of memory freeable")
	d.alarm(name+"Connections", instance.Metric(jsii.String("DatabaseConnections"), nil), 0.8*memory/bytesPerConnection,
		false, name+": above 80% of max_connections")
	if lag != "" {
		d.alarm(name+"Lag", instance.Metric(jsii.String("ReplicaLag"), nil), float64(props.ReplicaLagAlarmSeconds), false, lag)
	}
}

// alarm fires when metric, averaged over 5 minutes, crosses threshold in 3
// consecutive periods. Missing data is not breaching: an instance being replaced
// reports nothing for a while.
func (d *Database) alarm(what string, metric awscloudwatch.Metric, threshold float64, below bool, description string) {
	d.Alarms = append(d.Alarms, alarms.New(d.Construct, what, alarms.Props{
		Metric:    metric.With(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Average")}),
		Threshold: threshold, Below: below, Description: description,
	}))
}

// DashboardRow charts the primary and each replica: CPU, connections, free
// storage, and the replicas' lag.
func (d *Database) DashboardRow() dashboard.Row {
	stat := dashboard.Stat
	instances := []awsrds.IDatabaseInstance{d.Primary}
	for _, r := range d.Replicas {
		instances = append(instances, r)
	}
	var cpu, conns, storage, lag []awscloudwatch.IMetric
	for i, in := range instances {
		cpu = append(cpu, in.MetricCPUUtilization(stat("Average")))
		conns = append(conns, in.MetricDatabaseConnections(stat("Maximum")))
		storage = append(storage, in.MetricFreeStorageSpace(stat("Minimum")))
		if i > 0 {
			lag = append(lag, in.Metric(jsii.String("ReplicaLag"), stat("Maximum")))
		}
	}
	graphs := []dashboard.Graph{{Title: "CPU (%)", Metrics: cpu}, {Title: "Connections", Metrics: conns}, {Title: "Free storage (bytes)", Metrics: storage}}
	if len(lag) > 0 {
		graphs = append(graphs, dashboard.Graph{Title: "Replica lag (s)", Metrics: lag})
	}
	return dashboard.Row{Title: "PostgreSQL: the primary and each replica", Graphs: graphs}
}
