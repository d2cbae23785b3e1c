package test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The work this package hands to other processes: AWS's validator over every
// cloud assembly the tests write, the real entry point's runs (app_test.go) and
// make synth's script with a stand-in CLI. TestMain starts them all at once, so
// that what they cost at start (a Node process, the validator's engine) is paid
// while the first synth runs, not at the end; the tests that read them wait for
// them. They run niced: every test waits on the synths, in this process's Node
// process, so those keep the CPU; the rest fills what the synths leave.

// niced is a command run at a lower priority than the tests.
func niced(name string, args ...string) *exec.Cmd {
	return exec.Command("nice", append([]string{"-n", "10", name}, args...)...)
}

// badTemplate must fail AWS's validator twice: a Fn::Split over a
// Fn::GetStackOutput (E1018), and a log retention CloudFormation does not accept
// (W3030, a warning).
const badTemplate = `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":{"Fn::Select":[1,{"Fn::Split":["/",
	{"Fn::GetStackOutput":{"StackName":"other","OutputName":"Arn","Region":{"Ref":"AWS::Region"}}}]}]}}},
	"Logs":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":42}}}}`

// backgroundValidation is one run of scripts/validate-templates.mjs --stdin, fed
// each cloud assembly as it is synthesized (validateInBackground), after a folder
// holding badTemplate alone.
var backgroundValidation struct {
	mu     sync.Mutex
	stdin  io.WriteCloser
	out    bytes.Buffer
	done   chan error
	err    error
	closed bool
	dirs   map[string]string // cloud assembly → what it is, for messages
	bad    string            // the folder of badTemplate
}

// startValidation starts the validator with badTemplate, which starts its engine.
func startValidation() {
	v := &backgroundValidation
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dirs = map[string]string{}
	v.done = make(chan error, 1)
	v.bad = filepath.Join(outRoot, "bad-template")
	err := os.MkdirAll(v.bad, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(v.bad, "bad.template.json"), []byte(badTemplate), 0o644)
	}
	cmd := niced("node", "--single-threaded", "../scripts/validate-templates.mjs", "--cache", "../bin/validated", "--stdin")
	cmd.Stdout, cmd.Stderr = &v.out, &v.out
	var stdin io.WriteCloser
	if err == nil {
		stdin, err = cmd.StdinPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		v.done <- fmt.Errorf("start the validator: %w", err)
		return
	}
	v.stdin = stdin
	go func() { v.done <- cmd.Wait() }()
	v.dirs[v.bad] = "the bad template"
	fmt.Fprintln(v.stdin, v.bad)
}

// validateInBackground queues a cloud assembly for the validator.
func validateInBackground(dir, name string) {
	v := &backgroundValidation
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stdin == nil || v.closed {
		return // it did not start (finishValidation says why), or it was finished
	}
	v.dirs[dir] = name
	fmt.Fprintln(v.stdin, dir)
}

// stopValidation tells the validator there is nothing more to come and waits for
// it to finish what it was given.
func stopValidation() error {
	v := &backgroundValidation
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.closed {
		v.closed = true
		if v.stdin != nil {
			v.stdin.Close()
		}
		v.err = <-v.done
	}
	return v.err
}

// finishValidation waits for the validator to finish what it was given and returns
// its output and the assemblies it was given.
func finishValidation(t *testing.T) (string, map[string]string) {
	t.Helper()
	err := stopValidation()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: errors found, reported per folder
		t.Fatalf("validator: %v\n%s", err, backgroundValidation.out.String())
	}
	return backgroundValidation.out.String(), backgroundValidation.dirs
}

// synthScript is one run of make synth's script (scripts/synth.sh) with a stand-in
// for the CDK CLI that writes badTemplate and warnedTemplate, and a cache of its
// own: TestSynthFailsOnAValidatorFinding reads it.
var synthScript struct {
	done               chan struct{}
	out, cache, output string
	err                error
}

// warnedTemplate only draws a warning from AWS's validator (W3030).
const warnedTemplate = `{"Resources":{"Logs":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":42}}}}`

// fakeCDK stands in for the CDK CLI: it copies the templates beside it into the
// --output folder.
const fakeCDK = `#!/bin/sh
templates=$(dirname "$0")
while [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done
mkdir -p "$out" && cp "$templates"/*.template.json "$out"
`

// runSynthScript runs it, then closes synthScript.done.
func runSynthScript() {
	s := &synthScript
	defer close(s.done)
	dir := filepath.Join(outRoot, "synth-script")
	fake := filepath.Join(dir, "cdk")
	s.out, s.cache = filepath.Join(dir, "out"), filepath.Join(dir, "validated")
	if s.err = os.MkdirAll(dir, 0o755); s.err != nil {
		return
	}
	for name, text := range map[string]string{"cdk": fakeCDK, "bad.template.json": badTemplate, "warned.template.json": warnedTemplate} {
		if s.err = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); s.err != nil {
			return
		}
	}
	cmd := niced("bash", "scripts/synth.sh", s.out)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CDK_CLI="+fake, "VALIDATED="+s.cache)
	output, err := cmd.CombinedOutput()
	s.output, s.err = string(output), err
}
