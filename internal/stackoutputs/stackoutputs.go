// Package stackoutputs names the CloudFormation outputs that tools read from a
// deployed stage, with the stacks that hold them, so that infra/stacks, which
// writes them, and the tools, which read them (cmd/smoke), share one spelling.
package stackoutputs

// Output is one output of one of a stage's stacks.
type Output struct {
	// Stack is the stack's name after the stage's prefix: "cdn" for shop-dev-cdn.
	Stack string
	// Key is the output's name.
	Key string
}

var (
	// SiteURL is the shop's address: https:// and CloudFront's own domain name, or
	// the stage's domain.
	SiteURL = Output{Stack: "cdn", Key: "SiteUrl"}
	// APIURL is the HTTP API's own endpoint, https://<id>.execute-api.<region>.amazonaws.com,
	// which answers only requests that came through CloudFront.
	APIURL = Output{Stack: "api", Key: "ApiUrl"}
)

// StackName is the name of the output's stack in the stage whose prefix is
// given, e.g. shop-dev-cdn.
func (o Output) StackName(prefix string) string { return prefix + "-" + o.Stack }
