package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// fakeStage is a deployed dev stage: its events stack's outputs, its import
// bucket and its import function, which answers what the test says.
type fakeStage struct {
	outputs  map[string]string // of shop-dev-events
	uploads  map[string]string // by "bucket/key"
	invoked  []catalog.ImportRequest
	function string // the function invoked
	answer   func() *lambda.InvokeOutput
}

func (f *fakeStage) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if aws.ToString(in.StackName) != "shop-dev-events" {
		return nil, errors.New("Stack with id " + aws.ToString(in.StackName) + " does not exist")
	}
	var outs []cftypes.Output
	for k, v := range f.outputs {
		outs = append(outs, cftypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{Outputs: outs}}}, nil
}

func (f *fakeStage) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	if in.ServerSideEncryption != "" {
		return nil, errors.New("an upload naming its encryption: the bucket's default (its own key) must apply")
	}
	f.uploads[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)] = string(b)
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeStage) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	var req catalog.ImportRequest
	if err := json.Unmarshal(in.Payload, &req); err != nil {
		return nil, err
	}
	if in.InvocationType != "RequestResponse" {
		return nil, errors.New("want a synchronous invocation, got " + string(in.InvocationType))
	}
	f.function = aws.ToString(in.FunctionName)
	f.invoked = append(f.invoked, req)
	return f.answer(), nil
}

func answering(a catalog.ImportAnswer) func() *lambda.InvokeOutput {
	return func() *lambda.InvokeOutput {
		b, _ := json.Marshal(a)
		return &lambda.InvokeOutput{StatusCode: 200, Payload: b}
	}
}

func newFakeStage(answer func() *lambda.InvokeOutput) *fakeStage {
	return &fakeStage{
		outputs: map[string]string{
			stackoutputs.CatalogImportBucket.Key:   "shop-dev-stateful-imports-1a2b3c",
			stackoutputs.CatalogImportFunction.Key: "shop-dev-events-CatalogImportFunction-4d5e6f",
		},
		uploads: map[string]string{},
		answer:  answer,
	}
}

// deployed runs the command against the fake stage as make catalog-import
// STAGE=dev runs it, and says whether it reached AWS at all.
func deployed(t *testing.T, f *fakeStage, file string) (code int, stdout, stderr string, connected bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	connect := func(_ context.Context, region string) (stage, error) {
		connected = true
		return stage{Stacks: f, Files: f, Function: f}, nil
	}
	code = run([]string{"-stage", "dev", "-file", file}, &out, &errOut, connect)
	return code, out.String(), errOut.String(), connected
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "products.csv")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodFile = "sku,name,price_cents,stock\nTB-1,Toothbrush,299,40\nKT-1,Kettle,1999,5\n"

// TestBadFileRefusedBeforeUpload: every bad row is printed by line and reason,
// and AWS is never contacted: nothing uploaded, nothing invoked.
func TestBadFileRefusedBeforeUpload(t *testing.T) {
	f := newFakeStage(answering(catalog.ImportAnswer{}))
	file := writeFile(t, "sku,name,price_cents,stock\nNW-1,New,100,1\nTB-1,,299,40\nKT-1,Kettle,-5,5\n")
	code, out, errOut, connected := deployed(t, f, file)
	want := file + ": 2 bad row(s), nothing loaded:\nline 3: name: empty\nline 4: price_cents \"-5\": want a whole number of cents, 0 or more\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and\n%s", code, out, errOut, want)
	}
	if connected || len(f.uploads) != 0 || len(f.invoked) != 0 {
		t.Errorf("connected %v, uploads %v, invoked %v: want AWS never reached", connected, f.uploads, f.invoked)
	}
}

// TestDeployedImport: a good file is uploaded under imports/ to the bucket the
// stage's outputs name, the function they name loads that key, and its answer is
// printed as the local path prints one.
func TestDeployedImport(t *testing.T) {
	f := newFakeStage(answering(catalog.ImportAnswer{Rows: 2, Added: 1, Changed: 1, Dropped: 2}))
	file := writeFile(t, goodFile)
	code, out, errOut, _ := deployed(t, f, file)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if len(f.uploads) != 1 || len(f.invoked) != 1 {
		t.Fatalf("uploads %v, invocations %v; want one of each", f.uploads, f.invoked)
	}
	key := f.invoked[0].Key
	if !regexp.MustCompile(`^imports/\d{8}T\d{6}Z-[0-9a-f]{12}\.csv$`).MatchString(key) {
		t.Errorf("key %q, want imports/<UTC time>-<sha256 prefix>.csv", key)
	}
	if body := f.uploads["shop-dev-stateful-imports-1a2b3c/"+key]; body != goodFile {
		t.Errorf("uploaded %q to the bucket under that key, want the file", body)
	}
	if f.function != "shop-dev-events-CatalogImportFunction-4d5e6f" {
		t.Errorf("invoked %q, want the function the stage's output names", f.function)
	}
	for _, want := range []string{
		file + ": 2 products checked, uploaded to s3://shop-dev-stateful-imports-1a2b3c/" + key + "; loading into dev\n",
		file + ": 2 products: 1 added, 1 changed, 0 unchanged, in ",
		"dropped 2 products and every page from the cache\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q, want %q", out, want)
		}
	}
}

// TestDeployedImportFailures: the function's error, an answer that another
// import is running, the file's problems found there, a cache it could not tell,
// and a stage that is not deployed all exit non-zero and say so.
func TestDeployedImportFailures(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer func() *lambda.InvokeOutput
		want   string
	}{
		{"the function failed", func() *lambda.InvokeOutput {
			return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
				Payload: []byte(`{"errorMessage":"load imports/x.csv: write products: connection reset","errorType":"wrapError"}`)}
		}, "catalog-import: the import function failed, nothing loaded: load imports/x.csv: write products: connection reset (Unhandled; its log group has the rest)\n"},
		{"another import runs", answering(catalog.ImportAnswer{Running: true}),
			"catalog-import: another catalog import is running: nothing loaded, try again once it has finished\n"},
		{"the file changed after the check", answering(catalog.ImportAnswer{Problems: catalog.Problems{{Line: 2, Reason: "name: empty"}}}),
			": 1 bad row(s), nothing loaded:\nline 2: name: empty\n"},
		{"the cache was not told", answering(catalog.ImportAnswer{Rows: 2, Added: 2, CacheError: "drop cached products (they expire with their TTL): i/o timeout"}),
			"catalog-import: drop cached products (they expire with their TTL): i/o timeout\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut, _ := deployed(t, newFakeStage(tt.answer), writeFile(t, goodFile))
			if code != 1 || !strings.HasSuffix(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
		})
	}
	t.Run("not deployed", func(t *testing.T) {
		f := newFakeStage(answering(catalog.ImportAnswer{}))
		delete(f.outputs, stackoutputs.CatalogImportFunction.Key)
		code, _, errOut, _ := deployed(t, f, writeFile(t, goodFile))
		if want := "catalog-import: stack shop-dev-events has no output CatalogImportFunction: is the stage deployed (make deploy STAGE=…)?\n"; code != 1 || errOut != want {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, want)
		}
		if len(f.uploads) != 0 {
			t.Errorf("uploaded %v to a stage without its function", f.uploads)
		}
	})
	t.Run("unknown stage", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run([]string{"-stage", "nope", "-file", writeFile(t, goodFile)}, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), `stage "nope"`) {
			t.Errorf("exit %d, stderr %q; want 2 naming the stage", code, errOut.String())
		}
	})
}
