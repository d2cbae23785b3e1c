package test

import (
	"encoding/json"
	"os"
	"os/exec"
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
	Concurrency concurrency       `yaml:"concurrency"`
	Defaults    struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Jobs map[string]job `yaml:"jobs"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress any    `yaml:"cancel-in-progress"`
}

type job struct {
	If          string            `yaml:"if"`
	Needs       any               `yaml:"needs"`
	Environment string            `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency concurrency       `yaml:"concurrency"`
	Strategy    struct {
		MaxParallel int            `yaml:"max-parallel"`
		FailFast    *bool          `yaml:"fail-fast"`
		Matrix      map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Outputs map[string]string `yaml:"outputs"`
	Steps   []step            `yaml:"steps"`
}

type step struct {
	ID              string         `yaml:"id"`
	If              string         `yaml:"if"`
	Uses            string         `yaml:"uses"`
	Run             string         `yaml:"run"`
	Shell           string         `yaml:"shell"`
	With            map[string]any `yaml:"with"`
	ContinueOnError any            `yaml:"continue-on-error"`
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
			role, _ := s.With["role-to-assume"].(string)
			return role
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
		wantToken := name == "diff" || name == "deploy"
		if got := j.Permissions["id-token"] == "write"; got != wantToken {
			t.Errorf("job %s: id-token write is %v, want %v: only jobs that reach AWS get a token", name, got, wantToken)
		}
	}
}

// stagesMatrix is the matrix that the diff and deploy jobs take from the test job,
// which reads it from infra/config through cmd/stage.
const stagesMatrix = "${{ fromJSON(needs.test.outputs.stages) }}"

// matrixStage is one entry of cmd/stage -matrix.
type matrixStage struct {
	Stage, Prefix string
	Production    bool
}

// TestWorkflowTakesTheStagesFromTheConfig: no stage list is written in the
// workflow; the test job prints cmd/stage's matrix, which lists every stage of
// infra/config in promotion order with its prefix.
func TestWorkflowTakesTheStagesFromTheConfig(t *testing.T) {
	w, raw := readWorkflow(t)
	for i, line := range strings.Split(raw, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, stage := range config.StageNames() {
			if regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(stage) + `([^\w-]|$)`).MatchString(line) {
				t.Errorf("%s:%d names stage %s: %q; take the stages from the test job's stages output", workflowFile, i+1, stage, strings.TrimSpace(line))
			}
		}
	}
	test := w.Jobs["test"]
	if test.Outputs["stages"] != "${{ steps.stages.outputs.stages }}" || !strings.Contains(test.runs(), "go run ./cmd/stage -matrix") {
		t.Errorf("the test job's outputs %v and steps do not publish cmd/stage -matrix as stages", test.Outputs)
	}
	out, err := exec.Command("go", "run", "../cmd/stage", "-matrix").Output()
	if err != nil {
		t.Fatalf("cmd/stage -matrix: %v", err)
	}
	var got []matrixStage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("cmd/stage -matrix printed %s: %v", out, err)
	}
	var want []matrixStage
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		want = append(want, matrixStage{cfg.Stage, cfg.Prefix, cfg.Production})
	}
	if !slices.Equal(got, want) {
		t.Errorf("cmd/stage -matrix %+v, want %+v", got, want)
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
	if got := diff.Strategy.Matrix["include"]; got != stagesMatrix {
		t.Errorf("diff matrix include %v, want %s", got, stagesMatrix)
	}
	if !strings.Contains(diff.If, "pull_request") {
		t.Errorf("diff runs if %q, want only on pull requests", diff.If)
	}
	if !strings.Contains(diff.runs(), "DIFF_FLAGS=--method=template") {
		t.Error("the diff job must pass --method=template: its role may only read")
	}
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		role := strings.ReplaceAll(diff.roleToAssume(), "${{ matrix.prefix }}", cfg.Prefix)
		if want := "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/" + delivery.DiffRoleName(cfg.Prefix); role != want {
			t.Errorf("%s: diff assumes %s, want %s", stage, role, want)
		}
	}
}

