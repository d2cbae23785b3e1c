package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/catalog"
	"github.com/example/scalable-web/internal/stackoutputs"
)

// stage is what the deployed path talks to, with the caller's AWS credentials:
// the stage's stack outputs, its import bucket and its import function. The
// tests fake all three.
type stage struct {
	Stacks stackoutputs.Stacks
	Files  interface {
		PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	}
	Function interface {
		Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	}
}

// connectAWS is the stage in its region (or AWS_REGION's, for a stage that names
// none), with the default credential chain. The function's answer can take as
// long as its timeout, so the HTTP client waits a minute more, and an invocation
// is never retried: the first may still be loading.
func connectAWS(ctx context.Context, region string) (stage, error) {
	cfg, err := stackoutputs.Config(ctx, region)
	if err != nil {
		return stage{}, err
	}
	return stage{
		Stacks: cloudformation.NewFromConfig(cfg),
		Files:  s3.NewFromConfig(cfg),
		Function: lambda.NewFromConfig(cfg, func(o *lambda.Options) {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(catalog.ImportTimeout + time.Minute)
			o.RetryMaxAttempts = 1
		}),
	}, nil
}

// importInto loads the file into the deployed stage named stageName: every row
// checked here first (a bad file is never uploaded), then uploaded to the
// stage's import bucket and loaded by its import function, whose answer it
// prints as the local path does. It returns the exit status.
func importInto(ctx context.Context, stageName, file string, stdout, stderr io.Writer, connect func(context.Context, string) (stage, error)) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "catalog-import:", err)
		return 1
	}
	cfg, err := config.ForStage(stageName)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "catalog-import:", err)
		return 2
	}
	f, err := os.Open(file)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	rows, err := catalog.Check(f)
	var problems catalog.Problems
	if errors.As(err, &problems) {
		fmt.Fprintf(stderr, "%s: %v\n", file, problems)
		return 1
	}
	if err != nil {
		return fail(fmt.Errorf("%s: %w", file, err))
	}
	key, err := uploadKey(f, time.Now())
	if err != nil {
		return fail(fmt.Errorf("%s: %w", file, err))
	}

	aws, err := connect(ctx, cfg.Region)
	if err != nil {
		return fail(err)
	}
	bucket, err := stackoutputs.Read(ctx, aws.Stacks, cfg.Prefix, stackoutputs.CatalogImportBucket)
	if err != nil {
		return fail(err)
	}
	function, err := stackoutputs.Read(ctx, aws.Stacks, cfg.Prefix, stackoutputs.CatalogImportFunction)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err := upload(ctx, aws, f, bucket, key); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%s: %d products checked, uploaded to s3://%s/%s; loading into %s\n", file, rows, bucket, key, stageName)
	answer, err := invoke(ctx, aws, function, key)
	if err != nil {
		return fail(err)
	}
	switch {
	case len(answer.Problems) > 0: // the file changed between the check and the upload
		fmt.Fprintf(stderr, "%s: %v\n", file, answer.Problems)
		return 1
	case answer.Running:
		return fail(catalog.ErrImportRunning)
	}
	fmt.Fprintf(stdout, "%s: %s, in %.1f s\n", file, answer.Summary(), time.Since(start).Seconds())
	if answer.CacheError != "" {
		return fail(errors.New(answer.CacheError)) // the load stands; the cache serves the old entries until their TTL
	}
	if answer.Dropped > 0 {
		fmt.Fprintf(stdout, "dropped %d products and every page from the cache\n", answer.Dropped)
	}
	return 0
}

// uploadKey names an upload by when it was made and what it holds:
// imports/<UTC time>-<the first 12 hex digits of the file's SHA-256>.csv.
func uploadKey(f io.ReadSeeker, now time.Time) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s-%s.csv", catalog.ImportPrefix, now.UTC().Format("20060102T150405Z"), hex.EncodeToString(h.Sum(nil))[:12]), nil
}

// upload puts the file into the import bucket. The bucket's default encryption
// encrypts it with the bucket's own key (naming aws:kms here without that key
// would pick the account's AWS-managed key instead).
func upload(ctx context.Context, to stage, f *os.File, bucket, key string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := to.Files.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: f,
		ContentLength: aws.Int64(info.Size()), ContentType: aws.String("text/csv; charset=utf-8"),
	}); err != nil {
		return fmt.Errorf("upload to s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// invoke runs the import function on the uploaded file and waits for its answer.
func invoke(ctx context.Context, to stage, function, key string) (catalog.ImportAnswer, error) {
	payload, err := json.Marshal(catalog.ImportRequest{Key: key})
	if err != nil {
		return catalog.ImportAnswer{}, err
	}
	out, err := to.Function.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(function), InvocationType: types.InvocationTypeRequestResponse, Payload: payload,
	})
	if err != nil {
		return catalog.ImportAnswer{}, fmt.Errorf("invoke %s: %w", function, err)
	}
	if out.FunctionError != nil {
		var failed struct {
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &failed)
		if failed.Message == "" {
			failed.Message = string(out.Payload)
		}
		return catalog.ImportAnswer{}, fmt.Errorf("the import function failed, nothing loaded: %s (%s; its log group has the rest)", failed.Message, aws.ToString(out.FunctionError))
	}
	var answer catalog.ImportAnswer
	if err := json.Unmarshal(out.Payload, &answer); err != nil {
		return catalog.ImportAnswer{}, fmt.Errorf("the import function's answer %q: %w", out.Payload, err)
	}
	return answer, nil
}
