// Package gobuild builds Go binaries for assets at synth time, reproducibly: no
// paths, no VCS stamp, no build ID, no cgo, linux/arm64. The same source gives the
// same bytes on every machine, so an asset's hash changes only with its code.
package gobuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Bundling returns the bundling options of an asset holding one binary: the main
// package pkg of the module at sourceDir, built for linux/arm64 and named as. The
// Docker image is a fallback the CDK would try if the local build failed; this
// starter never needs Docker.
func Bundling(sourceDir, pkg, as string, output awscdk.BundlingOutput) *awscdk.BundlingOptions {
	return &awscdk.BundlingOptions{
		Image:      awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1.25")),
		Local:      &local{sourceDir: sourceDir, pkg: pkg, as: as},
		OutputType: output,
	}
}

// local is the local bundler. Binaries of one folder (./lambdas/...) are built by
// one `go build`, in parallel, once per synth.
type local struct {
	sourceDir, pkg, as string
}

// TryBundle implements awscdk.ILocalBundling.
func (b *local) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	binaries, err := buildFolder(b.sourceDir, filepath.Dir(b.pkg))
	if err == nil {
		err = copyFile(filepath.Join(binaries, filepath.Base(b.pkg)), filepath.Join(*outputDir, b.as))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobuild: building %s: %v\n", b.pkg, err)
		return jsii.Bool(false)
	}
	return jsii.Bool(true)
}

var (
	mu    sync.Mutex
	built = map[string]error{}
)

// buildFolder builds every main package below folder into sourceDir/bin/<folder>.
func buildFolder(sourceDir, folder string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	out := filepath.Join(sourceDir, "bin", "assets", filepath.Base(filepath.Clean(folder)))
	key := sourceDir + "|" + folder
	if err, done := built[key]; done {
		return out, err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out+string(os.PathSeparator), "./"+filepath.ToSlash(folder)+"/...")
	cmd.Dir = sourceDir
	// The go toolchain needs the environment (PATH, caches, proxy); the target is fixed.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=")
	if output, err := cmd.CombinedOutput(); err != nil {
		built[key] = fmt.Errorf("%v\n%s", err, output)
	} else {
		built[key] = nil
	}
	return out, built[key]
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}