// TestWorkflowDeploysStagesInOrder: on main, the stages one at a time in promotion
// order, a failure stopping the rest; each in the stage's GitHub environment (a
// production stage's holds the approval), with the stage's deploy role and the
// confirmation make asks of a production stage.
func TestWorkflowDeploysStagesInOrder(t *testing.T) {
	w, _ := readWorkflow(t)
	j, ok := w.Jobs["deploy"]
	if !ok {
		t.Fatal("no deploy job")
	}
	if j.Needs != "test" {
		t.Errorf("deploy needs %v, want test", j.Needs)
	}
	if got := j.Strategy.Matrix["include"]; got != stagesMatrix {
		t.Errorf("deploy matrix include %v, want %s", got, stagesMatrix)
	}
	if j.Strategy.MaxParallel != 1 || j.Strategy.FailFast == nil || !*j.Strategy.FailFast {
		t.Errorf("deploy max-parallel %d, fail-fast %v: want 1 and true, so stages go one at a time and a failure promotes nothing", j.Strategy.MaxParallel, j.Strategy.FailFast)
	}
	if j.Environment != "${{ matrix.stage }}" {
		t.Errorf("deploy runs in environment %q, want the stage's: its deploy role trusts only that environment", j.Environment)
	}
	for _, stage := range config.StageNames() {
		cfg, _ := config.ForStage(stage)
		role := strings.ReplaceAll(j.roleToAssume(), "${{ matrix.prefix }}", cfg.Prefix)
		if want := "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/" + delivery.DeployRoleName(cfg.Prefix); role != want {
			t.Errorf("%s: deploy assumes %s, want %s", stage, role, want)
		}
	}
	if want := "make deploy STAGE=${{ matrix.stage }} CONFIRM=${{ matrix.stage }} APPROVAL=never"; !strings.Contains(j.runs(), want) {
		t.Errorf("deploy runs\n%s\nwant %q", j.runs(), want)
	}
	if !strings.Contains(j.If, "refs/heads/main") || !strings.Contains(j.If, "pull_request") {
		t.Errorf("deploy runs if %q, want only on main and never for a pull request", j.If)
	}
}

// TestWorkflowSmokeTestsEachStageAfterItsDeploy: each deploy job runs make smoke
// on its stage after make deploy, as a step that fails the job when a check fails
// (no continue-on-error), so fail-fast promotes nothing past a stage whose smoke
// test failed; with the confirmation a production stage asks for.
func TestWorkflowSmokeTestsEachStageAfterItsDeploy(t *testing.T) {
	w, _ := readWorkflow(t)
	steps := w.Jobs["deploy"].Steps
	deploy, smoke := -1, -1
	for i, s := range steps {
		if strings.Contains(s.Run, "make deploy ") {
			deploy = i
		}
		if strings.Contains(s.Run, "make smoke ") {
			smoke = i
			if want := "make smoke STAGE=${{ matrix.stage }} CONFIRM=${{ matrix.stage }}"; strings.TrimSpace(s.Run) != want {
				t.Errorf("the smoke step runs %q, want %q", s.Run, want)
			}
			if s.ContinueOnError != nil && s.ContinueOnError != false {
				t.Errorf("the smoke step has continue-on-error %v: a failed check must fail the job", s.ContinueOnError)
			}
		}
	}
	switch {
	case deploy < 0 || smoke < 0:
		t.Fatalf("deploy job: make deploy at step %d, make smoke at step %d: want both", deploy, smoke)
	case smoke < deploy:
		t.Errorf("deploy job: make smoke (step %d) runs before make deploy (step %d)", smoke, deploy)
	}
}

// TestWorkflowFailsOnAFailedPipe: every run step is bash with pipefail (GitHub's
// `shell: bash`), so `make diff | tee` fails when make does.
func TestWorkflowFailsOnAFailedPipe(t *testing.T) {
	w, _ := readWorkflow(t)
	if w.Defaults.Run.Shell != "bash" {
		t.Errorf("defaults.run.shell %q, want bash (bash -eo pipefail)", w.Defaults.Run.Shell)
	}
	for name, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.Run != "" && s.Shell != "" && s.Shell != "bash" {
				t.Errorf("job %s: a step runs with shell %q, which does not fail on a failed pipe", name, s.Shell)
			}
		}
	}
}

// TestWorkflowCheckoutLeavesNoToken: no checkout leaves the job's token in .git.
func TestWorkflowCheckoutLeavesNoToken(t *testing.T) {
	w, _ := readWorkflow(t)
	checkouts := 0
	for name, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "actions/checkout@") {
				checkouts++
				if s.With["persist-credentials"] != false {
					t.Errorf("job %s: checkout with persist-credentials %v, want false", name, s.With["persist-credentials"])
				}
			}
		}
	}
	if checkouts < 3 {
		t.Errorf("found %d checkouts, want one per job that builds", checkouts)
	}
}

