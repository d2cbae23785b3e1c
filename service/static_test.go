package main

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestStorefrontReferencesItsFiles checks that every /static/ file index.html names
// is embedded, so the page the service serves and the files S3 serves match.
func TestStorefrontReferencesItsFiles(t *testing.T) {
	files := staticFiles()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) == 0 {
		t.Fatal("index.html names no /static/ file")
	}
	for _, ref := range refs {
		if _, err := fs.Stat(files, strings.TrimPrefix(ref[1], "/static/")); err != nil {
			t.Errorf("index.html names %s: %v", ref[1], err)
		}
	}
}
