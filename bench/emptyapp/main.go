// Command emptyapp is the baseline of make bench-synth: a Go CDK app with one
// empty stack, synthesized through the same CLI as the real app, so the figures
// show what the starter adds to the fixed cost of any Go CDK app (starting Node and
// the jsii kernel, loading aws-cdk-lib).
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	app := awscdk.NewApp(nil)
	awscdk.NewStack(app, jsii.String("Empty"), nil)
	app.Synth(nil)
}