// TestWorkflowApprovalHoldsOnlyProd: on main each run has a group of its own, so a
// prod approval waiting never holds the next merge's run; each deploy job queues in
// its stage's group instead, without cancelling.
func TestWorkflowApprovalHoldsOnlyProd(t *testing.T) {
	w, _ := readWorkflow(t)
	if !strings.Contains(w.Concurrency.Group, "github.run_id") || !strings.Contains(w.Concurrency.Group, "pull_request") {
		t.Errorf("workflow concurrency group %q, want the run's own on main (github.run_id) and the ref's for pull requests", w.Concurrency.Group)
	}
	if j := w.Jobs["deploy"]; j.Concurrency.Group != "deploy-${{ matrix.stage }}" || j.Concurrency.CancelInProgress != false {
		t.Errorf("deploy concurrency %+v, want the stage's group, deploy-${{ matrix.stage }}, never cancelling", j.Concurrency)
	}
}

// TestWorkflowDeploysOnlyTheHeadOfMain: every deploy job first asks GitHub for the
// head of main and, when its commit is no longer it, takes no token and deploys
// nothing; staging and prod run only on main.
func TestWorkflowDeploysOnlyTheHeadOfMain(t *testing.T) {
	w, _ := readWorkflow(t)
	{
		name := "deploy"
		j := w.Jobs[name]
		if !strings.Contains(j.If, "github.ref == 'refs/heads/main'") {
			t.Errorf("%s runs if %q, want only on main", name, j.If)
		}
		if len(j.Steps) == 0 {
			t.Fatalf("%s has no steps", name)
		}
		checked := false
		for _, s := range j.Steps {
			if s.ID == "head" {
				checked = strings.Contains(s.Run, "commits/main") && strings.Contains(s.Run, "GITHUB_SHA") && strings.Contains(s.Run, "stale=true")
				continue
			}
			reaches := strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") || strings.Contains(s.Run, "make deploy") || strings.Contains(s.Run, "make smoke")
			if reaches && (!checked || s.If != "steps.head.outputs.stale != 'true'") {
				t.Errorf("%s: step %q%q runs without the head-of-main check before it (if %q)", name, s.Uses, s.Run, s.If)
			}
		}
	}
}

// TestWorkflowWithoutAnAccountSkipsWithANotice: a fork that has not set the two
// variables gets a notice on main and no failing deploy or diff.
func TestWorkflowWithoutAnAccountSkipsWithANotice(t *testing.T) {
	w, _ := readWorkflow(t)
	for _, name := range []string{"deploy", "diff"} {
		if j := w.Jobs[name]; !strings.Contains(j.If, "vars.AWS_ACCOUNT_ID != ''") || !strings.Contains(j.If, "vars.AWS_REGION != ''") {
			t.Errorf("%s runs if %q, want it skipped while AWS_ACCOUNT_ID or AWS_REGION is unset", name, j.If)
		}
	}
	notice, ok := w.Jobs["aws-not-configured"]
	if !ok || !strings.Contains(notice.If, "vars.AWS_ACCOUNT_ID == ''") || !strings.Contains(notice.runs(), "::notice::") {
		t.Errorf("aws-not-configured job %+v, want a notice on main while the variables are unset", notice)
	}
}

// TestActionsAreKeptCurrent: Dependabot proposes updates of the workflow's actions
// and of the setup action's.
func TestActionsAreKeptCurrent(t *testing.T) {
	raw, err := os.ReadFile("../.github/dependabot.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"package-ecosystem: github-actions", `"/"`, `"/.github/actions/setup"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("dependabot.yml lacks %s", want)
		}
	}
}

// TestActionsArePinnedByCommit: in jobs that may hold an AWS token, a moved tag
// would run someone else's code with it: every action is pinned by full commit SHA,
// with the version it is in a comment, in the workflow and the setup action alike.
func TestActionsArePinnedByCommit(t *testing.T) {
	pinned := regexp.MustCompile(`^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*\s*$`)
	checked := 0
	for _, file := range []string{workflowFile, "../.github/actions/setup/action.yml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if !strings.Contains(line, "uses:") || strings.Contains(line, "uses: ./") {
				continue
			}
			checked++
			if !pinned.MatchString(line) {
				t.Errorf("%s:%d: %q: want owner/action@<40-hex commit> # vX.Y.Z", file, i+1, strings.TrimSpace(line))
			}
		}
	}
	if checked < 8 {
		t.Errorf("checked %d action references, want every one", checked)
	}
}
