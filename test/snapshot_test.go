package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/example/scalable-web/infra/config"
)

// TestSnapshots compares each stack of each stage with its golden file under
// snapshots/. A difference fails the test; refresh the files on purpose with
// `make snapshot-update` and say in the commit message why they changed.
func TestSnapshots(t *testing.T) {
	produced := map[string]bool{}
	for _, stage := range config.StageNames() {
		s := synthesize(t, stage)
		for _, stack := range stackNames(s.stacks) {
			produced[stack+".json"] = true
			t.Run(stack, func(t *testing.T) {
				got := normalize(t, s.templates[stack])
				path := filepath.Join("snapshots", stack+".json")
				if *update {
					if err := os.MkdirAll("snapshots", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v: run make snapshot-update to create it", err)
				}
				if string(got) != string(want) {
					t.Errorf("%s differs from this synth:\n%s\nIf the change is intended, run make snapshot-update and explain it in the commit message.", path, diff(string(want), string(got)))
				}
			})
		}
	}
	// A file no stack produces any more (a renamed prefix, a removed stage) would
	// pass for a contract it no longer is: -update removes it, the test names it.
	files, _ := filepath.Glob(filepath.Join("snapshots", "*.json"))
	for _, path := range files {
		if produced[filepath.Base(path)] {
			continue
		}
		if *update {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s: no stack of any stage produces it; run make snapshot-update to remove it", path)
	}
}

var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize drops what changes without the infrastructure changing (CDK metadata,
// construct paths, asset hashes) and returns indented JSON with sorted keys.
func normalize(t *testing.T, template map[string]any) []byte {
	t.Helper()
	var tpl map[string]any
	b, _ := json.Marshal(template)
	_ = json.Unmarshal(b, &tpl) // a deep copy: the cached template stays whole
	resources := tpl["Resources"].(map[string]any)
	delete(resources, "CDKMetadata")
	if conditions, ok := tpl["Conditions"].(map[string]any); ok {
		delete(conditions, "CDKMetadataAvailable")
		if len(conditions) == 0 {
			delete(tpl, "Conditions")
		}
	}
	for _, r := range resources {
		res := r.(map[string]any)
		if md, ok := res["Metadata"].(map[string]any); ok {
			for key := range md {
				if strings.HasPrefix(key, "aws:cdk:") || strings.HasPrefix(key, "aws:asset:") {
					delete(md, key)
				}
			}
			if len(md) == 0 {
				delete(res, "Metadata")
			}
		}
	}
	out, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(assetHash.ReplaceAll(out, []byte("<asset-hash>")), '\n')
}

// diff shows the lines of want and got around their first difference.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	from := max(i-3, 0)
	var b strings.Builder
	for j := from; j < i; j++ {
		b.WriteString("  " + w[j] + "\n")
	}
	for j := i; j < min(i+8, len(w)); j++ {
		b.WriteString("- " + w[j] + "\n")
	}
	for j := i; j < min(i+8, len(g)); j++ {
		b.WriteString("+ " + g[j] + "\n")
	}
	return b.String()
}
