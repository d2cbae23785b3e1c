// Command stage prints one setting of a stage's validated configuration, for the
// scripts and make targets that need it outside synth:
//
//	go run ./cmd/stage -stage dev -field bootstrapQualifier
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/example/scalable-web/infra/config"
)

func main() {
	stage := flag.String("stage", "dev", "the stage")
	field := flag.String("field", "", "prefix, bootstrapQualifier or region")
	flag.Parse()
	cfg, err := config.ForStage(*stage)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	values := map[string]string{"prefix": cfg.Prefix, "bootstrapQualifier": cfg.BootstrapQualifier, "region": cfg.Region}
	v, ok := values[*field]
	if !ok {
		fmt.Fprintf(os.Stderr, "error: -field %q: want prefix, bootstrapQualifier or region\n", *field)
		os.Exit(2)
	}
	fmt.Println(v)
}
