package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestJSIINodeRunsTheKernelDirectly: scripts/jsii-node.sh starts jsii's kernel
// without jsii's launcher process when the kernel is the one it expects (protocol
// on fd 3), sends the kernel's responses to stdout and its console output to stderr
// as the launcher's JSON lines; otherwise it runs the launcher. Checked on a
// stand-in kernel and launcher.
func TestJSIINodeRunsTheKernelDirectly(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("../scripts/jsii-node.sh")
	if err != nil {
		t.Fatal(err)
	}
	// kernel answers one request on fd 3, as jsii's does (SyncStdio readFD:3,writeFD:3).
	const kernel = `const fs = require("fs");
const buf = Buffer.alloc(64); const n = fs.readSync(3, buf, 0, 64, null);
console.log("log line"); console.error("error line");
fs.writeSync(3, "answer to " + buf.subarray(0, n).toString());`
	const launcher = `console.log("launcher ran");`
	for _, tt := range []struct {
		name, marker, wantOut, wantErr string
	}{
		{"known kernel", "// readFD:3,writeFD:3\n", "answer to ping\n",
			`{"stdout":"bG9nIGxpbmUK"}` + "\n" + `{"stderr":"ZXJyb3IgbGluZQo="}` + "\n"},
		{"unknown kernel", "", "launcher ran\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range map[string]string{"bin/jsii-runtime.js": launcher, "lib/program.js": tt.marker + kernel} {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(script, filepath.Join(dir, "bin", "jsii-runtime.js"))
			var stdout, stderr bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader("ping\n"), &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if stdout.String() != tt.wantOut || stderr.String() != tt.wantErr {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}

// TestJSIIKernelRunsWithoutLauncher: under make test (JSII_NODE is
// scripts/jsii-node.sh), this test binary's own jsii kernel runs without the
// launcher, so a jsii release that moves its kernel is noticed, not silently slower.
func TestJSIIKernelRunsWithoutLauncher(t *testing.T) {
	if !strings.HasSuffix(os.Getenv("JSII_NODE"), "scripts/jsii-node.sh") {
		t.Skip("JSII_NODE is not scripts/jsii-node.sh: run through make test")
	}
	awscdk.Token_IsUnresolved(jsii.String("started")) // the kernel starts on the first call
	// This process's children, from each process's parent ID in /proc/PID/stat.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var commands []string
	for _, path := range stats {
		stat, _ := os.ReadFile(path)
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "cmdline"))
		commands = append(commands, strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	for _, c := range commands {
		if strings.Contains(c, "/lib/program.js") && !strings.Contains(c, "jsii-runtime.js") {
			return
		}
	}
	t.Errorf("no child process runs jsii's kernel (lib/program.js) directly; children:\n%s", strings.Join(commands, "\n"))
}
