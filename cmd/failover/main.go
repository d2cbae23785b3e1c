// Command failover starts a stage's failover into its standby region: the ARC
// Region switch plan its failover stack deploys (make failover STAGE=prod
// TO=us-west-2 CONFIRM=prod). With -dry-run it reads the plan from the
// synthesized template and prints its steps, starting nothing and calling no AWS
// API (make failover ... DRY_RUN=1).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/example/scalable-web/infra/config"
)

func main() {
	stage := flag.String("stage", "", "the stage")
	to := flag.String("to", "", "the region to fail over to: the stage's standby region")
	dryRun := flag.Bool("dry-run", false, "print the plan's steps from the synthesized template; start nothing")
	out := flag.String("out", "cdk.out", "the cloud assembly -dry-run reads (make synth OUT=…)")
	flag.Parse()
	cfg, err := stageConfig(*stage, *to)
	if err == nil {
		if *dryRun {
			err = printPlan(os.Stdout, cfg, *out)
		} else {
			err = start(cfg)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// stageConfig is the stage's validated configuration, if to is the region its
// plan can activate.
func stageConfig(stage, to string) (config.Config, error) {
	cfg, err := config.ForStage(stage)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return cfg, err
	}
	switch {
	case !cfg.Secondary.Enabled():
		return cfg, fmt.Errorf("stage %s runs in one region (secondary.region is empty): there is nothing to fail over to", stage)
	case to != cfg.Secondary.Region:
		return cfg, fmt.Errorf("TO %q: want %s, the standby region of %s, which its plan activates; the way back to %s is the README's failback", to, cfg.Secondary.Region, stage, cfg.Region)
	}
	return cfg, nil
}

// planStack is the name of the stack that holds the stage's plan.
func planStack(cfg config.Config) string { return cfg.StandbyStackName("failover") }

// printPlan prints the plan's workflows and steps, and the Go step's bounds, as
// the synthesized template has them.
func printPlan(w io.Writer, cfg config.Config, out string) error {
	path := filepath.Join(out, planStack(cfg)+".template.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: synthesize the stage first (make synth STAGE=%s OUT=%s)", err, cfg.Stage, out)
	}
	var template struct {
		Resources map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if err := json.Unmarshal(raw, &template); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var plan struct {
		Name, PrimaryRegion          string
		Regions                      []string
		RecoveryTimeObjectiveMinutes int
		Workflows                    []struct {
			WorkflowTargetAction, WorkflowTargetRegion string
			Steps                                      []struct{ Name, ExecutionBlockType, Description string }
		}
	}
	var env map[string]any
	for _, r := range template.Resources {
		switch r.Type {
		case "AWS::ARCRegionSwitch::Plan":
			err = errors.Join(err, json.Unmarshal(r.Properties, &plan))
		case "AWS::Lambda::Function":
			var fn struct {
				Environment struct{ Variables map[string]any }
			}
			if json.Unmarshal(r.Properties, &fn) == nil && fn.Environment.Variables["FAILOVER_MAX_LAG_SECONDS"] != nil {
				env = fn.Environment.Variables
			}
		}
	}
	if err != nil || plan.Name == "" {
		return fmt.Errorf("%s: no readable AWS::ARCRegionSwitch::Plan (%v)", path, err)
	}
	fmt.Fprintf(w, "plan %s (regions %s, primary %s, RTO %d min), from %s\n", plan.Name, strings.Join(plan.Regions, ", "), plan.PrimaryRegion, plan.RecoveryTimeObjectiveMinutes, path)
	for _, wf := range plan.Workflows {
		fmt.Fprintf(w, "%s %s:\n", wf.WorkflowTargetAction, wf.WorkflowTargetRegion)
		for i, st := range wf.Steps {
			fmt.Fprintf(w, "  %d. %s (%s): %s\n", i+1, st.Name, st.ExecutionBlockType, st.Description)
		}
	}
	if env != nil {
		fmt.Fprintf(w, "the Go step refuses a lag above %v s, or unknown, unless SSM parameter %v holds accept-data-loss:<replica identifier>\n",
			env["FAILOVER_MAX_LAG_SECONDS"], env["FAILOVER_OVERRIDE_PARAMETER"])
	}
	fmt.Fprintf(w, "dry run: nothing started. make failover STAGE=%s TO=%s CONFIRM=%s starts it.\n", cfg.Stage, cfg.Secondary.Region, cfg.Stage)
	return nil
}

// start reads the plan's ARN from its stack and starts its activation of the
// standby region, with the AWS CLI and the caller's credentials.
func start(cfg config.Config) error {
	region := cfg.Secondary.Region
	arn, err := aws("cloudformation", "describe-stacks", "--region", region, "--stack-name", planStack(cfg),
		"--query", "Stacks[0].Outputs[?OutputKey=='PlanArn'].OutputValue", "--output", "text")
	if err != nil {
		return err
	}
	fmt.Printf("starting %s: activate %s\n", arn, region)
	execution, err := aws("arc-region-switch", "start-plan-execution", "--region", region, "--plan-arn", arn,
		"--target-region", region, "--action", "activate", "--query", "executionId", "--output", "text")
	if err != nil {
		return err
	}
	fmt.Printf("execution %s started. It waits for approval: assume the role in the failover stack's ApproverRoleArn output, then\n"+
		"  aws arc-region-switch approve-plan-execution-step --region %s --plan-arn %s --execution-id %s --step-name approve --approval approve\n",
		execution, region, arn, execution)
	return nil
}

// aws runs the AWS CLI and returns its trimmed output.
func aws(args ...string) (string, error) {
	cmd := exec.Command("aws", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("aws %s: %w", strings.Join(args[:2], " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
