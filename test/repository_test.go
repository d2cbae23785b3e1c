package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBuiltBinaryIsCommitted: `go build ./lambdas/NAME` run in the project root
// writes a binary named NAME there, tens of megabytes that every clone would
// download forever once committed. Every binary this project builds goes under
// bin/ (ignored); this fails on any tracked file that is an executable, whatever
// its name.
func TestNoBuiltBinaryIsCommitted(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git work tree (%v): nothing is committed here", err)
	}
	magics := map[string][]byte{
		"ELF":    []byte("\x7fELF"),
		"Mach-O": {0xcf, 0xfa, 0xed, 0xfe},
		"PE":     []byte("MZ"),
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	for _, name := range files {
		f, err := os.Open(filepath.Join("..", name))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		head := make([]byte, 4)
		n, _ := f.Read(head)
		f.Close()
		for kind, magic := range magics {
			if bytes.HasPrefix(head[:n], magic) {
				t.Errorf("%s is a compiled %s binary: git rm --cached %s, and build into bin/ (ignored)", name, kind, name)
			}
		}
	}
	if len(files) < 100 {
		t.Errorf("git ls-files listed %d files, want the whole project", len(files))
	}
}
