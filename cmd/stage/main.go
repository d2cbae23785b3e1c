// Command stage prints what the scripts, make targets and the workflow need to know
// about the stages outside synth, read from their validated configuration
// (infra/config), so the stage list and each stage's settings live in one place:
//
//	go run ./cmd/stage -list                               # dev staging prod
//	go run ./cmd/stage -stage dev -field bootstrapQualifier
//	go run ./cmd/stage -matrix                             # the workflow's stage matrix, JSON
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/example/scalable-web/infra/config"
)

// fields are the settings -field prints.
var fields = map[string]func(config.Config) string{
	"prefix":             func(c config.Config) string { return c.Prefix },
	"bootstrapQualifier": func(c config.Config) string { return c.BootstrapQualifier },
	"region":             func(c config.Config) string { return c.Region },
	"secondaryRegion":    func(c config.Config) string { return c.Secondary.Region },
	"production":         func(c config.Config) string { return strconv.FormatBool(c.Production) },
}

// stage is one entry of the workflow's matrix.
type stage struct {
	Stage      string `json:"stage"`
	Prefix     string `json:"prefix"`
	Production bool   `json:"production"`
}

func main() {
	name := flag.String("stage", "dev", "the stage")
	field := flag.String("field", "", "the setting to print: "+strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
	list := flag.Bool("list", false, "print the stage names, in promotion order")
	matrix := flag.Bool("matrix", false, "print every stage's name, prefix and production flag as a JSON array")
	flag.Parse()
	switch {
	case *list:
		fmt.Println(strings.Join(config.StageNames(), " "))
	case *matrix:
		var out []stage
		for _, n := range config.StageNames() {
			cfg := load(n)
			out = append(out, stage{Stage: cfg.Stage, Prefix: cfg.Prefix, Production: cfg.Production})
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
	default:
		get, ok := fields[*field]
		if !ok {
			fmt.Fprintf(os.Stderr, "error: -field %q: want one of %s\n", *field, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
			os.Exit(2)
		}
		fmt.Println(get(load(*name)))
	}
}

// load returns a stage's configuration, or exits with its validation errors.
func load(name string) config.Config {
	cfg, err := config.ForStage(name)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	return cfg
}
