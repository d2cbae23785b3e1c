package test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/infra/delivery"
)

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]job    `yaml:"jobs"`
}

type job struct {
	If          string            `yaml:"if"`
	Needs       any               `yaml:"needs"`
	Environment string            `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Strategy    struct {
		Matrix map[string][]string `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []struct {
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

const workflowFile = "../.github/workflows/ci-cd.yml"

func readWorkflow(t *testing.T) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	return w, string(raw)
}

// roleToAssume is the role a job's configure-aws-credentials step assumes.
func (j job) roleToAssume() string {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
			return s.With["role-to-assume"]
		}
	}
	return ""
}

func (j job) runs() string {
	var all []string
	for _, s := range j.Steps {
		all = append(all, s.Run)
	}
	return strings.Join(all, "\n")
}

// TestWorkflowNeedsTwoVariablesAndNoKeys: a fork sets AWS_ACCOUNT_ID and AWS_REGION
// and nothing else; no AWS secret is read anywhere.
func TestWorkflowNeedsTwoVariablesAndNoKeys(t *testing.T) {
	_, raw := readWorkflow(t)
	var vars []string
	for _, m := range regexp.MustCompile(`\bvars\.([A-Za-z0-9_]+)`).FindAllStringSubmatch(raw, -1) {
		if !slices.Contains(vars, m[1]) {
			vars = append(vars, m[1])
		}
	}
	slices.Sort(vars)
	if want := []string{"AWS_ACCOUNT_ID", "AWS_REGION"}; !slices.Equal(vars, want) {
		t.Errorf("the workflow reads variables %v, want exactly %v", vars, want)
	}
	if strings.Contains(raw, "secrets.") || strings.Contains(raw, "aws-access-key-id") {
		t.Error("the workflow reads a secret: AWS access must come through OIDC only")
	}
}

func TestWorkflowTriggersAndDefaultPermissions(t *testing.T) {
	w, _ := readWorkflow(t)
	if _, ok := w.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	push, _ := w.On["push"].(map[string]any)
	if branches, _ := push["branches"].([]any); len(branches) != 1 || branches[0] != "main" {
		t.Errorf("push branches %v, want [main]", push["branches"])
	}
	if len(w.Permissions) != 1 || w.Permissions["contents"] != "read" {
		t.Errorf("top-level permissions %v, want only contents: read", w.Permissions)
	}
	for name, j := range w.Jobs {
		wantToken := name == "diff" || strings.HasPrefix(name, "deploy-")
		if got := j.Permissions["id-token"] == "write"; got != wantToken {
			t.Errorf("job %s: id-token write is %v, want %v: only jobs that reach AWS get a token", name, got, wantToken)
		}
	}
}

// TestWorkflowDiffsEveryStageWithItsDiffRole: pull requests diff every stage, each
// through the read-only role the stage's delivery stack names.
func TestWorkflowDiffsEveryStageWithItsDiffRole(t *testing.T) {
	w, _ := readWorkflow(t)
	diff, ok := w.Jobs["diff"]
	if !ok {
		t.Fatal("no diff job")
	}
	if stages := diff.Strategy.Matrix["stage"]; !slices.Equal(stages, config.StageNames()) {
		t.Errorf("diff matrix stages %v, want %v", stages, config.StageNames())
	}
	if !strings.Contains(diff.If, "pull_request") {
		t.Errorf("diff runs if %q, want only on pull requests", diff.If)
	}
	if !strings.Contains(diff.runs(), "--no-change-set") {
		t.Error("the diff job must pass --no-change-set: its role may only read")
	}
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		role := strings.ReplaceAll(diff.roleToAssume(), "${{ matrix.stage }}", stage)
		if want := "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/" + delivery.DiffRoleName(cfg.Prefix); role != want {
			t.Errorf("%s: diff assumes %s, want %s", stage, role, want)
		}
	}
}

// TestWorkflowDeploysStagesInOrder: on main, dev then staging then prod, each job in
// the stage's GitHub environment (prod's holds the approval), with the stage's
// deploy role, and prod with the confirmation make asks for.
func TestWorkflowDeploysStagesInOrder(t *testing.T) {
	w, _ := readWorkflow(t)
	previous := "test"
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		name := "deploy-" + stage
		j, ok := w.Jobs[name]
		if !ok {
			t.Errorf("no job %s", name)
			continue
		}
		if j.Needs != previous {
			t.Errorf("%s needs %v, want %s", name, j.Needs, previous)
		}
		if j.Environment != stage {
			t.Errorf("%s runs in environment %q, want %q: the deploy role trusts only that environment", name, j.Environment, stage)
		}
		if want := "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/" + delivery.DeployRoleName(cfg.Prefix); j.roleToAssume() != want {
			t.Errorf("%s assumes %s, want %s", name, j.roleToAssume(), want)
		}
		cmd := "make deploy STAGE=" + stage
		if stage == "prod" {
			cmd += " CONFIRM=prod"
		}
		if !strings.Contains(j.runs(), cmd+" APPROVAL=never") {
			t.Errorf("%s runs\n%s\nwant %q", name, j.runs(), cmd+" APPROVAL=never")
		}
		previous = name
	}
	if dev := w.Jobs["deploy-dev"]; !strings.Contains(dev.If, "refs/heads/main") || !strings.Contains(dev.If, "pull_request") {
		t.Errorf("deploy-dev runs if %q, want only on main and never for a pull request", dev.If)
	}
}
