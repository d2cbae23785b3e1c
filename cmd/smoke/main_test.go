package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/example/scalable-web/infra/config"
	"github.com/example/scalable-web/internal/smoke"
)

// fakeStacks is CloudFormation holding outputs by stack and key.
type fakeStacks struct {
	outputs map[string]map[string]string
	asked   []string
}

func (f *fakeStacks) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	name := aws.ToString(in.StackName)
	f.asked = append(f.asked, name)
	outputs, ok := f.outputs[name]
	if !ok {
		return nil, fmt.Errorf("Stack with id %s does not exist", name)
	}
	st := cftypes.Stack{StackName: in.StackName}
	for k, v := range outputs {
		st.Outputs = append(st.Outputs, cftypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{st}}, nil
}

// deployed is a stage's two stacks, as CloudFormation has them after make deploy.
func deployed(prefix, site, api string) *fakeStacks {
	return &fakeStacks{outputs: map[string]map[string]string{
		prefix + "-cdn": {"SiteUrl": site, "DistributionId": "E1"},
		prefix + "-api": {"ApiUrl": api},
	}}
}

func TestLookUp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		given     smoke.Target
		stacks    *fakeStacks
		want      smoke.Target
		wantAsked []string
		wantErr   string
	}{
		{
			name:   "both from the outputs",
			stacks: deployed("shop-dev", "https://d1.cloudfront.net", "https://a1.execute-api.eu-west-1.amazonaws.com"),
			want:   smoke.Target{SiteURL: "https://d1.cloudfront.net", APIURL: "https://a1.execute-api.eu-west-1.amazonaws.com"},
		},
		{
			name:      "a given URL is not looked up",
			given:     smoke.Target{SiteURL: "https://shop.example.com"},
			stacks:    deployed("shop-dev", "https://d1.cloudfront.net", "https://a1.execute-api.eu-west-1.amazonaws.com"),
			want:      smoke.Target{SiteURL: "https://shop.example.com", APIURL: "https://a1.execute-api.eu-west-1.amazonaws.com"},
			wantAsked: []string{"shop-dev-api"},
		},
		{
			name:    "not deployed",
			stacks:  &fakeStacks{},
			wantErr: "reading stack shop-dev-cdn: Stack with id shop-dev-cdn does not exist",
		},
		{
			name:    "no such output",
			stacks:  &fakeStacks{outputs: map[string]map[string]string{"shop-dev-cdn": {"DistributionId": "E1"}}},
			wantErr: "stack shop-dev-cdn has no output SiteUrl: is the stage deployed (make deploy STAGE=…)?",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.given
			err := lookUp(context.Background(), tc.stacks, "shop-dev", &got)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if tc.wantAsked != nil && !slices.Equal(tc.stacks.asked, tc.wantAsked) {
				t.Errorf("asked for %v, want only %v", tc.stacks.asked, tc.wantAsked)
			}
		})
	}
}

// TestExitStatus: 0 when nothing failed, 1 when a check failed or the stage's
// addresses cannot be read, 2 for a command line that cannot run.
func TestExitStatus(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
	}))
	defer broken.Close()
	dev, _ := config.ForStage("dev")
	limits := smoke.LimitsOf(dev)
	noAWS := func(context.Context, string) (stacks, error) { return nil, errors.New("no AWS credentials") }
	toBroken := func(context.Context, string) (stacks, error) {
		return deployed(dev.Prefix, broken.URL, broken.URL), nil
	}
	for _, tc := range []struct {
		name    string
		args    []string
		connect func(context.Context, string) (stacks, error)
		want    int
		out     []string // lines or parts of lines printed
	}{
		{name: "nothing to check", want: 2, out: []string{"error: usage: give a stage"}},
		{name: "unknown stage", args: []string{"-stage", "nope"}, want: 2, out: []string{`stage "nope": want one of`}},
		{name: "not a base URL", args: []string{"-url", "ftp://shop"}, want: 2, out: []string{`-url "ftp://shop": want a base URL`}},
		{name: "no credentials", args: []string{"-stage", "dev"}, connect: noAWS, want: 1, out: []string{"error: stage dev: no AWS credentials"}},
		{
			name: "a URL that answers 500", args: []string{"-url", broken.URL}, want: 1,
			out: []string{"storefront page        FAIL     got 500, want 200", "no stage given", "0 passed, 2 failed, 10 skipped"},
		},
		{
			name: "a stage that answers 500", args: []string{"-stage", "dev"}, connect: toBroken, want: 1,
			out: []string{
				fmt.Sprintf("stage dev: WAF %s per IP, %s per session; POST /api/orders burst %d at %g/s", limits.PerIP, limits.PerSession, limits.OrdersBurst, limits.OrdersRate),
				"API URL refused        FAIL", "order route burst      FAIL",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			got := run(context.Background(), tc.args, &out, &out, tc.connect)
			if got != tc.want {
				t.Errorf("exit status %d, want %d", got, tc.want)
			}
			for _, want := range tc.out {
				if !strings.Contains(out.String(), want) {
					t.Errorf("printed\n%s\nwant %q in it", out.String(), want)
				}
			}
		})
	}
}
