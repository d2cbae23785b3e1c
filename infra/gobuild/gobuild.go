// Package gobuild builds Go binaries for assets at synth time, reproducibly: no
// paths, no VCS stamp, no build ID, no cgo, linux/arm64. The same source gives the
// same bytes on every machine, so an asset's hash changes only with its code.
//
// The binaries of one folder (every function under lambdas/) are built by one `go
// build`, which compiles and links them in parallel, when the CDK bundles the first
// of them; a package at the module's top (the service) is built alone. A build is
// skipped when nothing it reads has changed since the last one (fingerprint), so a
// synth that changes no Go code builds nothing.
package gobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// flags are the build's: reproducible, stripped, for Lambda's and the fleet's arm64.
var (
	flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}
	env   = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS="}
)

// Bundling returns the bundling options of an asset holding one binary: the main
// package pkg of the module at sourceDir (e.g. "./lambdas/inventory"), built for
// linux/arm64 and named as. The Docker image is a fallback the CDK would try if the
// local build failed; this starter never needs Docker.
func Bundling(sourceDir, pkg, as string, output awscdk.BundlingOutput) *awscdk.BundlingOptions {
	return &awscdk.BundlingOptions{
		Image:      awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1.25")),
		Local:      &local{sourceDir: sourceDir, pkg: pkg, as: as},
		OutputType: output,
	}
}

// local is the local bundler of one asset.
type local struct {
	sourceDir, pkg, as string
}

// TryBundle implements awscdk.ILocalBundling: it builds the asset's group (once per
// synth, and only if its inputs changed), then copies the binary into the CDK's
// bundling directory.
func (b *local) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	out, err := build(b.sourceDir, group(b.pkg))
	if err == nil {
		err = place(filepath.Join(out, filepath.Base(b.pkg)), filepath.Join(*outputDir, b.as))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobuild: building %s: %v\n", b.pkg, err)
		return jsii.Bool(false)
	}
	return jsii.Bool(true)
}

// group is what one `go build` builds for pkg: every package of its folder
// ("./lambdas/..."), or pkg alone when it sits at the module's top ("./service").
func group(pkg string) string {
	if folder := filepath.ToSlash(filepath.Dir(pkg)); folder != "." {
		return "./" + strings.TrimPrefix(folder, "./") + "/..."
	}
	return pkg
}

var (
	mu    sync.Mutex
	built = map[string]error{} // by module root and group: the one build of this synth
)

// build builds the packages of group into sourceDir/bin/assets/<name>, once per
// synth, unless the binaries there were built from the same inputs (the
// fingerprint in .inputs beside them).
func build(sourceDir, group string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	name := strings.Trim(strings.NewReplacer("/...", "", "./", "", "/", "-").Replace(group), "-.")
	out := filepath.Join(sourceDir, "bin", "assets", name)
	key := sourceDir + "|" + group
	if err, done := built[key]; done {
		return out, err
	}
	stamp := filepath.Join(out, ".inputs")
	inputs, ferr := fingerprint(sourceDir, group)
	if previous, err := os.ReadFile(stamp); ferr == nil && err == nil && string(previous) == inputs {
		built[key] = nil
		return out, nil
	}
	// New files, not new bytes in the old ones: assets hard-linked to the old
	// binaries keep them, and a build that fails half-way leaves no stamp behind.
	_ = os.RemoveAll(out)
	args := append(append([]string{"build"}, flags...), "-o", out+string(os.PathSeparator), group)
	cmd := exec.Command("go", args...)
	cmd.Dir = sourceDir
	// The go toolchain needs the environment (PATH, caches, proxy); the target is fixed.
	cmd.Env = append(os.Environ(), env...)
	if output, err := cmd.CombinedOutput(); err != nil {
		built[key] = fmt.Errorf("%v\n%s", err, output)
		return out, built[key]
	}
	built[key] = nil
	if ferr == nil {
		_ = os.WriteFile(stamp, []byte(inputs), 0o644) // a missing stamp only costs a rebuild
	}
	return out, nil
}

// fingerprint hashes everything the build of group reads: the Go version and the
// build's flags and target, go.mod and go.sum, and every file (Go sources, embedded
// files) of every package the binaries import outside the standard library. Two
// equal fingerprints build the same bytes.
func fingerprint(sourceDir, group string) (string, error) {
	args := []string{"list", "-deps", "-f", `{{if not .Standard}}{{$p := .ImportPath}}{{$d := .Dir}}{{range .GoFiles}}{{$p}}	{{$d}}	{{.}}
{{end}}{{range .EmbedFiles}}{{$p}}	{{$d}}	{{.}}
{{end}}{{end}}`, group}
	cmd := exec.Command("go", args...)
	cmd.Dir = sourceDir
	cmd.Env = append(os.Environ(), env...)
	list, err := cmd.Output()
	if err != nil {
		return "", err
	}
	version, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s%q%q%q\n", version, flags, env, group)
	hashFile := func(name, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\n", name)
		_, err = io.Copy(h, f)
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		pkg, rest, _ := strings.Cut(line, "\t")
		dir, file, _ := strings.Cut(rest, "\t")
		if err := hashFile(pkg+"/"+file, filepath.Join(dir, file)); err != nil {
			return "", err
		}
	}
	for _, file := range []string{"go.mod", "go.sum"} {
		if err := hashFile(file, filepath.Join(sourceDir, file)); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// place puts the binary into the asset's folder: a hard link where it can (the
// next build writes new files, never into these), a copy where it cannot.
func place(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}
